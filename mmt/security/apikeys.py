"""API keys: creation, lookup and revocation.

A key is 32 random bytes (``secrets.token_urlsafe``) behind the prefix
``mmt_``. Only its SHA-256 is stored. Slow password hashes such as scrypt
exist for passwords people can guess. A random 256-bit key cannot be
guessed, so a fast hash is as safe and keeps the check on every request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mmt.errors import ConflictError, NotFoundError, ValidationError
from mmt.security.models import ROLES, ApiKey
from mmt.storage.models import utc_now

KEY_PREFIX = "mmt_"
# A bootstrap key from the environment must be at least this long.
MIN_BOOTSTRAP_LENGTH = 20
BOOTSTRAP_NAME = "bootstrap-admin"


@dataclass(frozen=True, slots=True)
class Caller:
    """The sender of a request: its key's name and role."""

    name: str
    role: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role}


def hash_key(key: str) -> str:
    """Return the hex SHA-256 of ``key``."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(session: Session, name: str, role: str) -> tuple[ApiKey, str]:
    """Store a new key and return its row and the key itself (shown only now)."""
    name = (name or "").strip()
    if not name or len(name) > 128 or not name.isprintable():
        raise ValidationError("A key needs a printable name of 1 to 128 characters.", code="invalid_key_name",
                              status=400, details={"name": name[:128]})
    if role not in ROLES:
        raise ValidationError(f"Unknown role '{role}'. Use one of: {', '.join(ROLES)}.", code="invalid_role",
                              status=400, details={"role": role, "accepted": list(ROLES)})
    if name == BOOTSTRAP_NAME or session.scalar(sa.select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise ConflictError(f"A key named '{name}' already exists; revoke it or choose another name.",
                            code="duplicate_key_name", details={"name": name})
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, role=role, key_hash=hash_key(key), prefix=key[:8])
    session.add(row)
    session.flush()
    return row, key


def revoke_api_key(session: Session, name: str) -> ApiKey:
    """Revoke the key called ``name``; later requests with it get 401."""
    row = session.scalar(sa.select(ApiKey).where(ApiKey.name == name))
    if row is None:
        raise NotFoundError(f"No key named '{name}'.", code="key_not_found", details={"name": name})
    if row.revoked_at is None:
        row.revoked_at = utc_now()
        session.flush()
    return row


def list_api_keys(session: Session) -> list[ApiKey]:
    """Return every key, oldest first (hashes included; do not show them)."""
    return list(session.scalars(sa.select(ApiKey).order_by(ApiKey.id)))


def identify(session: Session, presented: str, bootstrap_key: str | None = None) -> Caller | None:
    """Return the caller a presented key belongs to, or None for an unknown or revoked key."""
    if not presented or len(presented) > 512:
        return None
    digest = hash_key(presented)
    if bootstrap_key and hmac.compare_digest(digest, hash_key(bootstrap_key)):
        return Caller(BOOTSTRAP_NAME, "admin")
    row = session.execute(
        sa.select(ApiKey.name, ApiKey.role).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    ).first()
    return Caller(row.name, row.role) if row is not None else None
