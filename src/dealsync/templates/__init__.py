"""Files dealsync writes for its users (the starter config)."""
