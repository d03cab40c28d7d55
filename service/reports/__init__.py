"""Campaign and city reports: aggregate SQL over the append-only event tables."""
