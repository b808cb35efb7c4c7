"""``hub serve-events``: the receiver on uvicorn, over HUB_WAREHOUSE_URL."""

from __future__ import annotations

import uvicorn

from hub.config import load_config, settings
from hub.events.app import ReceiverSettings, create_app
from hub.warehouse import Warehouse


def serve(host: str, port: int, *, workers_log_level: str = "warning") -> int:
    """Migrate the warehouse, then serve until stopped."""
    s = settings()
    config = load_config(s.config_file)
    warehouse = Warehouse(s.warehouse_url)
    warehouse.migrate()  # raw.events must exist before the first 2xx
    receiver = ReceiverSettings.from_config(config.get("events"))
    print(f"receiving events on http://{host}:{port}/events into {warehouse.describe()} "
          f"(bodies up to {receiver.max_body_bytes} bytes, signed timestamps within "
          f"{receiver.max_age_seconds:.0f} s)", flush=True)
    # proxy_headers: behind a TLS-terminating proxy the scheme and client come from X-Forwarded-*.
    uvicorn.run(create_app(warehouse, receiver), host=host, port=port, log_level=workers_log_level,
                proxy_headers=True, access_log=False)
    return 0
