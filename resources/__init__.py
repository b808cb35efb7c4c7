"""Dagster resources: one per source API, the warehouse and the alert channels."""
