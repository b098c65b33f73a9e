"""sunbid experts context."""
