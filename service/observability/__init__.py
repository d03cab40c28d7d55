"""Running the service: Prometheus metrics shared by every process, one JSON log line a request."""
