"""SMS senders: the port (base.py) and its adapters, looked up by kind through entry points."""
