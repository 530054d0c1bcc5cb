"""Who may make us send mail, and how often (no AWS here; ``store.DynamoLimits`` keeps the counts).

Limits no outsider can spend for someone else:

* **per reader** (the viewer address CloudFront saw, an IPv6 reader's /64), a token bucket checked by the
  API before anything else: ``API`` for every request but the one-click unsubscribe POST, and the much
  smaller ``MAIL`` for the two requests that make us send an email (sign-up, "email me a link").
* **per mailbox, per requester**: one reader's share of one inbox (``flood+1@``, ``flood-1@`` at providers
  that deliver ``-tag``, ``f.l.o.o.d@gmail.com`` and ``Flood@`` are one inbox). What one reader spends on
  an inbox is theirs: the owner's own sign-up, from their own address, still gets its mail.
* **per mailbox, in all**: a botnet of readers sends at most this many a day to one inbox.
* **per registrable domain, small domains only** (the public suffix list, as shipped with ``tldextract``:
  ``mail.example.co.uk`` is ``example.co.uk``): a company's mail server is not ours to flood. The large
  providers are exempt: a flood of random ``@gmail.com`` sign-ups can no longer silence every Gmail reader.
* **global**: so many confirmation emails an hour in all, with an alarm; the answer to a botnet
  large enough to get past the rest (with the optional WAF web ACL in front).

The exact counts live in ``LimitPolicy`` (the template's parameters can change them).
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple, Protocol

# Providers that deliver ``a.b.c@`` to ``abc@`` (dots in the local part are ignored).
DOTS_IGNORED = frozenset({"gmail.com", "googlemail.com"})
# Providers whose sub-addresses are ``name-tag@`` (Yahoo's disposable addresses, Fastmail's and many
# qmail/Postfix hosts use ``-`` too, but there a hyphen is as often part of the name).
DASH_TAGS = frozenset({"yahoo.com", "ymail.com", "rocketmail.com"})
DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
# Mailbox providers with millions of readers: no per-domain allowance (anyone could spend it for all).
LARGE_PROVIDERS = frozenset(
    {
        "gmail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "ymail.com",
        "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de",
        "gmx.net", "web.de", "mail.ru", "yandex.ru", "qq.com", "163.com", "fastmail.com", "zoho.com",
        "t-online.de", "orange.fr", "free.fr", "libero.it", "comcast.net", "hey.com", "naver.com",
    }
)  # fmt: skip


def canonical_mailbox(address: str) -> str:
    """The inbox an address delivers to, as far as we can tell without asking: ``+tag`` dropped
    (sub-addressing is near-universal), ``-tag`` where the provider uses it, dots dropped where the
    provider ignores them, lower case. Only used to count; mail still goes to the address as given."""
    local, _, domain = address.lower().rpartition("@")
    domain = DOMAIN_ALIASES.get(domain, domain)
    local = local.split("+", 1)[0] or local
    if domain in DASH_TAGS:
        local = local.split("-", 1)[0] or local
    if domain in DOTS_IGNORED:
        local = local.replace(".", "") or local
    return f"{local}@{domain}"


@cache
def _suffixes():
    """The public suffix list as ``tldextract`` ships it: no fetch, no cache directory, at run time."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


def registrable_domain(domain: str) -> str:
    """``mail.example.co.uk`` -> ``example.co.uk``; a host with no known suffix stays as it is."""
    parts = _suffixes()(domain)
    return parts.top_domain_under_public_suffix or domain


def small_domain(mailbox: str) -> str | None:
    """The registrable domain a per-domain allowance is counted on, or None for the large providers."""
    domain = registrable_domain(mailbox.rpartition("@")[2])
    return None if domain in LARGE_PROVIDERS else domain


class Bucket(NamedTuple):
    """A token bucket: ``burst`` tokens, one more every ``interval`` seconds."""

    name: str
    burst: int
    interval: float


class LimitPolicy(NamedTuple):
    api: Bucket = Bucket("api", burst=60, interval=1.0)  # 60 requests at once, then 1/s
    mail: Bucket = Bucket("mail", burst=5, interval=120.0)  # 5 sign-ups at once, then one per 2 minutes
    mailbox_per_requester_day: int = 2  # emails one reader's requests send to one inbox, per 24 h
    mailbox_per_day: int = 6  # confirmations + manage links to one inbox, whoever asked, per 24 h
    domain_per_hour: int = 100  # to one small registrable domain, per hour
    global_per_hour: int = 1000  # confirmations + manage links in all, per hour (alarmed)


class Limits(Protocol):
    """The port the flow uses; ``store.DynamoLimits`` implements it on the subscribers table."""

    def take(self, key: str, bucket: Bucket, *, now: float) -> bool:
        """Take one token from ``key``'s bucket; False if it is empty."""
        ...

    def count(self, key: str, window: int, limit: int, *, now: float) -> bool:
        """Count one more in ``key``'s current ``window``-second window; False past ``limit``."""
        ...
