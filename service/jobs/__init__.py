"""Scheduled jobs: plain functions over a session, each runnable from the CLI."""
