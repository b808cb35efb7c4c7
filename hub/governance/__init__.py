"""Governance (issue 15, docs/governance.md): erasure across every layer (``erase``, ``subject``),
the suppression list that keeps erased people out (``suppression``), retention (``retention``),
the audit log (``audit``) and where personal data lives (``tables``)."""
