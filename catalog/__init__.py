"""sunbid catalog context."""
