"""Platform promotions: operators create, change, pause and end them."""
