"""Run one connector sync in its own process, so a test can kill it with SIGKILL mid-way.

    python tests/sync_worker.py SOURCE OBJECT WAREHOUSE_URL CONFIG_OVERRIDES_JSON

The emulators' environment variables (AIRTABLE_*, HUBSPOT_*, SALESFORCE_*) say where to sync from.
"""

from __future__ import annotations

import json
import os
import sys

from sync_support import fast_config, run_sync

from hub.warehouse import Warehouse


def main() -> None:
    source, name, url, overrides = sys.argv[1:5]
    report = run_sync(source, name, Warehouse(url), dict(os.environ), fast_config(**json.loads(overrides)))
    print(json.dumps(report.metadata(), default=str))


if __name__ == "__main__":
    main()
