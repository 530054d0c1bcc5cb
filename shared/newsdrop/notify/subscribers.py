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
import json
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from newsdrop.models import compact_json, tag_key
from newsdrop.notify.limits import Bucket, LimitPolicy, Limits, canonical_mailbox
from newsdrop.notify.tokens import InvalidToken, Purpose, TokenSigner

if TYPE_CHECKING:
    from newsdrop.notify.email import Mailer, MailSettings

logger = logging.getLogger(__name__)

EVERYTHING = "*"  # the topic-index partition of people who follow everything
MAX_TOPICS = 40  # a preferences change (profile + old and new index items) fits one 100-item transaction
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


# --- topics ---------------------------------------------------------------------------------------


class InvalidTopics(ValueError):
    pass


def normalize_topic(raw: object) -> str:
    """A followed topic is a tag key, made exactly as articles' tags are (``newsdrop.models.tag_key``):
    ``"Global News"``, ``"#global-news"`` -> ``"global-news"``; ``"São Paulo"`` -> ``"sao-paulo"``."""
    if not isinstance(raw, str):
        raise InvalidTopics("topics must be strings")
    value = tag_key(raw)
    if not value or len(value) > 64:
        raise InvalidTopics("a topic must be 1-64 letters, digits or hyphens")
    return value


def normalize_topics(raw: object) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        raise InvalidTopics("topics must be a list of tag keys")
    topics = sorted({normalize_topic(item) for item in raw})
    if len(topics) > MAX_TOPICS:
        raise InvalidTopics(f"at most {MAX_TOPICS} topics")
    return topics


def match_reason(article_tags: Sequence[str], topics: Iterable[str], everything: bool) -> str | None:
    """Why this subscriber gets this article: the first of the article's tags they follow, in the
    article's order, else ``EVERYTHING`` if they follow everything, else None (they don't get it).

    The fan-out reads one topic-index partition per tag and emits a subscriber only from the partition
    named by this function, so someone following three of the article's tags is enqueued once.
    """
    followed = set(topics)
    for tag in article_tags:
        if tag in followed:
            return tag
    return EVERYTHING if everything else None


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

    @property
    def mailable(self) -> bool:
        return self.status == SubscriberStatus.CONFIRMED


class SubscriberRepo(Protocol):
    def get(self, sid: str) -> Subscriber | None: ...

    def claim_confirmation(
        self, sid: str, email: str, topics: list[str], everything: bool, *, now: int, cooldown: int
    ) -> bool:
        """Atomically record a (re)subscription request and the right to send one confirmation mail:
        True only if the address is new, or pending/unsubscribed with no confirmation since
        ``now - cooldown``. Confirmed and suppressed subscribers are left untouched (False)."""
        ...

    def release_confirmation(self, sid: str, claimed_at: int) -> None: ...

    def confirm(self, sid: str, *, now: int) -> Subscriber | None:
        """pending -> confirmed (pending topics become the topics, index items written); idempotent for
        an already confirmed subscriber; None for unknown/unsubscribed/suppressed."""
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


