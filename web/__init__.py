"""sunbid web context."""
