"""Work around moto behaviour that makes long local runs quadratic in time and memory, give the local
stack a clock it can move forward instead of sleeping, and publish the SES events AWS would.

1. TransactWriteItems: moto deep-copies every table a transaction touches, once per item, to roll back on
   failure (O(table) per call), and used to keep every copy alive. Here the copy is replaced by an undo
   log: before the transaction's Put, Delete or Update touches an item, the item as it was (or its
   absence) is remembered, and an Update works on a fresh copy of the stored item (copy on write: moto's
   update mutates the Item in place), so the remembered original is never changed. The length of each
   touched table's stream is remembered too. If the transaction is cancelled, the items are put back and
   the stream records it appended are dropped: all or nothing, and no stream record for a cancelled
   write, as before, at the cost of the items the transaction names.
2. Every moto model instance is kept in a class-level list for the server dashboard, including each
   table and item: 1,000 ingests kept about 18 GB alive. Tables and items are not tracked (the
   dashboard's other services, SES messages among them, still are).
3. Query on a table's key (not an index) sorted every item of the table before keeping one partition:
   here it reads that partition only (same items, same order). A scan sorts every item of the table for
   each page it returns, comparing keys through moto's typed values: string keys are sorted by their
   strings here (the same order; half the CPU of a scan in segments of a table of 30,000 items).
4. SQS: receiving a message read every queue attribute (counting the queue's messages, twice) to find the
   retention period, and so did every SendMessage (for ContentBasedDeduplication); counting messages
   built a datetime per message. Each of these is now one pass with one reading of the clock.
5. `clock`: moto's SQS reads the time through it, so the local dispatcher can move time forward when
   nothing is visible (a failed message comes back after its visibility timeout, a ChangeMessageVisibility
   is honoured) without real waiting. Only ever moves forward; everything else in moto keeps real time.
6. SES event publishing: moto has none. For a configuration set named in ``ses_event_destinations``
   (the local stack registers the template's event destinations), SES v2 SendEmail publishes the Send
   event SES would (messageId, destination, tags) to the destination's SNS topic.
7. S3 delete markers: deleting an object of a versioned bucket (the drop bucket) makes a delete marker,
   for which moto sends no notification; S3 sends s3:ObjectRemoved:DeleteMarkerCreated (with the
   marker's version id and no size or ETag), and ingest unpublishes the article the file named. Events
   for a versioned bucket carry the object's versionId, as S3's do.
"""

from __future__ import annotations

import copy
import inspect
import json
import threading
import time
from typing import Any

_applied = False


