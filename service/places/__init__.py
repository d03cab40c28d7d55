"""Places to deliver to: a gazetteer searched by name, and the place nearest a point."""
