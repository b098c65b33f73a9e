"""sunbid core context."""
