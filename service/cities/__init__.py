"""Cities: service areas, courier speed and delivery-fee rules."""
