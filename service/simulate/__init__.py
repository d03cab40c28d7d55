"""The peak simulator (`hourdelivery simulate`): a city's evening peak replayed through the
public HTTP API of a running service, every actor simulated, and a report afterwards."""