class LocalClock:
    """Real time plus an offset that only grows. ``advance`` is what waiting would have done."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            self.offset += seconds


clock = LocalClock()
# configuration set name -> [(SNS topic ARN, event types it publishes, lower case)]
ses_event_destinations: dict[str, list[tuple[str, frozenset[str]]]] = {}
_transaction = threading.local()  # .log: the undo log of the TransactWriteItems running on this thread


class _UndoLog:
    def __init__(self) -> None:
        self.items: list[tuple[Any, Any, Any, Any]] = []  # (table, hash, range, item before or None)
        self.seen: set[tuple[int, Any, Any]] = set()
        self.streams: dict[int, tuple[Any, int]] = {}  # id(table) -> (shard, records before)

    def remember(self, table: Any, hash_key: Any, range_key: Any, *, copy_on_write: bool) -> None:
        shard = table.stream_shard
        if shard is not None and id(table) not in self.streams:
            self.streams[id(table)] = (shard, len(shard.items))
        if (id(table), hash_key, range_key) in self.seen:
            return  # moto refuses two operations on one item in a transaction; be safe anyway
        self.seen.add((id(table), hash_key, range_key))
        before = _stored(table, hash_key, range_key)
        self.items.append((table, hash_key, range_key, before))
        if copy_on_write and before is not None:
            _store(table, hash_key, range_key, copy.deepcopy(before))

    def undo(self) -> None:
        for table, hash_key, range_key, before in reversed(self.items):
            if before is None:
                _remove(table, hash_key, range_key)
            else:
                _store(table, hash_key, range_key, before)
        for shard, length in self.streams.values():
            del shard.items[length:]


def _stored(table: Any, hash_key: Any, range_key: Any) -> Any:
    part = table.items.get(hash_key)  # .get: table.items is a defaultdict
    if part is None:
        return None
    return part.get(range_key) if table.range_key_attr is not None else part


def _store(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if table.range_key_attr is not None:
        table.items[hash_key][range_key] = item
    else:
        table.items[hash_key] = item


def _remove(table: Any, hash_key: Any, range_key: Any) -> None:
    if table.range_key_attr is not None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items.pop(hash_key, None)


def _keys(table: Any, attrs: dict[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_key = DynamoType(attrs[table.hash_key_attr])
    range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr is not None else None
    return hash_key, range_key


def apply() -> None:
    global _applied
    if _applied:
        return
    _patch_dynamodb()
    _patch_sqs()
    _patch_sesv2()
    _patch_s3_delete_markers()
    _applied = True


def _patch_dynamodb() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamShard, Table

    def table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
        if getattr(_transaction, "log", None) is not None:
            # moto's "backup" of the table for a rollback: the undo log does that job, so the "copy" is
            # the live table itself, and moto's restore (putting it back in place) changes nothing.
            return self
        # Any other deep copy (a backup): a real copy, sharing the immutable stream records.
        shard = getattr(self, "stream_shard", None)
        clone = copy.copy(self)
        memo[id(self)] = clone
        for name, value in vars(self).items():
            if name != "stream_shard":
                setattr(clone, name, copy.deepcopy(value, memo))
        if shard is not None:
            shard_copy = copy.copy(shard)
            shard_copy.items = list(shard.items)
            clone.stream_shard = shard_copy
        return clone

    assert not hasattr(Table, "__deepcopy__"), "moto now copies tables itself: re-check this patch"
    assert StreamShard  # the type whose records are shared
    source = inspect.getsource(DynamoDBBackend.transact_write_items)
    assert "copy.deepcopy(" in source and "original_table_state" in source, (
        "moto's TransactWriteItems no longer rolls back from table copies: re-check this patch"
    )
    Table.__deepcopy__ = table_deepcopy

    transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        outer = getattr(_transaction, "log", None)
        log = _transaction.log = _UndoLog()
        try:
            return transact(self, *args, **kwargs)
        except BaseException:
            log.undo()
            raise
        finally:
            _transaction.log = outer

    def remembering(name: str, key_arg: str, *, copy_on_write: bool) -> None:
        original = getattr(DynamoDBBackend, name)

        def method(self: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
            log = getattr(_transaction, "log", None)
            if log is not None:
                table = self.get_table(table_name)
                attrs = args[0] if args else kwargs[key_arg]
                if isinstance(attrs, dict) and table.hash_key_attr in attrs:
                    log.remember(table, *_keys(table, attrs), copy_on_write=copy_on_write)
            return original(self, table_name, *args, **kwargs)

        method.__wrapped__ = original  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, method)

    DynamoDBBackend.transact_write_items = transact_write_items
    remembering("put_item", "item_attrs", copy_on_write=False)  # puts a new Item object
    remembering("delete_item", "key", copy_on_write=False)  # pops the Item object
    remembering("update_item", "key", copy_on_write=True)  # changes the stored Item in place

    # Query on the table's own key: one partition, not a sort of the whole table.
    query, all_items = Table.query, Table.all_items
    partition = threading.local()

    def table_query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return query(self, hash_key, *args, **kwargs)
        partition.key = (self, hash_key)
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            partition.key = None

    def table_all_items(self: Table) -> list[Any]:
        hint = getattr(partition, "key", None)
        if hint is None or hint[0] is not self:
            return _sorted_by_string_keys(self) or all_items(self)
        part = self.items.get(hint[1])
        if part is None:
            return []
        if self.range_key_attr is None:
            return [part]
        return sorted(part.values(), key=_string_key)

    Table.query = table_query
    Table.all_items = table_all_items

    untracked = staticmethod(lambda cls, *args, **kwargs: object.__new__(cls))
    for model in (Item, Table):
        model.__new__ = untracked
        model.instances_tracked = []


def _string_key(item: Any) -> Any:
    """An item's range key as moto orders it: a string key by its string (what moto's DynamoType compare
    does after converting both sides on every comparison)."""
    key = item.range_key
    return key.value if key is not None and key.type == "S" else key


def _sorted_by_string_keys(table: Any) -> list[Any] | None:
    """Every item of a table keyed by strings, in moto's order (hash key, then range key), sorted by the
    strings themselves; None for other key types (moto's own sort then)."""
    items = [
        item for part in table.items.values() for item in (part.values() if table.range_key_attr else [part])
    ]
    if any(i.hash_key.type != "S" or (i.range_key is not None and i.range_key.type != "S") for i in items):
        return None
    if not items:
        return None  # moto's own answer for an empty table
    if table.range_key_attr:
        return sorted(
            items, key=lambda i: (i.hash_key.value, "" if i.range_key is None else i.range_key.value)
        )
    return sorted(items, key=lambda i: i.hash_key.value)


def _patch_sqs() -> None:
    import moto.sqs.models as sqs
    from moto.core.utils import unix_time as moto_unix_time

    def unix_time(dt: Any = None) -> float:
        return moto_unix_time(dt) if dt is not None else clock.time()

    def unix_time_millis(dt: Any = None) -> float:
        return unix_time(dt) * 1000.0

    sqs.unix_time = unix_time
    sqs.unix_time_millis = unix_time_millis

    def messages(self: sqs.Queue) -> list[Any]:
        now = clock.time() * 1000.0
        return [m for m in self._messages if now > m.visible_at and now >= m.delayed_until]

    def not_visible(self: sqs.Queue) -> int:
        now = clock.time() * 1000.0
        return sum(1 for m in self._messages if not now > m.visible_at)

    def delayed(self: sqs.Queue) -> int:
        now = clock.time() * 1000.0
        return sum(1 for m in self._messages if now < m.delayed_until)

    def retained(self: sqs.SQSBackend, queue_name: str, message: Any) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > clock.time()

    for name in (
        "messages",
        "approximate_number_of_messages_not_visible",
        "approximate_number_of_messages_delayed",
    ):
        assert isinstance(getattr(sqs.Queue, name), property), name
    sqs.Queue.messages = property(messages)
    sqs.Queue.approximate_number_of_messages_not_visible = property(not_visible)
    sqs.Queue.approximate_number_of_messages_delayed = property(delayed)
    sqs.SQSBackend.is_message_valid_based_on_retention_period = retained

    # SendMessage reads queue.attributes (every attribute, counts included) for one flag.
    send = sqs.SQSBackend.send_message
    assert 'queue.attributes.get("ContentBasedDeduplication")' in inspect.getsource(send)
    attributes = sqs.Queue.attributes

    class _Flags(dict):
        """What send_message reads from ``queue.attributes``, without counting the queue's messages."""

    def cheap_attributes(self: sqs.Queue) -> dict[str, Any]:
        if getattr(_sending, "queue", None) is self:
            return _Flags(ContentBasedDeduplication=str(bool(self.content_based_deduplication)).lower())
        return attributes.fget(self)

    _sending = threading.local()

    def send_message(self: sqs.SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        _sending.queue = self.get_queue(queue_name)
        try:
            return send(self, queue_name, *args, **kwargs)
        finally:
            _sending.queue = None

    sqs.Queue.attributes = property(cheap_attributes)
    sqs.SQSBackend.send_message = send_message


def _patch_s3_delete_markers() -> None:
    from moto.s3 import notifications
    from moto.s3.models import S3Backend

    original = S3Backend._set_delete_marker
    marker_event = notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT
    build_event = notifications._get_s3_event

    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        if event_name != marker_event:
            event = build_event(event_name, bucket, key, notification_id)
        else:
            event = build_event(event_name, bucket, _MarkerView(key), notification_id)
            del event["Records"][0]["s3"]["object"]["size"], event["Records"][0]["s3"]["object"]["eTag"]
        if bucket.is_versioned and getattr(key, "version_id", None):
            # As S3 does: the object's version in a versioned bucket, so a re-upload of the same bytes
            # is a new drop (ingest records "unchanged") and the delete marker has its own id.
            event["Records"][0]["s3"]["object"]["versionId"] = str(key.version_id)
        return event

    def set_delete_marker(self: Any, bucket_name: str, key_name: str) -> Any:
        marker = original(self, bucket_name, key_name)
        notifications.send_event(self.account_id, marker_event, self.get_bucket(bucket_name), marker)
        return marker

    notifications._get_s3_event = get_s3_event
    S3Backend._set_delete_marker = set_delete_marker


class _MarkerView:
    """What moto's event builder reads of a key, for a delete marker (which has no ETag or size)."""

    def __init__(self, marker: Any):
        self.name, self.etag, self.size = marker.name, "", None


def _patch_sesv2() -> None:
    from moto.sesv2.responses import SESV2Response
    from moto.sns.models import sns_backends

    send = SESV2Response.send_email

    def send_email(self: SESV2Response) -> str:
        result = send(self)
        params = json.loads(self.body)
        destinations = ses_event_destinations.get(params.get("ConfigurationSetName") or "", [])
        topics = [topic for topic, types in destinations if "send" in types]
        if topics:
            to = params.get("Destination", {})
            event = {
                "eventType": "Send",
                "mail": {
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                    "messageId": json.loads(result)["MessageId"],
                    "source": params.get("FromEmailAddress"),
                    "destination": [*to.get("ToAddresses", []), *to.get("CcAddresses", [])],
                    "tags": {t["Name"]: [t["Value"]] for t in params.get("EmailTags", [])},
                },
                "send": {},
            }
            sns = sns_backends[self.current_account][self.region]
            for topic in topics:
                sns.publish(json.dumps(event), arn=topic)
        return result

    SESV2Response.send_email = send_email
