"""DynamoDB, SQS and secret access for subscribers and deliveries (all the AWS calls of notifications).

Subscribers table (pk, sk, TTL ``expires_at``: pending profiles and limit items)
  ``SUB#<sid>      / PROFILE``  the only record that holds the address (status, topics, timestamps, v)
  ``TOPIC#<t>#<nn> / <sid>``    topic index, one item per (followed topic, confirmed subscriber);
                                 ``t`` is a tag key or ``*`` (everything), ``nn`` one of SHARDS shards of
                                 the subscriber id. Items carry the subscriber's topic list so the
                                 fan-out can tell which partition "owns" a subscriber (no duplicates).
                                 No address in here. Written in the same transaction as the profile.
  ``LIMIT#...      / ...``      limit counters and token buckets (``DynamoLimits``), keys are keyed
                                 hashes of the client IP, mailbox or domain; all expire (TTL)
  ``FOLLOWED       / <t>``      one marker per topic anyone has ever followed (``*`` aside): notify
                                 plans fan-out tasks only for an article's tags that have one. Written
                                 before the index items, never deleted (a stale marker costs empty
                                 fan-out tasks; a missing one would cost emails).
Deliveries table (pk, sk, TTL ``expires_at``)
  ``JOB#<slug>               / JOB``     one notification job per article (conditional put)
  ``DELIVERY#<slug>#<sid>    / LEDGER``  exactly-once ledger: sending (with lease) -> sent | failed
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from newsdrop.notify.delivery import (
    ArticleSnapshot,
    ClaimOutcome,
    IndexEntry,
    JobRecord,
)
from newsdrop.notify.limits import Bucket
from newsdrop.notify.subscribers import (
    CONFIRM_TTL_SECONDS,
    EVERYTHING,
    MailRequest,
    Offer,
    Subscriber,
    SubscriberStatus,
    shard_of,
)

logger = logging.getLogger(__name__)

PROFILE = "PROFILE"
MARK_SENT = "SET #st = :sent, message_id = :m, sent_at = :now REMOVE lease_until"
FOLLOWED = "FOLLOWED"  # partition of the followed-topic markers
LEDGER_TTL_SECONDS = 45 * 24 * 3600  # outlives SQS retention (14 days) and stream retention (24 h)
JOB_TTL_SECONDS = 90 * 24 * 3600


def _profile_key(sid: str) -> dict[str, str]:
    return {"pk": f"SUB#{sid}", "sk": PROFILE}


def index_pk(topic: str, shard: int) -> str:
    return f"TOPIC#{topic}#{shard:02d}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _is_conditional_failure(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


def _subscriber_from_item(item: dict[str, Any]) -> Subscriber:
    data = _plain(item)
    return Subscriber(
        sid=data["pk"].removeprefix("SUB#"),
        email=data["email"],
        status=SubscriberStatus(data["status"]),
        topics=data.get("topics") or [],
        everything=bool(data.get("everything", False)),
        pending_topics=data.get("pending_topics") or [],
        pending_everything=bool(data.get("pending_everything", False)),
        created_at=int(data.get("created_at", 0)),
        confirm_sent_at=int(data.get("confirm_sent_at", 0)),
        confirmed_at=int(data.get("confirmed_at", 0)),
        updated_at=int(data.get("updated_at", 0)),
        suppressed_reason=data.get("suppressed_reason"),
        epoch=int(data.get("epoch", 0)),
    )


def _index_topics(topics: Iterable[str], everything: bool) -> list[str]:
    return [*topics, EVERYTHING] if everything else list(topics)


class DynamoSubscriberStore:
    """``SubscriberRepo`` on DynamoDB, plus the topic-index reads of the fan-out."""

    def __init__(self, dynamodb_resource, table_name: str):
        self.resource = dynamodb_resource
        self.table = dynamodb_resource.Table(table_name)
        self.table_name = table_name
        self.client = dynamodb_resource.meta.client

    # --- reads ---
    def _get_item(self, sid: str) -> dict[str, Any] | None:
        return self.table.get_item(Key=_profile_key(sid), ConsistentRead=True).get("Item")

    def get(self, sid: str) -> Subscriber | None:
        item = self._get_item(sid)
        return _subscriber_from_item(item) if item else None

    def _batch_get(self, keys: Sequence[dict[str, str]], *, consistent: bool = False) -> list[dict[str, Any]]:
        """BatchGetItem (100 keys a call), unprocessed keys retried with backoff."""
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), 100):
            request = {
                self.table_name: {"Keys": list(keys[start : start + 100]), "ConsistentRead": consistent}
            }
            for attempt in range(8):
                response = self.resource.batch_get_item(RequestItems=request)
                items.extend(response.get("Responses", {}).get(self.table_name, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError("BatchGetItem left keys unprocessed")  # the caller's message is retried
        return items

    def get_many(self, sids: Sequence[str]) -> dict[str, Subscriber]:
        subs = map(_subscriber_from_item, self._batch_get([_profile_key(s) for s in dict.fromkeys(sids)]))
        return {sub.sid: sub for sub in subs}

    def followed_among(self, tags: Sequence[str]) -> set[str]:
        """The tags someone follows (or ever did): a consistent read of their markers."""
        keys = [{"pk": FOLLOWED, "sk": t} for t in dict.fromkeys(tags) if t != EVERYTHING]
        return {item["sk"] for item in self._batch_get(keys, consistent=True)}

    def note_followed(self, topics: Iterable[str]) -> None:
        """Markers for these topics; idempotent, and written before the index items they announce."""
        new = sorted({t for t in topics if t != EVERYTHING})
        if new:
            with self.table.batch_writer() as writer:
                for topic in new:
                    writer.put_item(Item={"pk": FOLLOWED, "sk": topic})

    def page_index(
        self, topic: str, shard: int, cursor: dict[str, Any] | None, limit: int
    ) -> tuple[list[IndexEntry], dict[str, Any] | None]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": index_pk(topic, shard)},
            "Limit": limit,
        }
        if cursor:
            kwargs["ExclusiveStartKey"] = cursor
        response = self.table.query(**kwargs)
        entries = [
            IndexEntry(
                sid=item["sk"], topics=list(item.get("topics") or []), everything=bool(item.get("all"))
            )
            for item in response.get("Items", [])
        ]
        return entries, response.get("LastEvaluatedKey")

    # --- writes ---
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
        try:
            claimed = self.table.update_item(
                Key=_profile_key(sid),
                UpdateExpression=(
                    "SET email = :e, pending_topics = :t, pending_everything = :all, confirm_sent_at = :now,"
                    " updated_at = :now, created_at = if_not_exists(created_at, :now), #s = :pending,"
                    " topics = if_not_exists(topics, :empty), everything = if_not_exists(everything, :f),"
                    " v = if_not_exists(v, :zero) + :one, expires_at = :exp, confirm_requester = :r"
                ),
                # the cooldown is per requester: a stranger's sign-up does not hold back the owner's own
                ConditionExpression=(
                    "attribute_not_exists(pk)"
                    " OR ((#s = :pending OR #s = :unsub)"
                    " AND (confirm_sent_at <= :cutoff OR confirm_requester <> :r))"
                ),
                ReturnValues="ALL_NEW",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":e": email,
                    ":t": topics,
                    ":all": everything,
                    ":now": now,
                    ":pending": "pending",
                    ":unsub": "unsubscribed",
                    ":cutoff": now - cooldown,
                    # an address nobody confirms is forgotten once its link has expired (DynamoDB TTL)
                    ":exp": now + CONFIRM_TTL_SECONDS,
                    ":empty": [],
                    ":f": False,
                    ":zero": 0,
                    ":one": 1,
                    ":r": requester,
                },
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return None
        # What this mail offers, kept apart from the profile: a later sign-up adds an offer of its own
        # and never changes this one; a leave (epoch + 1) voids every offer made before it.
        offer_id = secrets.token_hex(8)
        self.table.put_item(
            Item={
                "pk": f"SUB#{sid}",
                "sk": f"OFFER#{offer_id}",
                "topics": topics,
                "everything": everything,
                "epoch": int(claimed["Attributes"].get("epoch", 0)),
                "expires_at": now + CONFIRM_TTL_SECONDS,
            }
        )
        return offer_id

    def offer(self, sid: str, offer_id: str) -> Offer | None:
        item = self.table.get_item(Key={"pk": f"SUB#{sid}", "sk": f"OFFER#{offer_id}"}, ConsistentRead=True)
        data = _plain(item.get("Item") or {})
        if not data:
            return None
        return Offer(
            topics=list(data.get("topics") or []),
            everything=bool(data.get("everything")),
            epoch=int(data.get("epoch", 0)),
        )

    def release_confirmation(self, sid: str, claimed_at: int) -> None:
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.table.update_item(
                Key=_profile_key(sid),
                UpdateExpression="SET confirm_sent_at = :zero",
                ConditionExpression="confirm_sent_at = :claimed",
                ExpressionAttributeValues={":zero": 0, ":claimed": claimed_at},
            )

    def _transact_profile(
        self,
        item: dict[str, Any],
        *,
        set_expr: str,
        values: dict[str, Any],
        old_index: list[str],
        new_index: list[str],
        new_topics: list[str],
        everything: bool,
        sid: str,
        remove: str = "",
    ) -> bool:
        """Update the profile (optimistic on ``v``) and rewrite its topic-index items, all or nothing."""
        names = {"#s": "status"}
        update = {
            "Update": {
                "TableName": self.table_name,
                "Key": _profile_key(sid),
                "UpdateExpression": f"SET {set_expr}, v = v + :one" + (f" REMOVE {remove}" if remove else ""),
                "ConditionExpression": "v = :v",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {**values, ":v": item.get("v", 0), ":one": 1},
            }
        }
        if "#s" not in set_expr:
            del update["Update"]["ExpressionAttributeNames"]
        self.note_followed(set(new_index) - set(old_index))
        shard = shard_of(sid)
        actions: list[dict[str, Any]] = [update]
        for topic in new_index:
            actions.append(
                {
                    "Put": {
                        "TableName": self.table_name,
                        "Item": {
                            "pk": index_pk(topic, shard),
                            "sk": sid,
                            "topics": new_topics,
                            "all": everything,
                        },
                    }
                }
            )
        for topic in set(old_index) - set(new_index):
            actions.append(
                {"Delete": {"TableName": self.table_name, "Key": {"pk": index_pk(topic, shard), "sk": sid}}}
            )
        try:
            self.client_resource_transact(actions)
            return True
        except Exception as exc:
            if _is_conditional_failure(exc):
                return False
            raise

    def client_resource_transact(self, actions: list[dict[str, Any]]) -> None:
        # the resource's client serializes python values for us (meta.client of a resource does)
        self.client.transact_write_items(TransactItems=actions)

    def confirm(self, sid: str, *, now: int, offer: Offer | None = None) -> Subscriber | None:
        for _ in range(3):
            item = self._get_item(sid)
            if not item:
                return None
            sub = _subscriber_from_item(item)
            if sub.status == SubscriberStatus.CONFIRMED:
                return sub
            if sub.status != SubscriberStatus.PENDING:
                return None
            topics = offer.topics if offer is not None else sub.pending_topics
            everything = offer.everything if offer is not None else sub.pending_everything
            ok = self._transact_profile(
                item,
                set_expr="#s = :c, topics = :t, everything = :all, confirmed_at = :now, updated_at = :now",
                values={":c": "confirmed", ":t": topics, ":all": everything, ":now": now},
                old_index=[],
                new_index=_index_topics(topics, everything),
                new_topics=topics,
                everything=everything,
                sid=sid,
                remove="expires_at",  # a confirmed subscriber is kept until they leave
            )
            if ok:
                return self.get(sid)
        return None

    def set_preferences(
        self, sid: str, topics: list[str], everything: bool, *, now: int
    ) -> Subscriber | None:
        for _ in range(3):
            item = self._get_item(sid)
            if not item:
                return None
            sub = _subscriber_from_item(item)
            if sub.status != SubscriberStatus.CONFIRMED:
                return None
            ok = self._transact_profile(
                item,
                set_expr="topics = :t, everything = :all, updated_at = :now",
                values={":t": topics, ":all": everything, ":now": now},
                old_index=_index_topics(sub.topics, sub.everything),
                new_index=_index_topics(topics, everything),
                new_topics=topics,
                everything=everything,
                sid=sid,
            )
            if ok:
                return self.get(sid)
        raise RuntimeError("preferences kept changing under us")

    def _leave(self, sid: str, status: SubscriberStatus, now: int, reason: str | None) -> bool:
        for _ in range(3):
            item = self._get_item(sid)
            if not item:
                return False
            sub = _subscriber_from_item(item)
            if sub.status == status or sub.status == SubscriberStatus.SUPPRESSED:
                return False
            was_indexed = sub.status == SubscriberStatus.CONFIRMED
            ok = self._transact_profile(
                item,
                # epoch + 1: every confirm link mailed before this leave confirms nothing any more
                set_expr="#s = :st, updated_at = :now, suppressed_reason = :r, epoch = :epoch",
                values={":st": status.value, ":now": now, ":r": reason, ":epoch": sub.epoch + 1},
                old_index=_index_topics(sub.topics, sub.everything) if was_indexed else [],
                new_index=[],
                new_topics=[],
                everything=False,
                sid=sid,
                # a suppressed address is remembered (never mail it again), even one that was pending
                remove="expires_at" if status == SubscriberStatus.SUPPRESSED else "",
            )
            if ok:
                return True
        raise RuntimeError("subscriber kept changing under us")

    def unsubscribe(self, sid: str, *, now: int) -> bool:
        return self._leave(sid, SubscriberStatus.UNSUBSCRIBED, now, None)

    def suppress(self, sid: str, reason: str, *, now: int) -> bool:
        return self._leave(sid, SubscriberStatus.SUPPRESSED, now, reason)

    # --- bulk load (bench / migrations): confirmed subscribers straight in, 25 items a request ---
    def bulk_load_confirmed(self, rows: Iterable[tuple[str, str, list[str], bool]], *, now: int) -> int:
        rows = list(rows)
        self.note_followed({t for _, _, topics, _ in rows for t in topics})
        count = 0
        with self.table.batch_writer() as writer:
            for sid, email, topics, everything in rows:
                writer.put_item(
                    Item={
                        **_profile_key(sid),
                        "email": email,
                        "status": "confirmed",
                        "topics": topics,
                        "everything": everything,
                        "pending_topics": [],
                        "pending_everything": False,
                        "created_at": now,
                        "confirmed_at": now,
                        "updated_at": now,
                        "confirm_sent_at": 0,
                        "v": 1,
                    }
                )
                for topic in _index_topics(topics, everything):
                    writer.put_item(
                        Item={
                            "pk": index_pk(topic, shard_of(sid)),
                            "sk": sid,
                            "topics": topics,
                            "all": everything,
                        }
                    )
                count += 1
        return count


class DynamoDeliveryStore:
    """Jobs and the exactly-once delivery ledger."""

    def __init__(self, dynamodb_resource, table_name: str):
        self.table = dynamodb_resource.Table(table_name)
        self.client = dynamodb_resource.meta.client

    # --- jobs ---
    def create_job(self, snapshot: ArticleSnapshot, *, now: int) -> bool:
        try:
            self.table.put_item(
                Item={
                    "pk": f"JOB#{snapshot.slug}",
                    "sk": "JOB",
                    "article": snapshot.to_json(),
                    "created_at": now,
                    "tasks_enqueued": False,
                    "expires_at": now + JOB_TTL_SECONDS,
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False

    def get_job(self, slug: str) -> JobRecord | None:
        item = self.table.get_item(Key={"pk": f"JOB#{slug}", "sk": "JOB"}, ConsistentRead=True).get("Item")
        if not item:
            return None
        return JobRecord(
            article=ArticleSnapshot.from_json(item["article"]),
            tasks_enqueued=bool(item.get("tasks_enqueued")),
            created_at=int(item["created_at"]),
        )

    def mark_job_enqueued(self, slug: str, tasks: int, *, now: int) -> None:
        self.table.update_item(
            Key={"pk": f"JOB#{slug}", "sk": "JOB"},
            UpdateExpression="SET tasks_enqueued = :t, tasks = :n, enqueued_at = :now",
            ExpressionAttributeValues={":t": True, ":n": tasks, ":now": now},
        )

    # --- ledger ---
    @staticmethod
    def _ledger_key(slug: str, sid: str) -> dict[str, str]:
        return {"pk": f"DELIVERY#{slug}#{sid}", "sk": "LEDGER"}

    def claim(self, slug: str, sid: str, owner: str, *, now: float, lease_seconds: int) -> ClaimOutcome:
        """One conditional write: take a new or lease-expired claim; else say who has it."""
        try:
            self.table.update_item(
                Key=self._ledger_key(slug, sid),
                UpdateExpression=(
                    "SET #st = :sending, lease_until = :lease, #o = :owner, expires_at = :exp,"
                    " attempts = if_not_exists(attempts, :zero) + :one"
                ),
                ConditionExpression="attribute_not_exists(pk) OR (#st = :sending AND lease_until < :now)",
                ExpressionAttributeNames={"#st": "state", "#o": "owner"},
                ExpressionAttributeValues={
                    ":sending": "sending",
                    ":lease": Decimal(str(round(now + lease_seconds, 3))),
                    ":owner": owner,
                    ":exp": int(now) + LEDGER_TTL_SECONDS,
                    ":zero": 0,
                    ":one": 1,
                    ":now": Decimal(str(round(now, 3))),
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return ClaimOutcome.CLAIMED
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            old = exc.response.get("Item") or {}
            state = old.get("state", {}).get("S") if old else None
            if state == "sent":
                return ClaimOutcome.ALREADY_SENT
            if state == "failed":
                return ClaimOutcome.FAILED_BEFORE
            return ClaimOutcome.BUSY

    def mark_sent(self, slug: str, sid: str, owner: str, message_id: str, *, now: float) -> None:
        self.table.update_item(
            Key=self._ledger_key(slug, sid),
            UpdateExpression=MARK_SENT,
            ExpressionAttributeNames={"#st": "state"},
            ExpressionAttributeValues={":sent": "sent", ":m": message_id, ":now": int(now)},
        )

    def mark_failed(self, slug: str, sid: str, owner: str, reason: str, *, now: float) -> None:
        self.table.update_item(
            Key=self._ledger_key(slug, sid),
            UpdateExpression="SET #st = :failed, reason = :r, failed_at = :now REMOVE lease_until",
            ExpressionAttributeNames={"#st": "state"},
            ExpressionAttributeValues={":failed": "failed", ":r": reason[:200], ":now": int(now)},
        )

    def confirm_accepted(self, slug: str, sid: str, message_id: str, *, now: float) -> bool:
        """SES's Send event says it accepted this email: a claim still 'sending' (its sender died before
        writing 'sent') becomes 'sent', so the retry after the lease skips it. True if that happened."""
        try:
            self.table.update_item(
                Key=self._ledger_key(slug, sid),
                UpdateExpression=MARK_SENT,
                ConditionExpression="#st = :sending",
                ExpressionAttributeNames={"#st": "state"},
                ExpressionAttributeValues={
                    ":sent": "sent",
                    ":sending": "sending",
                    ":m": message_id,
                    ":now": int(now),
                },
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False  # already 'sent' (the usual case), or no such claim

    def release(self, slug: str, sid: str, owner: str) -> None:
        """Give a claim back (SES did not accept the message) so a retry needn't wait for the lease."""
        with contextlib.suppress(self.client.exceptions.ConditionalCheckFailedException):
            self.table.update_item(
                Key=self._ledger_key(slug, sid),
                UpdateExpression="SET lease_until = :zero",
                ConditionExpression="#st = :sending AND #o = :owner",
                ExpressionAttributeNames={"#st": "state", "#o": "owner"},
                ExpressionAttributeValues={":zero": 0, ":sending": "sending", ":owner": owner},
            )

    def ledger_states(self, slug: str, sids: Sequence[str]) -> dict[str, str]:
        """For tests and the bench: the state of each (slug, sid) ledger entry."""
        out: dict[str, str] = {}
        for sid in sids:
            item = self.table.get_item(Key=self._ledger_key(slug, sid)).get("Item")
            if item:
                out[sid] = item["state"]
        return out


