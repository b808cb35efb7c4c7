"""Usage lines of erased people and customers, held back at ingest (docs/governance.md, "No resurrection").

``hub erase`` puts an erased customer's usage ids (``customer:<id>``) and a person's email
addresses (and the ``user:<id>`` their events carried) on the suppression list. The usage ingest
asks it about each *distinct* customer id and user id of a read's events — hashed once per run,
not once per line — and drops the matching events in Arrow before they reach the Parquet store,
so they reach ``usage_daily`` neither. A quarantined line is held back when it names an erased
email address anywhere, or (JSON) an erased ``customer_id`` / ``user_id``: the quarantine keeps
line text. Each read counts them as ``lines_suppressed``: lines in = loaded + quarantined + suppressed.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from hub.governance.suppression import Suppressions
from hub.usage_files import Segment
from hub.warehouse import Warehouse

_JSON_IDS = re.compile(r'"(customer_id|user_id)"\s*:\s*"([^"\\]*)"')


def line_ids(line: str) -> list[tuple[str, str]]:
    """The ``customer_id`` and ``user_id`` a JSON usage line names, read without parsing it (it may be bad)."""
    return [(field, value.strip()) for field, value in _JSON_IDS.findall(line) if value.strip()]


class UsageSuppression:
    """The suppression list as the usage ingest asks it, with each answer kept for the run."""

    def __init__(self, suppressions: Suppressions) -> None:
        self._list = suppressions
        self._answers: dict[tuple[str, str], bool] = {}
        self._seen: dict[str, pa.Array] = {}         # per field: the values asked about already
        self._erased: dict[str, list[str]] = {}      # per field: those of them that are erased

    @classmethod
    def load(cls, warehouse: Warehouse) -> UsageSuppression:
        """Read ``raw.erasure_suppressions`` (a non-empty list needs HUB_ERASURE_SALT, as a sync does)."""
        return cls(Suppressions.load(warehouse))

    def __bool__(self) -> bool:
        return bool(self._list)

    def erased(self, field: str, value: str) -> bool:
        """Whether a usage line's ``customer_id`` or ``user_id`` is an erased identity."""
        answer = self._answers.get((field, value))
        if answer is None:
            answer = (self._list.customer_erased(value) if field == "customer_id"
                      else self._list.user_erased(value))
            self._answers[(field, value)] = answer
        return answer

    def _erased_values(self, column: pa.ChunkedArray, field: str) -> pa.Array:
        """The erased values of ``column``: only values not met before in this run go to Python."""
        distinct = pc.unique(column.drop_null().cast(pa.string()))
        seen = self._seen.get(field)
        new = distinct if seen is None else distinct.filter(pc.invert(pc.is_in(distinct, value_set=seen)))
        if len(new):
            self._seen[field] = new if seen is None else pa.concat_arrays([seen, new])
            self._erased.setdefault(field, []).extend(v for v in new.to_pylist() if self.erased(field, v))
        return pa.array(self._erased.get(field, []), pa.string())

    def hold_back(self, segment: Segment) -> int:
        """Remove from ``segment`` the events and quarantined lines of erased identities; how many."""
        if not self._list:
            return 0
        events = segment.events()
        segment.tables, segment.rows = [events], []  # the line-by-line rows made a table once
        refs = self._erased_values(events["customer_ref"], "customer_id")
        users = self._erased_values(events["user_id"], "user_id")
        held = 0
        if len(refs) or len(users):
            drop = pc.or_(pc.is_in(events["customer_ref"], value_set=refs),
                          pc.fill_null(pc.is_in(events["user_id"], value_set=users), False))
            held = int(pc.sum(drop).as_py() or 0)
            if held:
                segment.tables = [events.filter(pc.invert(drop))]
        kept = [q for q in segment.quarantined if not self._names_erased(q[2])]
        held += len(segment.quarantined) - len(kept)
        segment.quarantined = kept
        segment.suppressed += held
        return held

    def _names_erased(self, line: str) -> bool:
        if self._list.names_erased_email(line):
            return True
        return any(self.erased(field, value) for field, value in line_ids(line))
