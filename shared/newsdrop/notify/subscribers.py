"""Subscribers: address validation, topics, matching, and the double opt-in flow (no AWS in here).

The flow runs against two small ports, a ``SubscriberRepo`` (``subscriber_store.DynamoSubscriberStore``
in Lambda, an in-memory fake in tests) and a ``Mailer`` (``email.SesMailer``), so every rule is tested
without AWS:

* an address is stored once, under ``subscriber_id = HMAC(secret, normalized address)``; every other
  record (topic index, delivery ledger, queue messages, logs) refers to that id only;
* nothing but the confirmation mail goes to an unconfirmed address, and at most one confirmation per
  ``cooldown`` per address and a few per mailbox and domain (``limits``), whoever asks; the API only
  validates and queues, so its answer is the same, after the same work, whatever happened: the endpoint
  does not tell who is subscribed;
* suppressed addresses (hard bounce, complaint) are never mailed again, not even a confirmation;
  unsubscribed people can sign up again, through a fresh double opt-in.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, Protocol

from newsdrop.notify.limits import Bucket, LimitPolicy, Limits, canonical_mailbox, small_domain
from newsdrop.notify.mailer import Mailer, MailSettings
from newsdrop.notify.messages import MailRequest
from newsdrop.notify.tokens import InvalidToken, Purpose, TokenSigner
from newsdrop.notify.topics import (  # noqa: F401 (re-exported: the flow's callers name them from here)
    EVERYTHING,
    MAX_TOPICS,
    InvalidTopics,
    match_reason,
    normalize_topic,
    normalize_topics,
)

logger = logging.getLogger(__name__)

SHARDS = 16  # topic-index partitions per topic; fixed: changing it means re-writing the index
CONFIRM_TTL_SECONDS = 72 * 3600
CONFIRM_COOLDOWN_SECONDS = 15 * 60
MANAGE_TTL_SECONDS = 90 * 24 * 3600  # every notification carries a fresh one
MANAGE_LINK_TTL_DAYS = 7  # the link mailed on request

# --- addresses ------------------------------------------------------------------------------------


class InvalidEmail(ValueError):
    """Not an address we can mail; the message is safe to show the caller (it never echoes input)."""


def normalize_email(raw: object) -> str:
    """Validate and normalize an address (``Ann@Example.COM `` -> ``ann@example.com``) with
    ``email-validator``: RFC 5322 dot-atom local parts only (no quoted strings, comments or display
    names, so nothing that could smuggle a header), domains by IDNA 2008 (``faß.example`` stays
    ``faß``, as ``xn--fa-hia.example``, not IDNA 2003's ``fass.example``), a real-looking domain. The local
    part is lowercased: it is case-insensitive at every mailbox provider that matters, and one person must
    map to one subscriber id. ASCII local parts only: SES does not send to SMTPUTF8 mailboxes.
    """
    if not isinstance(raw, str):
        raise InvalidEmail("email must be a string")
    value = raw.strip()
    if not value:
        raise InvalidEmail("email is required")
    if len(value) > 254:
        raise InvalidEmail("email is too long")
    from email_validator import EmailNotValidError, validate_email  # first use, not cold start

    try:
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise InvalidEmail("email must look like name@example.com") from None
    local, _, domain = result.ascii_email.rpartition("@")
    normalized = f"{local.lower()}@{domain.lower()}"
    if len(local) > 64 or len(normalized) > 254:  # RFC 5321's limits, which SES enforces
        raise InvalidEmail("email is too long")
    return normalized


def email_ref(address: str) -> str:
    """A short, non-reversible reference for logs (never log the address itself)."""
    return hashlib.sha256(b"newsdrop-log:" + address.strip().lower().encode()).hexdigest()[:10]


def shard_of(sid: str) -> int:
    return int(sid[:8], 16) % SHARDS


# --- the stored record ----------------------------------------------------------------------------


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    SUPPRESSED = "suppressed"


@dataclass(kw_only=True)
class Subscriber:
    """The one record that holds an address. Everything else refers to ``sid``."""

    sid: str
    email: str
    status: SubscriberStatus
    topics: list[str] = field(default_factory=list)
    everything: bool = False
    pending_topics: list[str] = field(default_factory=list)  # what the last opt-in request asked for
    pending_everything: bool = False
    created_at: int = 0
    confirm_sent_at: int = 0
    confirmed_at: int = 0
    updated_at: int = 0
    suppressed_reason: str | None = None
    epoch: int = 0  # one more each time the address leaves: offers made before it are void

    @property
    def mailable(self) -> bool:
        return self.status == SubscriberStatus.CONFIRMED


class Offer(NamedTuple):
    """What one confirmation mail offered: its link confirms exactly this, and nothing after a leave."""

    topics: list[str]
    everything: bool
    epoch: int = 0


class SubscriberRepo(Protocol):
    def get(self, sid: str) -> Subscriber | None: ...

    def claim_confirmation(
        self,
        sid: str,
        email: str,
        topics: list[str],
        everything: bool,
        *,
        now: int,
        cooldown: int,
        requester: str = "",
    ) -> str | None:
        """Atomically record a (re)subscription request and the right to send one confirmation mail, and
        keep what it offers: the new offer's id, only if the address is new, or pending/unsubscribed with
        no confirmation to the same requester since ``now - cooldown``. Confirmed and suppressed
        subscribers are left untouched (None)."""
        ...

    def release_confirmation(self, sid: str, claimed_at: int) -> None: ...

    def offer(self, sid: str, offer_id: str) -> Offer | None: ...

    def confirm(self, sid: str, *, now: int, offer: Offer | None = None) -> Subscriber | None:
        """pending -> confirmed (the offer's topics, else the pending ones, become the topics, index items
        written); idempotent for an already confirmed subscriber; None for unknown/unsubscribed/suppressed."""
        ...

    def set_preferences(
        self, sid: str, topics: list[str], everything: bool, *, now: int
    ) -> Subscriber | None: ...

    def unsubscribe(self, sid: str, *, now: int) -> bool: ...

    def suppress(self, sid: str, reason: str, *, now: int) -> bool: ...


# --- the flow -------------------------------------------------------------------------------------


class SubscribeOutcome(StrEnum):
    """For logs and metrics only: the HTTP answer is the same 202 for all of these."""

    CONFIRMATION_SENT = "confirmation_sent"
    COOLDOWN = "cooldown"  # pending, a confirmation went out recently
    NOTHING_TO_DO = "nothing_to_do"  # already confirmed, or suppressed
    LIMITED = "limited"  # the mailbox or its domain had its allowance of confirmations


class MailRequestQueue(Protocol):
    """Where the API puts every accepted sign-up and link request; the confirmations function sends."""

    def put(self, request: MailRequest) -> None: ...


class TagCatalog(Protocol):
    """The site's tags (``store.DynamoTagCatalog`` reads the site table): topics must be among them."""

    def unknown(self, topics: Sequence[str]) -> list[str]: ...


class PreferencesChange(NamedTuple):
    follow: list[str]
    unfollow: list[str]
    everything: bool | None = None  # None: leave as is
    replace: list[str] | None = None  # set the topic list outright


class SubscriptionService:
    """The double opt-in, split where the timing of the answer could tell who is subscribed:

    * the API side (``request_subscription``, ``request_manage_link``) validates and queues; it does
      exactly the same work whoever the address belongs to;
    * the queue side (``subscribe``, ``send_manage_link``) reads the subscriber, applies the cooldown and
      the mailbox and domain limits, and sends the email, or not.
    """

    def __init__(
        self,
        repo: SubscriberRepo,
        mailer: Mailer,
        signer: TokenSigner,
        settings: MailSettings,
        *,
        clock: Callable[[], float] | None = None,
        cooldown: int = CONFIRM_COOLDOWN_SECONDS,
        queue: MailRequestQueue | None = None,
        limits: Limits | None = None,
        policy: LimitPolicy | None = None,
        catalog: TagCatalog | None = None,
        on_cap: Callable[[], None] | None = None,
    ):
        self.repo = repo
        self.mailer = mailer
        self.signer = signer
        self.settings = settings
        self.clock = clock or (lambda: time.time())  # looked up when called: a test can pin the hour
        self.cooldown = cooldown
        self.queue = queue
        self.limits = limits
        self.policy = policy or LimitPolicy()
        self.catalog = catalog
        self.on_cap = on_cap  # the global hourly cap was reached (a metric, alarmed)

    def _now(self) -> int:
        return int(self.clock())

    # --- the API side ---
    def request_subscription(
        self, raw_email: object, raw_topics: object = None, everything: object = None, *, requester: str = ""
    ) -> None:
        """Validate and queue a sign-up. Raises InvalidEmail / InvalidTopics for bad input: a topic that
        is not a tag of the site is refused here, so it never reaches an email."""
        address, topics, follow_all = _subscription_input(raw_email, raw_topics, everything)
        self._check_known(topics)
        self._queue().put(
            MailRequest(
                kind="confirm",
                email=address,
                topics=topics,
                everything=follow_all,
                requester=self._requester(requester),
            )
        )

    def request_manage_link(self, raw_email: object, *, requester: str = "") -> None:
        """Validate and queue "email me a fresh link"; a stranger's address costs the same as a subscriber's."""
        self._queue().put(
            MailRequest(kind="manage", email=normalize_email(raw_email), requester=self._requester(requester))
        )

    def _requester(self, network: str) -> str:
        return self.signer.keyed_ref("requester", network) if network else ""

    def _check_known(self, topics: list[str]) -> None:
        if self.catalog is None or not topics:
            return
        unknown = self.catalog.unknown(topics)
        if unknown:
            raise InvalidTopics("not a topic of this site: " + ", ".join(unknown[:5]))

    def allow_client(self, client: str, bucket: Bucket) -> bool:
        """The per-client token bucket (the API's, before anything else)."""
        if self.limits is None:
            return True
        return self.limits.take(self.signer.keyed_ref("client", client), bucket, now=self.clock())

    def _queue(self) -> MailRequestQueue:
        if self.queue is None:
            raise RuntimeError("no mail request queue wired")
        return self.queue

    # --- the queue side ---
    def handle(self, request: MailRequest) -> SubscribeOutcome:
        if request.kind == "manage":
            return self.send_manage_link(request.email, requester=request.requester)
        return self.subscribe(request.email, request.topics, request.everything, requester=request.requester)

    def _allow_mail(self, address: str, requester: str, now: int) -> bool:
        """The allowances, cheapest for an outsider to spend first, each charged only if the ones before
        it passed: the requester's own share of this mailbox, the mailbox's daily total, the small
        domain's hourly total, and the global hourly cap (alarmed)."""
        if self.limits is None:
            return True
        policy, ref = self.policy, self.signer.keyed_ref
        mailbox = canonical_mailbox(address)
        checks = [
            (ref("mailbox-requester", f"{mailbox} {requester}"), 24 * 3600, policy.mailbox_per_requester_day),
            (ref("mailbox", mailbox), 24 * 3600, policy.mailbox_per_day),
        ]
        domain = small_domain(mailbox)
        if domain is not None:
            checks.append((ref("domain", domain), 3600, policy.domain_per_hour))
        for key, window, limit in checks:
            if not self.limits.count(key, window, limit, now=now):
                return False
        if not self.limits.count("global", 3600, policy.global_per_hour, now=now):
            logger.warning(
                "global hourly cap of confirmation emails reached", extra={"cap": policy.global_per_hour}
            )
            if self.on_cap is not None:
                self.on_cap()
            return False
        return True

    def subscribe(
        self, raw_email: object, raw_topics: object = None, everything: object = None, *, requester: str = ""
    ) -> SubscribeOutcome:
        """Start (or restart) a double opt-in: one confirmation email, unless a cooldown or a limit says
        no. Raises InvalidEmail / InvalidTopics for bad input."""
        address, topics, follow_all = _subscription_input(raw_email, raw_topics, everything)
        sid = self.signer.subscriber_id(address)
        now = self._now()
        offer = self.repo.claim_confirmation(
            sid, address, topics, follow_all, now=now, cooldown=self.cooldown, requester=requester
        )
        if offer is None:
            current = self.repo.get(sid)
            outcome = (
                SubscribeOutcome.COOLDOWN
                if current is not None
                and current.status in (SubscriberStatus.PENDING, SubscriberStatus.UNSUBSCRIBED)
                else SubscribeOutcome.NOTHING_TO_DO
            )
            logger.info("subscribe request", extra={"sid": sid[:12], "outcome": outcome.value})
            return outcome
        if not self._allow_mail(address, requester, now):
            self.repo.release_confirmation(sid, now)
            logger.info("subscribe request", extra={"sid": sid[:12], "outcome": "limited"})
            return SubscribeOutcome.LIMITED
        confirm_token = self.signer.mint(
            Purpose.CONFIRM, sid, ttl_seconds=CONFIRM_TTL_SECONDS, now=now, offer=offer
        )
        # Imported here, not with this module: the stores, fan-out and feedback import it and never
        # render; the functions that do (subscribe, confirmations) import the renderer with their handler.
        from newsdrop.notify.email import render_confirmation

        message = render_confirmation(
            self.settings,
            address,
            confirm_url=self.settings.link("/confirm", confirm_token),
            topics=topics,
            everything=follow_all,
        )
        try:
            self.mailer.send(message)
        except Exception:
            # let the person try again right away instead of waiting out a cooldown for a mail never sent
            self.repo.release_confirmation(sid, now)
            raise
        logger.info("subscribe request", extra={"sid": sid[:12], "outcome": "confirmation_sent"})
        return SubscribeOutcome.CONFIRMATION_SENT

    def send_manage_link(self, raw_email: object, *, requester: str = "") -> SubscribeOutcome:
        """A fresh manage link, to a confirmed subscriber only (nobody else learns anything either way)."""
        address = normalize_email(raw_email)
        sid = self.signer.subscriber_id(address)
        now = self._now()
        current = self.repo.get(sid)
        if current is None or current.status != SubscriberStatus.CONFIRMED:
            return SubscribeOutcome.NOTHING_TO_DO
        if not self._allow_mail(address, requester, now):
            return SubscribeOutcome.LIMITED
        token = self.signer.mint(Purpose.MANAGE, sid, ttl_seconds=MANAGE_LINK_TTL_DAYS * 24 * 3600, now=now)
        from newsdrop.notify.email import render_manage_link  # as render_confirmation above

        self.mailer.send(
            render_manage_link(
                self.settings,
                current.email,
                manage_url=self.settings.link("/preferences", token),
                ttl_days=MANAGE_LINK_TTL_DAYS,
            )
        )
        logger.info("manage link sent", extra={"sid": sid[:12]})
        return SubscribeOutcome.CONFIRMATION_SENT

    # --- the links ---
    def check_confirm(self, token: str | None) -> Offer | None:
        """What the link confirms (None: an unbound link mailed before offers, for the pending topics);
        InvalidToken when it confirms nothing: forged, expired, or made void by a later unsubscribe."""
        sid, offer_id = self.signer.verify_bound(token, Purpose.CONFIRM, now=self._now())
        current = self.repo.get(sid)
        if current is None:
            raise InvalidToken("nothing to confirm")
        if offer_id is None:
            if current.epoch:  # an unbound link from before a leave
                raise InvalidToken("link made before the address left")
            return None
        offer = self.repo.offer(sid, offer_id)
        if offer is None or offer.epoch != current.epoch:
            raise InvalidToken("no such offer, or made before the address left")
        return offer

    def confirm(self, token: str | None) -> Subscriber:
        offer = self.check_confirm(token)
        sid = self.signer.verify(token, Purpose.CONFIRM, now=self._now())
        subscriber = self.repo.confirm(sid, now=self._now(), offer=offer)
        if subscriber is None:
            raise InvalidToken("nothing to confirm")
        logger.info("subscriber confirmed", extra={"sid": sid[:12]})
        return subscriber

    def preferences(self, token: str | None) -> Subscriber:
        sid = self.signer.verify(token, Purpose.MANAGE, now=self._now())
        subscriber = self.repo.get(sid)
        if subscriber is None:
            raise InvalidToken("unknown subscriber")
        return subscriber

    def update_preferences(self, token: str | None, change: PreferencesChange) -> Subscriber:
        current = self.preferences(token)
        if current.status != SubscriberStatus.CONFIRMED:
            raise InvalidToken("not an active subscription")
        follow = normalize_topics(change.follow)
        unfollow = set(normalize_topics(change.unfollow))
        base = normalize_topics(change.replace) if change.replace is not None else current.topics
        topics = sorted((set(base) | set(follow)) - unfollow)
        self._check_known(sorted(set(topics) - set(current.topics)))  # what one follows may have gone since
        if len(topics) > MAX_TOPICS:
            raise InvalidTopics(f"at most {MAX_TOPICS} topics")
        everything = current.everything if change.everything is None else bool(change.everything)
        updated = self.repo.set_preferences(current.sid, topics, everything, now=self._now())
        if updated is None:
            raise InvalidToken("not an active subscription")
        logger.info(
            "preferences updated",
            extra={"sid": current.sid[:12], "topics": len(topics), "everything": everything},
        )
        return updated

    def check_unsubscribe(self, token: str | None) -> str:
        return self.signer.verify(token, Purpose.UNSUBSCRIBE)

    def unsubscribe(self, token: str | None) -> None:
        """One click, idempotent; an unknown subscriber id (valid signature) is simply nothing to do."""
        sid = self.signer.verify(token, Purpose.UNSUBSCRIBE)
        changed = self.repo.unsubscribe(sid, now=self._now())
        logger.info("unsubscribed", extra={"sid": sid[:12], "changed": changed})

    def manage_token(self, sid: str) -> str:
        """Manage links expire (they open a page that shows the masked address and changes topics);
        every notification carries a fresh one, and ``request_manage_link`` mails one on request."""
        return self.signer.mint(Purpose.MANAGE, sid, ttl_seconds=MANAGE_TTL_SECONDS, now=self._now())

    def unsubscribe_token(self, sid: str) -> str:
        return self.signer.mint(Purpose.UNSUBSCRIBE, sid)


def _subscription_input(
    raw_email: object, raw_topics: object, everything: object
) -> tuple[str, list[str], bool]:
    address = normalize_email(raw_email)
    topics = normalize_topics(raw_topics)
    if everything is not None and not isinstance(everything, bool):
        raise InvalidTopics("everything must be true or false")
    return address, topics, bool(everything) or not topics  # no topics named: every new post


def suppress_addresses(
    repo: SubscriberRepo,
    signer: TokenSigner,
    addresses: Iterable[str],
    reason: str,
    *,
    now: int | None = None,
) -> int:
    """Bounce/complaint feedback: mark each known address suppressed. Returns how many changed."""
    changed = 0
    for raw in addresses:
        try:
            sid = signer.subscriber_id(normalize_email(raw))
        except InvalidEmail:
            logger.warning("feedback for an unparseable address", extra={"ref": email_ref(str(raw))})
            continue
        if repo.suppress(sid, reason, now=int(time.time()) if now is None else now):
            changed += 1
        logger.info("address suppressed", extra={"sid": sid[:12], "reason": reason})
    return changed


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def preferences_view(subscriber: Subscriber) -> dict[str, object]:
    return {
        "email": mask_email(subscriber.email),
        "status": subscriber.status.value,
        "topics": subscriber.topics,
        "everything": subscriber.everything,
    }
