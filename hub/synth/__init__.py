"""Seeded synthetic data for every customer-hub source, at any scale, with the truth attached.

- ``generate`` builds a ``hub.sourcedata.SourceData`` snapshot: Airtable, HubSpot and Salesforce
  records in wire format, usage events, and the true company of every source record. By default
  it carries the mess real sources send (``Mess``: emptied fields shaped as each API sends them,
  odd names, very long text, duplicates, orphans, numbers as text, other date forms; see
  docs/synthetic-data.md); ``tidy=True`` gives the mess-free world.
- ``write_usage_logs`` writes the usage events as daily landing files: messy but valid lines and
  files unless ``tidy=True``, optionally with bad lines.
- ``write_funnel_logs`` writes the acquisition funnel's product events (anonymous visitors with
  a source, identified by their Application ID once they apply) as daily JSON Lines files.
- ``entity_records`` lays out company-level records for ``hub.reconcile.resolve_entities``.
- ``company_records`` draws only those company-level records, fast enough for 1M-record
  matching benchmarks (same noise model, no usage or CRM detail); ``variation`` (presets
  ``"classic"`` and ``"hard"`` in ``hub.synth.variation``, rates configurable) sets how hard.
- ``churn_world`` simulates a paying base week by week with churn that has causes, and keeps
  the truth, for the churn model and revenue forecast (``hub.synth.churn``).
"""

from hub.synth.churn import ChurnWorld, churn_world
from hub.synth.entities import ENTITY_COLUMNS, entity_records
from hub.synth.funnel import write_funnel_logs
from hub.synth.mess import Mess
from hub.synth.records import company_records
from hub.synth.snapshot import generate
from hub.synth.usage_logs import write_usage_logs

__all__ = [
    "ENTITY_COLUMNS", "ChurnWorld", "Mess", "churn_world", "company_records", "entity_records", "generate",
    "write_funnel_logs", "write_usage_logs",
]
