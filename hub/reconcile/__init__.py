"""Identity resolution: one trustworthy customer record per real company.

- ``resolve_entities`` / ``resolve`` (``matching``): which source records are the same company:
  tiers over coded features (``features``: ``hub.names``' normalisation applied to whole columns
  by ``names_column`` and ``domains_column``, on bytes shared through ``text_bytes``, with the
  same results value for value), the corroborated name tier (``name_tier``) with
  names one slip apart (``typos``), the cluster-size guard and cannot-links (``graph``), the
  review queue;
- ``assign_customer_ids`` (``ids``): stable ids across runs; a merge keeps the oldest id;
- ``survive``, ``mrr_by_customer``, ``contacts`` (``survivorship``): fields, money and people;
- ``overrides``: must-link / cannot-link pairs from the data team and the review queue;
- ``checks``: what the customers asset checks verify.

``benchmarks/reconcile.py`` measures it against Splink on ``hub.synth.company_records``.
"""

from hub.reconcile.features import XREF_COLUMNS
from hub.reconcile.graph import connected_components
from hub.reconcile.ids import assign_customer_ids, mint_customer_id
from hub.reconcile.matching import RULE_SCORES, RULES, Resolution, resolve, resolve_entities
from hub.reconcile.survivorship import contacts, mrr_by_customer, records_for_matching, survive

__all__ = [
    "RULES", "RULE_SCORES", "XREF_COLUMNS", "Resolution", "assign_customer_ids", "connected_components",
    "contacts", "mint_customer_id", "mrr_by_customer", "records_for_matching", "resolve",
    "resolve_entities", "survive",
]
