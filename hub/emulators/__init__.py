"""Local, wire-faithful emulators of the Airtable, HubSpot and Salesforce APIs.

The connectors use the real client libraries unmodified; in the demo and in tests those
clients talk HTTP(S) on loopback to these emulators, which serve a `SourceData` snapshot.

    with start_emulators(data, rate_limits=False) as running:
        os.environ.update(running.env())
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from hub.emulators.airtable import AirtableEmulator
from hub.emulators.hubspot import HubSpotEmulator
from hub.emulators.salesforce import SalesforceEmulator
from hub.sourcedata import SourceData

__all__ = [
    "AirtableEmulator",
    "HubSpotEmulator",
    "RunningEmulators",
    "SalesforceEmulator",
    "start_emulators",
]


@dataclass
class RunningEmulators:
    airtable: AirtableEmulator
    hubspot: HubSpotEmulator
    salesforce: SalesforceEmulator

    def env(self) -> dict[str, str]:
        """The environment variables (DESIGN.md) that point the connectors at the emulators."""
        return {
            "AIRTABLE_API_URL": self.airtable.url,
            "AIRTABLE_TOKEN": self.airtable.token,
            "AIRTABLE_BASE_ID": self.airtable.base_id,
            "HUBSPOT_API_URL": self.hubspot.url,
            "HUBSPOT_TOKEN": self.hubspot.token,
            "SALESFORCE_INSTANCE_URL": self.salesforce.url,
            "SALESFORCE_ACCESS_TOKEN": self.salesforce.access_token,
            "SALESFORCE_CA_BUNDLE": self.salesforce.ca_bundle,
        }

    def stop(self) -> None:
        for emulator in (self.airtable, self.hubspot, self.salesforce):
            emulator.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_emulators(
    data: SourceData,
    *,
    rate_limits: bool = True,
    airtable: dict[str, Any] | None = None,
    hubspot: dict[str, Any] | None = None,
    salesforce: dict[str, Any] | None = None,
) -> RunningEmulators:
    """Start all three emulators on loopback (free ports) serving `data`.

    `rate_limits=False` turns off Airtable's 5 req/s, HubSpot's ten-second and search limits
    and Salesforce's daily API limit; the per-emulator dicts pass constructor keywords through
    (e.g. `salesforce={"batch_size": 500}`), overriding `rate_limits`.
    """
    unlimited: dict[str, dict[str, Any]] = {
        "airtable": {"requests_per_second": None},
        "hubspot": {"requests_per_10s": None, "search_per_second": None},
        "salesforce": {"daily_api_limit": None},
    } if not rate_limits else {"airtable": {}, "hubspot": {}, "salesforce": {}}
    started: list[Any] = []
    try:
        at = AirtableEmulator(data.airtable, **{**unlimited["airtable"], **(airtable or {})}).start()
        started.append(at)
        hs = HubSpotEmulator(data.hubspot, data.hubspot_associations, data.hubspot_pipelines, data.hubspot_owners,
                             **{**unlimited["hubspot"], **(hubspot or {})}).start()
        started.append(hs)
        sf = SalesforceEmulator(data.salesforce, **{**unlimited["salesforce"], **(salesforce or {})}).start()
        started.append(sf)
    except BaseException:
        for emulator in started:  # no half-started set left listening
            emulator.stop()
        raise
    return RunningEmulators(airtable=at, hubspot=hs, salesforce=sf)
