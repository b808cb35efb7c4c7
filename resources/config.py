"""The business configuration as a resource: HUB_CONFIG over the built-in defaults, validated
against one schema (hub/config_schema.py) when the definitions load, handed to every step."""

from __future__ import annotations

from typing import Any

import dagster as dg

from hub.config import cached_config


class HubConfigResource(dg.ConfigurableResource):
    """Field mappings, stages, weights, thresholds and alert rules (README "Configuration")."""

    path: str | None = None

    def get(self) -> dict[str, Any]:
        """The validated configuration (read once per process; treat as read-only)."""
        return cached_config(self.path)
