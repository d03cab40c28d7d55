"""API tokens: who is calling, in which role."""
