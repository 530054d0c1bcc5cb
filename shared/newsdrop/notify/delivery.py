"""Fan-out and exactly-once delivery (domain logic; the AWS calls live in subscriber_store).

Pipeline for one article::

    articles stream INSERT (sk=CURRENT)  --notify-->  JOB#<slug> (conditional put)
        + one FanoutTask per (shard, partition: each article tag someone follows, and "everything")
    FanoutTask  --fanout-->  pages TOPIC#<t>#<nn> (Query, cursor, bounded pages per invocation,
        continuation re-enqueued)  ->  SendBatch messages (<= BATCH_SIZE recipient ids) on the send queue
    SendBatch  --sender-->  per recipient: profile still confirmed? ledger claim (conditional write,
        lease) -> render -> SES -> ledger 'sent'

Why nobody is mailed twice: a subscriber who follows several of the article's tags is emitted only
from the partition ``match_reason`` names; a replayed stream record finds the job already made; a
repeated task or send message finds ledger entries 'sent' (or a live 'sending' lease, in which case
the message is retried later rather than dropped). Why nobody is missed: every failure before SES
accepts releases (or leaves to expire) the claim and fails the SQS message, which comes back until it
succeeds or lands in the DLQ. The one window left is a crash after SES accepted a message and before
the ledger says 'sent'. SES has no idempotency key, so the ledger learns it another way: the
configuration set publishes a Send event for every accepted email, and the feedback function marks
that (slug, sid) 'sent' from it, usually within seconds; a retry comes 300 s later (a dead sender's
lease) or at least 30 s later (an SES error whose response was lost releases the claim). Only if the
event arrives after that retry does that one recipient get it again: the at-least-once end of the
trade, chosen over ever skipping anyone.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from newsdrop.notify.mailer import Mailer, MailRejected, MailSettings, MailThrottled
from newsdrop.notify.messages import (  # noqa: F401 (re-exported: the stages import them from here)
    ArticleSnapshot,
    FanoutTask,
    Recipient,
    SendBatch,
    snapshot_from_article,
)
from newsdrop.notify.subscribers import (
    EVERYTHING,
    MANAGE_TTL_SECONDS,
    SHARDS,
    Subscriber,
    SubscriberStatus,
    match_reason,
)
from newsdrop.notify.tokens import Purpose, TokenSigner

logger = logging.getLogger(__name__)

BATCH_SIZE = 50  # recipients per send-queue message
INDEX_PAGE = 1000  # topic-index keys per Query page
MAX_PAGES_PER_INVOCATION = 20  # bounded work per fan-out invocation (then a continuation)
LEASE_SECONDS = 300  # > sender timeout, < send-queue visibility timeout


# --- messages: newsdrop.notify.messages (pydantic models, validated where they are read) -------------


class IndexEntry(NamedTuple):
    sid: str
    topics: list[str]
    everything: bool


class JobRecord(NamedTuple):
    article: ArticleSnapshot
    tasks_enqueued: bool
    created_at: int


class ClaimOutcome(StrEnum):
    CLAIMED = "claimed"
    ALREADY_SENT = "already_sent"
    BUSY = "busy"  # someone holds a live lease: retry the message later, never drop it
    FAILED_BEFORE = "failed_before"  # SES rejected this one for good earlier


# --- ports ----------------------------------------------------------------------------------------


class Queue(Protocol):
    def send_all(self, bodies: Sequence[str]) -> int: ...


class JobStore(Protocol):
    def create_job(self, snapshot: ArticleSnapshot, *, now: int) -> bool: ...

    def get_job(self, slug: str) -> JobRecord | None: ...

    def mark_job_enqueued(self, slug: str, tasks: int, *, now: int) -> None: ...


class Ledger(Protocol):
    def claim(self, slug: str, sid: str, owner: str, *, now: float, lease_seconds: int) -> ClaimOutcome: ...

    def mark_sent(self, slug: str, sid: str, owner: str, message_id: str, *, now: float) -> None: ...

    def mark_failed(self, slug: str, sid: str, owner: str, reason: str, *, now: float) -> None: ...

    def release(self, slug: str, sid: str, owner: str) -> None: ...


class TopicIndex(Protocol):
    def page_index(
        self, topic: str, shard: int, cursor: dict[str, Any] | None, limit: int
    ) -> tuple[list[IndexEntry], dict[str, Any] | None]: ...


class Profiles(Protocol):
    def get_many(self, sids: Sequence[str]) -> dict[str, Subscriber]: ...


# --- notify: stream record -> job -----------------------------------------------------------------


def plan_tasks(snapshot: ArticleSnapshot, followed: Collection[str] | None = None) -> list[FanoutTask]:
    """One task per (topic, shard) for the article's tags that someone follows (all of them when
    ``followed`` is None), plus the "everything" partition."""
    tags = [t for t in dict.fromkeys(snapshot.tags) if followed is None or t in followed]
    partitions = [*tags, EVERYTHING]
    return [
        FanoutTask(slug=snapshot.slug, article=snapshot, topic=topic, shard=shard)
        for topic in partitions
        for shard in range(SHARDS)
    ]


def start_job(
    snapshot: ArticleSnapshot,
    jobs: JobStore,
    fanout_queue: Queue,
    *,
    followed: Callable[[Sequence[str]], Collection[str]] | None = None,
    now: int | None = None,
) -> str:
    """Idempotent: the job id is the slug. A replay after the tasks went out does nothing; a replay
    after a crash between the put and the enqueue enqueues them (duplicate tasks are harmless: the
    ledger dedupes, and the fan-out emits each subscriber from one partition only)."""
    now = int(time.time()) if now is None else now
    created = jobs.create_job(snapshot, now=now)
    if not created:
        job = jobs.get_job(snapshot.slug)
        if job is not None and job.tasks_enqueued:
            logger.info("job exists, nothing to do", extra={"slug": snapshot.slug})
            return "duplicate"
        snapshot = job.article if job is not None else snapshot
    tasks = plan_tasks(snapshot, followed(snapshot.tags) if followed is not None else None)
    fanout_queue.send_all([t.to_json() for t in tasks])
    jobs.mark_job_enqueued(snapshot.slug, len(tasks), now=now)
    logger.info("job started", extra={"slug": snapshot.slug, "tasks": len(tasks), "resumed": not created})
    return "started" if created else "resumed"


# --- fanout: one partition of the topic index -> send batches -------------------------------------


@dataclass
class FanoutResult:
    recipients: int = 0
    batches: int = 0
    pages: int = 0
    continuation: FanoutTask | None = None


def run_fanout_task(
    task: FanoutTask,
    index: TopicIndex,
    send_queue: Queue,
    fanout_queue: Queue,
    *,
    max_pages: int = MAX_PAGES_PER_INVOCATION,
    page_size: int = INDEX_PAGE,
    batch_size: int = BATCH_SIZE,
    time_left: Callable[[], float] | None = None,
) -> FanoutResult:
    """Page through one (topic, shard) partition from the task's cursor, at most ``max_pages`` pages
    (or until ``time_left()`` seconds run low), enqueue full batches, then re-enqueue the rest as a
    continuation. Re-running a task (redelivery) re-enqueues its batches; the ledger makes that safe."""
    result = FanoutResult()
    cursor = task.cursor
    pending: list[Recipient] = []
    bodies: list[str] = []

    def flush(force: bool) -> None:
        while len(pending) >= batch_size or (force and pending):
            chunk, pending[:] = pending[:batch_size], pending[batch_size:]
            bodies.append(SendBatch(slug=task.slug, article=task.article, recipients=chunk).to_json())
            result.batches += 1
        if bodies and (force or len(bodies) >= 10):
            send_queue.send_all(bodies)
            bodies.clear()

    while True:
        entries, cursor = index.page_index(task.topic, task.shard, cursor, page_size)
        result.pages += 1
        for entry in entries:
            if match_reason(task.article.tags, entry.topics, entry.everything) == task.topic:
                pending.append(Recipient(sid=entry.sid, reason=task.topic))
                result.recipients += 1
        flush(force=False)
        if cursor is None:
            break
        if result.pages >= max_pages or (time_left is not None and time_left() < 30):
            result.continuation = task.model_copy(update={"cursor": cursor, "step": task.step + 1})
            break
    flush(force=True)
    if result.continuation is not None:
        # after the batches: a crash before this line re-runs the task from its old cursor (dupes are
        # deduped by the ledger); a crash after it at worst runs the continuation twice (same)
        fanout_queue.send_all([result.continuation.to_json()])
    logger.info(
        "fanout step",
        extra={
            "slug": task.slug,
            "topic": task.topic,
            "shard": task.shard,
            "step": task.step,
            "recipients": result.recipients,
            "batches": result.batches,
            "more": result.continuation is not None,
        },
    )
    return result


# --- sender: one batch -> SES, exactly once per (article, subscriber) -----------------------------


class RetryLater(Exception):
    """Some recipients of this message could not be handled now; the message must come back (after
    ``retry_after`` seconds: a throttle clears quickly, someone else's live lease needs the lease time)."""

    def __init__(self, message: str, retry_after: int = 60):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """Token bucket per worker: the whole fleet sends at most MaxSendConcurrency x rate per second."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.per_second = per_second
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        if self.per_second <= 0:
            return
        with self._lock:
            now = self.clock()
            wait = self._next - now
            self._next = max(now, self._next) + 1.0 / self.per_second
        if wait > 0:
            self.sleep(wait)


@dataclass
class SendReport:
    sent: int = 0
    skipped_sent: int = 0  # ledger said 'sent' already (duplicate delivery of the work)
    skipped_inactive: int = 0  # unsubscribed / suppressed / unknown since the fan-out
    rejected: int = 0
    busy: int = 0
    throttled: int = 0
    ses_calls: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class Sender:
    profiles: Profiles
    ledger: Ledger
    mailer: Mailer
    signer: TokenSigner
    settings: MailSettings
    limiter: RateLimiter | None = None
    lease_seconds: int = LEASE_SECONDS
    max_throttle_retries: int = 4
    base_backoff: float = 0.2
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    owner_factory: Callable[[], str] = field(default=lambda: f"{random.getrandbits(64):016x}")

    def send_batch(self, batch: SendBatch, *, time_left: Callable[[], float] | None = None) -> SendReport:
        """Send to every recipient of the batch not already done. Raises RetryLater (or the transient
        error) if anyone is left, after handling everyone it could: the SQS message comes back."""
        report = SendReport()
        profiles = self.profiles.get_many([r.sid for r in batch.recipients])
        owner = self.owner_factory()
        leftover = 0
        first_error: BaseException | None = None
        throttled = False
        for recipient in batch.recipients:
            sub = profiles.get(recipient.sid)
            if sub is None or sub.status != SubscriberStatus.CONFIRMED:
                report.skipped_inactive += 1
                continue
            if throttled or (time_left is not None and time_left() < 10):
                leftover += 1  # SES told us to slow down / out of time: the rest come back with the message
                continue
            outcome = self.ledger.claim(
                batch.slug, sub.sid, owner, now=self.clock(), lease_seconds=self.lease_seconds
            )
            if outcome == ClaimOutcome.ALREADY_SENT:
                report.skipped_sent += 1
                continue
            if outcome == ClaimOutcome.FAILED_BEFORE:
                report.rejected += 1
                continue
            if outcome == ClaimOutcome.BUSY:
                report.busy += 1
                leftover += 1
                continue
            try:
                message_id = self._send_one(batch, sub, recipient.reason, report)
            except MailRejected as exc:
                self.ledger.mark_failed(batch.slug, sub.sid, owner, str(exc), now=self.clock())
                report.rejected += 1
                logger.warning(
                    "SES rejected a message",
                    extra={"slug": batch.slug, "sid": sub.sid[:12], "error": str(exc)},
                )
                continue
            except MailThrottled as exc:
                self.ledger.release(batch.slug, sub.sid, owner)
                report.throttled += 1
                leftover += 1
                throttled = True
                first_error = first_error or exc
                continue
            except Exception as exc:  # transient (network, 5xx): give the claim back, retry the message
                self.ledger.release(batch.slug, sub.sid, owner)
                leftover += 1
                first_error = first_error or exc
                report.errors.append(type(exc).__name__)
                continue
            self._record_sent(batch.slug, sub.sid, owner, message_id)
            report.sent += 1
        logger.info(
            "send batch",
            extra={
                "slug": batch.slug,
                "sent": report.sent,
                "dup": report.skipped_sent,
                "inactive": report.skipped_inactive,
                "rejected": report.rejected,
                "busy": report.busy,
                "throttled": report.throttled,
                "leftover": leftover,
            },
        )
        if leftover:
            retry_after = self.lease_seconds + 30 if report.busy else 30 + random.randint(0, 60)
            raise RetryLater(f"{leftover} recipient(s) left for a retry", retry_after) from first_error
        return report

    def _record_sent(self, slug: str, sid: str, owner: str, message_id: str, attempts: int = 6) -> None:
        """SES has accepted the email: the ledger must say so, or a retry after the lease would send it
        again. The write is idempotent, so a throttled or failed write is simply tried again."""
        for attempt in range(attempts):
            try:
                self.ledger.mark_sent(slug, sid, owner, message_id, now=self.clock())
                return
            except Exception:
                if attempt == attempts - 1:
                    raise
                self.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))

    def _send_one(self, batch: SendBatch, sub: Subscriber, reason: str, report: SendReport) -> str:
        # Imported here, not with this module: fan-out and notify import it and never render (the
        # standard library's email package is a tenth of their cold start). The sender imports the
        # renderer with its handler, so its own cold start pays it where it is measured.
        from newsdrop.notify.email import render_notification

        message = render_notification(
            self.settings,
            batch.article,
            sub.email,
            reason,
            unsubscribe_token=self.signer.mint(Purpose.UNSUBSCRIBE, sub.sid),
            manage_token=self.signer.mint(Purpose.MANAGE, sub.sid, ttl_seconds=MANAGE_TTL_SECONDS),
            tags={"kind": "post", "sid": sub.sid, "slug": _tag_value(batch.slug)},
            labels=batch.article.labels,
        )
        for attempt in range(self.max_throttle_retries + 1):
            if self.limiter is not None:
                self.limiter.acquire()
            report.ses_calls += 1
            try:
                return self.mailer.send(message)
            except MailThrottled:
                if attempt == self.max_throttle_retries:
                    raise
                delay = self.base_backoff * 2**attempt
                self.sleep(delay / 2 + random.uniform(0, delay / 2))  # exponential backoff, jitter
        raise AssertionError("unreachable")


def _tag_value(value: str) -> str:
    """SES tag values: letters, digits, _ - . @ only, up to 256 chars."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_-.@") else "_" for ch in value)[:256]


