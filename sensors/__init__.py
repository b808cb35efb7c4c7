"""Sensors: usage-log arrival, health recalculation, threshold alerts, run failure."""
