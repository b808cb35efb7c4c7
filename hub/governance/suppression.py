"""The suppression list: erased identities, kept only as salted hashes, that must not come back.

``hub erase`` adds the person's email addresses and source records; raw landing (``hub.raw``)
asks :meth:`Suppressions.matches` of every record before landing it and counts what it skips, so
the next sync does not bring an erased person back and reports that the source still holds them.
The usage ingest (``hub.usage_suppression``) asks the same of each distinct customer id and
user id of the events it reads. The hashes are HMAC-SHA256 keyed by ``HUB_ERASURE_SALT``: without the secret the list reveals
nothing, not even by hashing a dictionary of addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hub.config import erasure_salt
from hub.warehouse import Warehouse, utcnow

SALT_CHECK = "customer-hub erasure salt check"
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


class SuppressionError(RuntimeError):
    """The suppression list cannot be consulted: the secret is missing or not the one it was made with."""


def _missing_salt(what: str) -> SuppressionError:
    return SuppressionError(
        f"{what} needs HUB_ERASURE_SALT, the secret that keys the hashes of erased people: set it to a long "
        "random value (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`), keep it with the "
        "deployment's other secrets and never change it (docs/governance.md)")


def email_key(address: str) -> str:
    return "email:" + address.strip().lower()


def record_key(source: str, source_object: str, source_id: str) -> str:
    return f"record:{source}:{source_object}:{source_id}"


def customer_key(usage_ref: str) -> str:
    """An erased customer, by an id usage events name it by (``customer_id`` in a usage line)."""
    return "customer:" + usage_ref.strip()


def user_key(user_id: str) -> str:
    """An erased person, by the ``user_id`` their product usage events carried."""
    return "user:" + user_id.strip().lower()


def identity_hash(salt: bytes, key: str) -> str:
    return hmac.new(salt, key.encode(), hashlib.sha256).hexdigest()


@dataclass
class Suppressions:
    """The erased identities of one warehouse, read once (a sync reads it when it starts)."""

    hashes: frozenset[str]
    salt: bytes | None

    @classmethod
    def load(cls, warehouse: Warehouse, salt: bytes | None = None) -> Suppressions:
        """The list; an empty list needs no secret, a non-empty one needs the one it was made with."""
        salt = salt if salt is not None else erasure_salt()
        table = warehouse.table("raw", "erasure_suppressions")
        with warehouse.engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.identity_hash, table.c.kind)).all()
        if not rows:
            return cls(frozenset(), salt)
        if salt is None:
            raise _missing_salt(f"raw.erasure_suppressions holds {len(rows) - 1} erased identities; landing")
        check = {h for h, kind in rows if kind == "salt_check"}
        if check and identity_hash(salt, SALT_CHECK) not in check:
            raise SuppressionError("HUB_ERASURE_SALT is not the secret raw.erasure_suppressions was made with: "
                                   "restore the original value (erased people would otherwise come back)")
        return cls(frozenset(h for h, kind in rows if kind != "salt_check"), salt)

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def matches(self, source: str, source_object: str, source_id: str, payload_text: str) -> bool:
        """Whether a source record is an erased record, or names an erased email address anywhere."""
        if not self.hashes or self.salt is None:
            return False
        if identity_hash(self.salt, record_key(source, source_object, source_id)) in self.hashes:
            return True
        return any(identity_hash(self.salt, email_key(m)) in self.hashes for m in set(EMAIL.findall(payload_text)))

    def email_erased(self, address: str) -> bool:
        return bool(self.hashes and self.salt and identity_hash(self.salt, email_key(address)) in self.hashes)

    def names_erased_email(self, text: str) -> bool:
        """Whether ``text`` holds an erased email address anywhere."""
        return bool(self.hashes) and any(self.email_erased(m) for m in set(EMAIL.findall(text)))

    def customer_erased(self, usage_ref: str) -> bool:
        return bool(self.hashes and self.salt and identity_hash(self.salt, customer_key(usage_ref)) in self.hashes)

    def user_erased(self, user_id: str) -> bool:
        """A usage ``user_id`` that is an erased user, or is or holds an erased email address."""
        if not self.hashes or self.salt is None:
            return False
        return identity_hash(self.salt, user_key(user_id)) in self.hashes or self.names_erased_email(user_id)


def suppress(warehouse: Warehouse, conn: Connection, erasure_id: str, keys: Iterable[str], salt: bytes) -> int:
    """Add identities (``email_key``/``record_key`` texts) to the list in ``conn``'s transaction."""
    now = utcnow().isoformat()
    rows = [{"identity_hash": identity_hash(salt, SALT_CHECK), "kind": "salt_check", "erasure_id": "salt",
             "erased_at": now}]
    rows += [{"identity_hash": identity_hash(salt, k), "kind": k.split(":", 1)[0], "erasure_id": erasure_id,
              "erased_at": now} for k in sorted(set(keys))]
    warehouse.write("raw", "erasure_suppressions", rows, key=["identity_hash"], update=[], conn=conn)
    return len(rows) - 1


def require_salt() -> bytes:
    salt = erasure_salt()
    if salt is None:
        raise _missing_salt("hub erase")
    return salt
