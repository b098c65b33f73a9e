"""sunbid bidding context."""