@dataclass(kw_only=True)
class MailRequest:
    """One queued request for an email. Carries the address (nowhere else but the profile does): the
    queue is encrypted and keeps messages a day."""

    kind: str  # "confirm" | "manage"
    email: str
    topics: list[str] = field(default_factory=list)
    everything: bool = False

    def to_json(self) -> str:
        return compact_json(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> MailRequest:
        """Raises ValueError for a body that is not a request (only the API writes them)."""
        try:
            data = json.loads(text)
            return cls(
                kind=str(data["kind"]),
                email=str(data["email"]),
                topics=[str(t) for t in data.get("topics") or []],
                everything=bool(data.get("everything", False)),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a mail request: {exc!r}") from exc


@dataclass(frozen=True)
class PreferencesChange:
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
        clock=time.time,
        cooldown: int = CONFIRM_COOLDOWN_SECONDS,
        queue: MailRequestQueue | None = None,
        limits: Limits | None = None,
        policy: LimitPolicy | None = None,
    ):
        self.repo = repo
        self.mailer = mailer
        self.signer = signer
        self.settings = settings
        self.clock = clock
        self.cooldown = cooldown
        self.queue = queue
        self.limits = limits
        self.policy = policy or LimitPolicy()

    def _now(self) -> int:
        return int(self.clock())

    # --- the API side ---
    def request_subscription(
        self, raw_email: object, raw_topics: object = None, everything: object = None
    ) -> None:
        """Validate and queue a sign-up. Raises InvalidEmail / InvalidTopics for bad input."""
        address, topics, follow_all = _subscription_input(raw_email, raw_topics, everything)
        self._queue().put(MailRequest(kind="confirm", email=address, topics=topics, everything=follow_all))

    def request_manage_link(self, raw_email: object) -> None:
        """Validate and queue "email me a fresh link"; a stranger's address costs the same as a subscriber's."""
        self._queue().put(MailRequest(kind="manage", email=normalize_email(raw_email)))

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
            return self.send_manage_link(request.email)
        return self.subscribe(request.email, request.topics, request.everything)

    def _allow_mail(self, address: str, now: int) -> bool:
        if self.limits is None:
            return True
        mailbox = canonical_mailbox(address)
        domain = mailbox.rpartition("@")[2]
        return self.limits.count(
            self.signer.keyed_ref("mailbox", mailbox), 24 * 3600, self.policy.mailbox_per_day, now=now
        ) and self.limits.count(
            self.signer.keyed_ref("domain", domain), 3600, self.policy.domain_per_hour, now=now
        )

    def subscribe(
        self, raw_email: object, raw_topics: object = None, everything: object = None
    ) -> SubscribeOutcome:
        """Start (or restart) a double opt-in: one confirmation email, unless a cooldown or a limit says
        no. Raises InvalidEmail / InvalidTopics for bad input."""
        from newsdrop.notify.email import render_confirmation

        address, topics, follow_all = _subscription_input(raw_email, raw_topics, everything)
        sid = self.signer.subscriber_id(address)
        now = self._now()
        if not self.repo.claim_confirmation(
            sid, address, topics, follow_all, now=now, cooldown=self.cooldown
        ):
            current = self.repo.get(sid)
            outcome = (
                SubscribeOutcome.COOLDOWN
                if current is not None
                and current.status in (SubscriberStatus.PENDING, SubscriberStatus.UNSUBSCRIBED)
                else SubscribeOutcome.NOTHING_TO_DO
            )
            logger.info("subscribe request", extra={"sid": sid[:12], "outcome": outcome.value})
            return outcome
        if not self._allow_mail(address, now):
            self.repo.release_confirmation(sid, now)
            logger.info("subscribe request", extra={"sid": sid[:12], "outcome": "limited"})
            return SubscribeOutcome.LIMITED
        confirm_token = self.signer.mint(Purpose.CONFIRM, sid, ttl_seconds=CONFIRM_TTL_SECONDS, now=now)
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

    def send_manage_link(self, raw_email: object) -> SubscribeOutcome:
        """A fresh manage link, to a confirmed subscriber only (nobody else learns anything either way)."""
        from newsdrop.notify.email import render_manage_link

        address = normalize_email(raw_email)
        sid = self.signer.subscriber_id(address)
        now = self._now()
        current = self.repo.get(sid)
        if current is None or current.status != SubscriberStatus.CONFIRMED:
            return SubscribeOutcome.NOTHING_TO_DO
        if not self._allow_mail(address, now):
            return SubscribeOutcome.LIMITED
        token = self.signer.mint(Purpose.MANAGE, sid, ttl_seconds=MANAGE_LINK_TTL_DAYS * 24 * 3600, now=now)
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
    def check_confirm(self, token: str | None) -> str:
        return self.signer.verify(token, Purpose.CONFIRM, now=self._now())

    def confirm(self, token: str | None) -> Subscriber:
        sid = self.check_confirm(token)
        subscriber = self.repo.confirm(sid, now=self._now())
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


def _as_topic_list(value: object) -> object:
    """Forms send topics as one comma-separated string; JSON as a list."""
    if isinstance(value, str):
        return [part for part in re.split(r"[,\n]", value) if part.strip()]
    return value


def _as_bool(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("on", "true", "1", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("off", "false", "0", "no", ""):
        return False
    raise InvalidTopics("everything must be true or false")


def subscribe_request(body: dict[str, object]) -> tuple[object, object, bool | None]:
    """(email, topics, everything) from a JSON body or a form post."""
    return body.get("email"), _as_topic_list(body.get("topics")), _as_bool(body.get("everything"))


def preferences_change(body: dict[str, object]) -> PreferencesChange:
    """JSON: ``{"follow": [...], "unfollow": [...], "everything": bool, "topics": [...]}`` (all optional;
    ``topics`` replaces the list). A form post (``_form``) is the whole state: topics text + checkbox."""
    if body.get("_form"):
        return PreferencesChange(
            follow=[],
            unfollow=[],
            everything=bool(_as_bool(body.get("everything"))),
            replace=list(_as_topic_list(body.get("topics") or "")),
        )  # type: ignore[arg-type]
    replace = body.get("topics")
    return PreferencesChange(
        follow=_as_topic_list(body.get("follow")) or [],  # type: ignore[arg-type]
        unfollow=_as_topic_list(body.get("unfollow")) or [],  # type: ignore[arg-type]
        everything=_as_bool(body.get("everything")),
        replace=None if replace is None else _as_topic_list(replace),  # type: ignore[arg-type]
    )


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
