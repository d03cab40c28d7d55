"""The operator console: the /admin page and the few reads it needs beyond the reports."""
