"""The store tablet: the order feed, the queue and staff actions, switches, deadlines."""
