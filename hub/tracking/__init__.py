"""Seed 001's early-access tracking: the team's CSV files and `hub track` over the warehouse."""
