"""sunbid publication context: open data (OCDS) and the public change feed."""
