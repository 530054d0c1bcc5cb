"""Who may make us send mail, and how often (no AWS here; ``store.DynamoLimits`` keeps the counts).

Two kinds of limit, for two kinds of abuse:

* **per client** (the source IP API Gateway saw), a token bucket checked by the API before anything else:
  ``API`` for every request but the one-click unsubscribe POST, and the much smaller ``MAIL`` for the two
  requests that make us send an email (sign-up, "email me a link"). One client cannot mail-bomb, nor
  starve the stage's shared throttle that mailbox providers' unsubscribe POSTs go through.
* **per mailbox and per domain**, checked when a confirmation (or a fresh manage link) is about to be sent,
  whoever asked: ``flood+1@``, ``flood+2@``... and ``f.l.o.o.d@gmail.com`` are one inbox, so they share one
  allowance; and one domain gets at most so many per hour, so a small company's mail server is not ours to
  flood from a botnet of clients.

The exact counts live in ``LimitPolicy`` (the template's parameters can change them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

# Providers that deliver ``a.b.c@`` to ``abc@`` (dots in the local part are ignored).
DOTS_IGNORED = frozenset({"gmail.com", "googlemail.com"})
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}


def canonical_mailbox(address: str) -> str:
    """The inbox an address delivers to, as far as we can tell without asking: ``+tag`` dropped
    (sub-addressing is near-universal), dots dropped where the provider ignores them, lower case.
    Only used to count; mail still goes to the address as given."""
    local, _, domain = address.lower().rpartition("@")
    domain = DOMAIN_ALIASES.get(domain, domain)
    local = local.split("+", 1)[0] or local
    if domain in DOTS_IGNORED:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


@dataclass(frozen=True)
class Bucket:
    """A token bucket: ``burst`` tokens, one more every ``interval`` seconds."""

    name: str
    burst: int
    interval: float


@dataclass(frozen=True)
class LimitPolicy:
    api: Bucket = Bucket("api", burst=60, interval=1.0)  # 60 requests at once, then 1/s
    mail: Bucket = Bucket("mail", burst=5, interval=120.0)  # 5 sign-ups at once, then one per 2 minutes
    mailbox_per_day: int = 3  # confirmations + manage links to one inbox, per 24 h
    domain_per_hour: int = 100  # confirmations + manage links to one domain, per hour


class Limits(Protocol):
    """The port the flow uses; ``store.DynamoLimits`` implements it on the subscribers table."""

    def take(self, key: str, bucket: Bucket, *, now: float) -> bool:
        """Take one token from ``key``'s bucket; False if it is empty."""
        ...

    def count(self, key: str, window: int, limit: int, *, now: float) -> bool:
        """Count one more in ``key``'s current ``window``-second window; False past ``limit``."""
        ...
