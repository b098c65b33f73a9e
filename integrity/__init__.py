"""Integrity: collusion red flags (围标串标) for supervisors, over what the platform saw of each bid."""
