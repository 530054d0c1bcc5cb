"""Signed, purpose-bound tokens for subscriber links (confirm, manage, unsubscribe).

A token is ``v1.<purpose>.<subscriber id>.<expiry>.<signature>``: plain ASCII, URL-safe, no state on
the server. A confirm link is ``v2.confirm.<subscriber id>.<expiry>.<offer>.<signature>``: bound to the one
sign-up (its topics, kept as the offer) it was mailed for, so a later sign-up of the same address, by
anyone, never changes what an earlier link confirms (v1 confirm links already mailed keep working until
they expire). The signature is HMAC-SHA256 over everything before it, keyed with a key derived from the
deployment secret, so a token minted for one purpose (say, "manage") never works for another
("unsubscribe"), a confirm token expires, and nobody can make a token for someone else's subscriber id.

Subscriber ids are derived from the normalized address with a *different* derived key, so the id
reveals nothing about the address and cannot be computed by anyone without the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from enum import StrEnum

VERSION = "v1"
BOUND_VERSION = "v2"  # tokens that carry an offer id
_SID_RE = re.compile(r"^[0-9a-f]{32}$")
_OFFER_RE = re.compile(r"^[0-9a-f]{16}$")
_SIG_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_TOKEN_LENGTH = 200


class Purpose(StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


class InvalidToken(Exception):
    """The token is malformed, forged, for another purpose or expired (the caller gets no detail)."""


def _derive(secret: bytes, label: str) -> bytes:
    return hmac.new(secret, f"newsdrop/{label}".encode(), hashlib.sha256).digest()


class TokenSigner:
    """Mints and checks tokens; also owns the keyed subscriber-id function (same secret, other key)."""

    def __init__(self, secret: bytes | str):
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < 16:
            raise ValueError("signing secret must be at least 16 bytes")
        self._token_key = _derive(raw, "token/v1")
        self._id_key = _derive(raw, "subscriber-id/v1")

    # --- subscriber ids ---------------------------------------------------------------------------
    def subscriber_id(self, normalized_email: str) -> str:
        """128-bit keyed hash of the normalized address: stable, unguessable, reveals nothing."""
        return hmac.new(self._id_key, normalized_email.encode(), hashlib.sha256).hexdigest()[:32]

    def keyed_ref(self, kind: str, value: str) -> str:
        """A keyed hash for the limit counters (client IPs, mailboxes, domains): countable, not readable."""
        return hmac.new(self._id_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]

    # --- tokens -----------------------------------------------------------------------------------
    def _sign(self, message: str) -> str:
        digest = hmac.new(self._token_key, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def mint(
        self,
        purpose: Purpose,
        subscriber_id: str,
        *,
        ttl_seconds: int | None = None,
        now: float | None = None,
        offer: str | None = None,
    ) -> str:
        if not _SID_RE.match(subscriber_id):
            raise ValueError("not a subscriber id")
        if offer is not None and not _OFFER_RE.match(offer):
            raise ValueError("not an offer id")
        expiry = 0 if ttl_seconds is None else int((time.time() if now is None else now) + ttl_seconds)
        if offer is None:
            body = f"{VERSION}.{Purpose(purpose).value}.{subscriber_id}.{expiry}"
        else:
            body = f"{BOUND_VERSION}.{Purpose(purpose).value}.{subscriber_id}.{expiry}.{offer}"
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str | None, purpose: Purpose, *, now: float | None = None) -> str:
        """Return the subscriber id the token was minted for, or raise InvalidToken."""
        return self.verify_bound(token, purpose, now=now)[0]

    def verify_bound(
        self, token: str | None, purpose: Purpose, *, now: float | None = None
    ) -> tuple[str, str | None]:
        """(subscriber id, offer id or None for an unbound token), or raise InvalidToken."""
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise InvalidToken("malformed")
        parts = token.split(".")
        if len(parts) == 6 and parts[0] == BOUND_VERSION and _OFFER_RE.match(parts[4]):
            offer: str | None = parts[4]
        elif len(parts) == 5 and parts[0] == VERSION:
            offer = None
        else:
            raise InvalidToken("malformed")
        token_purpose, sid, expiry, signature = parts[1], parts[2], parts[3], parts[-1]
        if not _SID_RE.match(sid) or not expiry.isdigit() or not _SIG_RE.match(signature):
            raise InvalidToken("malformed")
        expected = self._sign(".".join(parts[:-1]))
        # compare the signature before looking at the purpose, so timing says nothing about either
        if not hmac.compare_digest(expected, signature) or token_purpose != Purpose(purpose).value:
            raise InvalidToken("bad signature or purpose")
        exp = int(expiry)
        if exp and exp < (time.time() if now is None else now):
            raise InvalidToken("expired")
        return sid, offer
