"""Each source's whole path in one folder: ``hub/sources/<source>/``

- ``objects.py``: its raw objects (which raw table, typed columns, id and timestamps);
- ``sync.py``: how its objects are read (full and incremental, deletions, pacing, faults);
- ``staging.py``: how its payloads map to the canonical staging rows.

The rest of its story is named there too: its Dagster resource (``resources/<source>.py``: base
URL, auth, client), its raw assets (``assets/<source>.py``), its raw tables (``sql/001_raw.sql``)
and its settings (the ``<source>:`` section of ``hub/defaults.yaml``).
``hub.sources.registry`` lists the sources, their sync entry points and staging mappings.
"""
