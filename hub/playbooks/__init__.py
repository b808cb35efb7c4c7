"""Playbooks: what the hub does when an alert opens (HUB_CONFIG ``playbooks``, docs/playbooks.md).

``config`` reads and checks them, ``plan`` turns open alerts into actions with stable ids, and
``execute`` carries each out once through the ``actions`` ledger; ``hub.pipeline.playbooks`` is
the step, ``assets.playbooks`` the asset.
"""
