"""sunbid crypto context."""
