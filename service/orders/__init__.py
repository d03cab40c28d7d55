"""Orders: lines, the event log, deliveries, idempotency keys and the money ledger."""
