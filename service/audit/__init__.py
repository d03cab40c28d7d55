"""The audit trail: who switched what, when, from which value to which."""
