"""The people the service serves: consumers, couriers, operators."""
