"""HubSpot: objects, sync and staging mapping (see hub/sources/__init__.py)."""