class SqsQueue:
    """send_message_batch in tens; entries SQS refused are retried, then it raises (nothing dropped)."""

    def __init__(self, client, url: str):
        self.client = client
        self.url = url

    def send_all(self, bodies: Sequence[str]) -> int:
        calls = 0
        for start in range(0, len(bodies), 10):
            entries = [
                {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])
            ]
            for attempt in range(6):
                calls += 1
                response = self.client.send_message_batch(QueueUrl=self.url, Entries=entries)
                failed = {f["Id"] for f in response.get("Failed", [])}
                if not failed:
                    break
                entries = [e for e in entries if e["Id"] in failed]
                time.sleep(min(0.1 * 2**attempt, 2.0))
            else:
                raise RuntimeError(f"SQS refused {len(entries)} messages")
        return calls


class DynamoLimits:
    """``limits.Limits`` on the subscribers table: each check is one or two conditional writes, no read."""

    def __init__(self, dynamodb_resource, table_name: str):
        self.table = dynamodb_resource.Table(table_name)
        self.client = dynamodb_resource.meta.client

    def take(self, key: str, bucket: Bucket, *, now: float) -> bool:
        """A token bucket kept as one number, its *theoretical arrival time* (GCRA): each request moves it
        ``interval`` later; a request is allowed while it stays within ``burst`` intervals of now."""
        item_key = {"pk": f"LIMIT#{bucket.name}#{key}", "sk": "BUCKET"}
        expires = int(now + bucket.burst * bucket.interval) + 60
        try:  # an idle (or new) bucket is full: start it again from now
            self.table.update_item(
                Key=item_key,
                UpdateExpression="SET tat = :next, expires_at = :exp",
                ConditionExpression="attribute_not_exists(tat) OR tat < :now",
                ExpressionAttributeValues={
                    ":next": _dec(now + bucket.interval),
                    ":now": _dec(now),
                    ":exp": expires,
                },
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            pass
        try:
            self.table.update_item(
                Key=item_key,
                UpdateExpression="SET tat = tat + :i, expires_at = :exp",
                ConditionExpression="tat <= :limit",
                ExpressionAttributeValues={
                    ":i": _dec(bucket.interval),
                    ":limit": _dec(now + (bucket.burst - 1) * bucket.interval),
                    ":exp": expires,
                },
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False

    def count(self, key: str, window: int, limit: int, *, now: float) -> bool:
        start = int(now // window * window)
        try:
            self.table.update_item(
                Key={"pk": f"LIMIT#W{window}#{key}", "sk": str(start)},
                UpdateExpression="ADD n :one SET expires_at = :exp",
                ConditionExpression="attribute_not_exists(n) OR n < :limit",
                ExpressionAttributeValues={":one": 1, ":limit": limit, ":exp": start + window + 60},
            )
            return True
        except self.client.exceptions.ConditionalCheckFailedException:
            return False


def _dec(value: float) -> Decimal:
    return Decimal(str(round(value, 3)))


class DynamoTagCatalog:
    """``subscribers.TagCatalog`` on the site table: a tag exists while its listing counts an article
    (``LIST#tag/<key> / COUNT``, kept by the publisher). One BatchGetItem for up to 40 topics."""

    def __init__(self, dynamodb_resource, table_name: str):
        self.resource = dynamodb_resource
        self.table_name = table_name

    def unknown(self, topics: Sequence[str]) -> list[str]:
        from newsdrop.site.layout import tag_listing

        wanted = {f"LIST#{tag_listing(t)}": t for t in topics}
        found: set[str] = set()
        keys = [{"pk": pk, "sk": "COUNT"} for pk in wanted]
        for start in range(0, len(keys), 100):
            request = {self.table_name: {"Keys": keys[start : start + 100], "ProjectionExpression": "pk, n"}}
            while request:
                response = self.resource.batch_get_item(RequestItems=request)
                found |= {
                    i["pk"] for i in response["Responses"].get(self.table_name, []) if i.get("n", 0) > 0
                }
                request = response.get("UnprocessedKeys") or None
        return sorted(t for pk, t in wanted.items() if pk not in found)


class SqsMailRequestQueue:
    """The confirmations queue: every accepted sign-up or link request, whatever its address."""

    def __init__(self, client, url: str):
        self.client = client
        self.url = url

    def put(self, request: MailRequest) -> None:
        self.client.send_message(QueueUrl=self.url, MessageBody=request.to_json())
