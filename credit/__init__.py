"""sunbid credit context."""
