"""sunbid evaluation context."""