# --- feedback: SES bounce / complaint events -> suppression ---------------------------------------


class Feedback(NamedTuple):
    kind: str  # "bounce" | "complaint"
    addresses: list[str]
    sid: str | None  # from the message tag we set, when present
    permanent: bool


def parse_ses_event(event: dict[str, Any]) -> Feedback | None:
    """An SES event-publishing record (``eventType``) or identity notification (``notificationType``).
    Permanent bounces and complaints suppress; transient bounces (mailbox full...) are ignored."""
    kind = (event.get("eventType") or event.get("notificationType") or "").lower()
    sid = _mail_tag(event, "sid")
    if kind == "bounce":
        bounce = event.get("bounce") or {}
        addresses = [r.get("emailAddress", "") for r in bounce.get("bouncedRecipients") or []]
        return Feedback("bounce", addresses, sid, bounce.get("bounceType") == "Permanent")
    if kind == "complaint":
        complaint = event.get("complaint") or {}
        addresses = [r.get("emailAddress", "") for r in complaint.get("complainedRecipients") or []]
        return Feedback("complaint", addresses, sid, True)
    return None


class Accepted(NamedTuple):
    """SES's Send event for one of our notification emails: SES has accepted it for delivery."""

    slug: str
    sid: str
    message_id: str


def parse_send_event(event: dict[str, Any]) -> Accepted | None:
    """The Send event the configuration set publishes for every email SES accepts, read from the tags
    the sender put on it (slugs are tag-safe already: ASCII letters, digits and hyphens)."""
    if (event.get("eventType") or "").lower() != "send":
        return None
    slug, sid, message_id = (
        _mail_tag(event, "slug"),
        _mail_tag(event, "sid"),
        (event.get("mail") or {}).get("messageId"),
    )
    if _mail_tag(event, "kind") != "post" or not slug or not sid or not message_id:
        return None
    return Accepted(slug, sid, str(message_id))


def _mail_tag(event: dict[str, Any], name: str) -> str | None:
    """A tag the sender put on the email, as SES events carry them: ``{"mail": {"tags": {name: [value]}}}``."""
    values = ((event.get("mail") or {}).get("tags") or {}).get(name)
    return values[0] if isinstance(values, list) and values else None


def addresses_of(feedbacks: Iterable[Feedback]) -> list[str]:
    return [a for f in feedbacks for a in f.addresses]
