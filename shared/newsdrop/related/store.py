"""The related-posts index in ONE DynamoDB table (``RELATED_TABLE``), implementing ``related.RelatedIndex``.

Key schema: ``pk`` (S, HASH) + ``sk`` (S, RANGE), on-demand, no GSI.

| pk              | sk          | what                                                                    |
|-----------------|-------------|-------------------------------------------------------------------------|
| DOC#<slug>      | RELATED     | the page-ready list: ``entries`` [{slug, title, excerpt, score}]        |
| DOC#<slug>      | DOC         | what scoring needs: title, excerpt, tags...; tf, ex... packed in ``z``  |
| DOC#<slug>      | HOLDERS     | ``holders``: string set of slugs whose lists contain this slug          |
| TERM#<term>     | POSTINGS    | ``p``: zlib(JSON) [[slug, weight(, signature)], ...], the heaviest ``POSTINGS_CAP`` (1)|
| STATS           | HEAD        | snapshot ``version``, ``shards``, ``pending`` delta count               |
| STATS           | SNAP#<i>    | shard i of the DF snapshot and topic model: ``data`` zlib(JSON)         |
| STATS#DELTA     | <slug>#<fp> | one article's distinct terms (+1) or, with ``#del``, their removal (-1) |
| INDEX           | STATE       | ``newest`` order key, ``generation`` (updates begun), ``dirty`` flag    |

(1) A term too long for a partition key ends in the SHA-256 of the whole term (``newsdrop.keys``).

The page reads one item: ``GetItem(pk=DOC#<slug>, sk=RELATED)``. Every write is a full put of a value
computed from the stored state, or a set ADD/DELETE, so replaying a batch changes nothing.

A rebuild (``related.rebuild``) replaces every item but ``INDEX/STATE`` with the canonical index's,
writing only those that differ. ``RebuildRequests`` asks for one over SQS, delayed, so a burst of
out-of-order events costs one rebuild.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import Binary
from botocore.exceptions import ClientError

from newsdrop.keys import bounded
from newsdrop.models import RelatedEntry
from newsdrop.related import packed
from newsdrop.related.engine import Delta, DocRecord, InMemoryRelatedIndex, StatsHead, TermStats

SNAPSHOT_SHARD_BYTES = 300_000  # compressed bytes per snapshot item (DynamoDB's item limit is 400 KB)
_BATCH_GET = 100
_STATE = {"pk": "INDEX", "sk": "STATE"}
_HEAD = {"pk": "STATS", "sk": "HEAD"}


def _doc_key(slug: str, sk: str) -> dict[str, str]:
    return {"pk": f"DOC#{slug}", "sk": sk}


def _num(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def _entries_to_item(entries: Sequence[RelatedEntry]) -> list[dict[str, Any]]:
    return [{"slug": e.slug, "title": e.title, "excerpt": e.excerpt, "score": _num(e.score)} for e in entries]


def _entries_from_item(item: Mapping[str, Any]) -> list[RelatedEntry]:
    return [
        RelatedEntry(slug=e["slug"], title=e["title"], excerpt=e["excerpt"], score=float(e["score"]))
        for e in item.get("entries", [])
    ]


def _doc_to_item(doc: DocRecord) -> dict[str, Any]:
    return {
        **_doc_key(doc.slug, "DOC"),
        "slug": doc.slug,
        "title": doc.title,
        "excerpt": doc.excerpt,
        "published": doc.published,
        "tags": list(doc.tags),
        "fingerprint": doc.fingerprint,
        **packed.pack(doc.tf, doc.terms, doc.posted, doc.ex, doc.emb),  # what only scoring reads
        **({"exemb": doc.exemb} if doc.exemb else {}),  # the embedding's expanded vector
    }


def _list_item(slug: str, entries: Sequence[RelatedEntry]) -> dict[str, Any]:
    return {**_doc_key(slug, "RELATED"), "entries": _entries_to_item(entries)}


def _term_key(term: str) -> dict[str, str]:
    # A term is any run of letters in an article: bounded, or one long "word" fails the whole batch.
    return {"pk": bounded("TERM#", term), "sk": "POSTINGS"}


def _postings_item(term: str, plist: Sequence[tuple[str, float]]) -> dict[str, Any]:
    return {**_term_key(term), "p": packed.pack_postings(plist)}


def _delta_item(delta: Delta) -> dict[str, Any]:
    item = {"pk": "STATS#DELTA", "sk": delta.key, "sign": delta.sign, "terms": " ".join(delta.terms)}
    return item | ({"emb": delta.emb} if delta.emb else {})


def _snapshot_items(stats: TermStats) -> tuple[str, list[dict[str, Any]]]:
    """(digest, shard items) of a snapshot. The digest tells a warm reader's cached snapshot from a
    rebuilt one that reuses its version number."""
    data: dict[str, Any] = {"n": stats.n_docs, "df": stats.df}
    if stats.topics or stats.recent:
        data |= {
            "topics": stats.topics,
            "fit": stats.topics_fit,
            "id": stats.topics_id,
            "recent": stats.recent,
        }
    if stats.centre_n:
        data |= {"centre": stats.centre_sum, "centre_n": stats.centre_n}
    blob = zlib.compress(json.dumps(data, separators=(",", ":")).encode())
    chunks = [blob[i : i + SNAPSHOT_SHARD_BYTES] for i in range(0, len(blob), SNAPSHOT_SHARD_BYTES)]
    items = [
        {"pk": "STATS", "sk": f"SNAP#{i}", "version": stats.version, "data": Binary(chunk)}
        for i, chunk in enumerate(chunks)
    ]
    return hashlib.sha256(blob).hexdigest()[:16], items


def canonical_items(index: InMemoryRelatedIndex) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item the table holds for the state of ``index``, as the incremental path writes them."""
    items = [_doc_to_item(doc) for doc in index.docs.values()]
    items += [_list_item(slug, entries) for slug, entries in index.lists.items() if entries]
    items += [{**_doc_key(s, "HOLDERS"), "holders": set(h)} for s, h in index.holders.items() if h]
    items += [_postings_item(t, plist) for t, plist in index.postings.items() if plist]
    items += [_delta_item(d) for d in index.deltas.values()]
    head: dict[str, Any] = {**_HEAD, "pending": index.head.pending}
    if index.head.version:
        digest, shards = _snapshot_items(index.stats[index.head.version])
        head |= {"version": index.head.version, "shards": len(shards), "digest": digest}
        items += shards
    items.append(head)
    return {(i["pk"], i["sk"]): i for i in items}


def _doc_from_item(item: Mapping[str, Any]) -> DocRecord:
    tf, terms, posted, ex, emb = packed.unpack(item)
    return DocRecord(
        slug=item["slug"],
        title=item["title"],
        excerpt=item["excerpt"],
        published=item["published"],
        tags=list(item.get("tags", [])),
        tf=tf,
        terms=terms,
        fingerprint=item["fingerprint"],
        posted=posted,
        ex=ex,
        emb=emb,
        exemb=item.get("exemb", ""),
    )


class DynamoDBRelatedIndex:
    """``RelatedIndex`` over one table. Reads are strongly consistent (the update reads what the previous
    stream record wrote). Batch calls retry UnprocessedKeys/UnprocessedItems with backoff."""

    def __init__(
        self,
        table_name: str | None = None,
        dynamodb: Any | None = None,
        on_dirty: Callable[[], None] | None = None,
    ):
        self.table_name = table_name or os.environ["RELATED_TABLE"]
        self.on_dirty = on_dirty  # asks for a rebuild (see RebuildRequests)
        self._resource = dynamodb
        self._table: Any | None = None
        self._snapshot: TermStats | None = None  # a warm Lambda reads a snapshot once per version
        self._snapshot_digest = ""
        self._shards = 0
        self._digest = ""

    @property
    def resource(self) -> Any:
        if self._resource is None:  # on first use: a handler imports without touching AWS
            from newsdrop import aws

            self._resource = aws.resource("dynamodb")
        return self._resource

    @property
    def table(self) -> Any:
        if self._table is None:
            self._table = self.resource.Table(self.table_name)
        return self._table

    # -- batch helpers -----------------------------------------------------------------------------
    def _batch_get(self, keys: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        unique = list({(k["pk"], k["sk"]): k for k in keys}.values())
        for start in range(0, len(unique), _BATCH_GET):
            request: dict[str, Any] = {
                self.table_name: {"Keys": unique[start : start + _BATCH_GET], "ConsistentRead": True}
            }
            attempt = 0
            while request:
                resp = self.resource.batch_get_item(RequestItems=request)
                out.extend(resp.get("Responses", {}).get(self.table_name, []))
                request = resp.get("UnprocessedKeys") or {}
                if request:
                    attempt += 1
                    _backoff(attempt)
        return out

    def _batch_write(self, puts: Iterable[dict[str, Any]], deletes: Iterable[dict[str, str]] = ()) -> None:
        # boto3's batch_writer groups by 25, de-duplicates by key and resends UnprocessedItems
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for item in puts:
                batch.put_item(Item=item)
            for key in deletes:
                batch.delete_item(Key=key)

    # -- documents ---------------------------------------------------------------------------------
    def get_docs(self, slugs: Iterable[str]) -> dict[str, DocRecord]:
        items = self._batch_get([_doc_key(s, "DOC") for s in slugs])
        return {item["slug"]: _doc_from_item(item) for item in items}

    def put_doc(self, doc: DocRecord) -> None:
        self.table.put_item(Item=_doc_to_item(doc))

    def delete_doc(self, slug: str) -> None:
        self._batch_write([], [_doc_key(slug, "DOC"), _doc_key(slug, "HOLDERS")])

    # -- postings ----------------------------------------------------------------------------------
    def get_postings(self, terms: Iterable[str]) -> dict[str, list[tuple[str, float]]]:
        by_key = {_term_key(t)["pk"]: t for t in terms}
        items = self._batch_get([_term_key(t) for t in by_key.values()])
        return {by_key[item["pk"]]: packed.unpack_postings(item["p"]) for item in items}

    def put_postings(self, postings: Mapping[str, list[tuple[str, float]]]) -> None:
        puts = [_postings_item(t, plist) for t, plist in postings.items() if plist]
        deletes = [_term_key(t) for t, plist in postings.items() if not plist]
        self._batch_write(puts, deletes)

    # -- lists -------------------------------------------------------------------------------------
    def list_items(self, slugs: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored list items by slug, with their attributes (an archive run's marker among them)."""
        items = self._batch_get([_doc_key(s, "RELATED") for s in slugs])
        return {item["pk"][4:]: item for item in items}

    def get_lists(self, slugs: Iterable[str]) -> dict[str, list[RelatedEntry]]:
        return {slug: _entries_from_item(item) for slug, item in self.list_items(slugs).items()}

    @staticmethod
    def entries(item: Mapping[str, Any]) -> list[RelatedEntry]:
        """A stored list item's entries."""
        return _entries_from_item(item)

    def put_lists(self, lists: Mapping[str, list[RelatedEntry]]) -> None:
        puts = [_list_item(s, entries) for s, entries in lists.items() if entries]
        deletes = [_doc_key(s, "RELATED") for s, entries in lists.items() if not entries]
        self._batch_write(puts, deletes)

    def related_for(self, slug: str) -> list[RelatedEntry]:
        """What the page shows: one GetItem."""
        item = self.table.get_item(Key=_doc_key(slug, "RELATED")).get("Item")
        return _entries_from_item(item) if item else []

    # -- holders -----------------------------------------------------------------------------------
    def get_holders(self, slug: str) -> set[str]:
        item = self.table.get_item(Key=_doc_key(slug, "HOLDERS"), ConsistentRead=True).get("Item") or {}
        return set(item.get("holders", ()))

    def change_holders(self, added: Mapping[str, set[str]], removed: Mapping[str, set[str]]) -> None:
        # one attribute cannot be ADDed and DELETEd in one expression: two updates when both (rare)
        for slug in sorted(set(added) | set(removed)):
            plus = added.get(slug, set())
            minus = removed.get(slug, set()) - plus
            for action, values in (("ADD", plus), ("DELETE", minus)):
                if values:
                    self.table.update_item(
                        Key=_doc_key(slug, "HOLDERS"),
                        UpdateExpression=f"{action} holders :v",
                        ExpressionAttributeValues={":v": set(values)},
                    )

    # -- term statistics ---------------------------------------------------------------------------
    def get_stats_head(self) -> StatsHead:
        item = self.table.get_item(Key=_HEAD, ConsistentRead=True).get("Item") or {}
        head = StatsHead(version=int(item.get("version", 0)), pending=int(item.get("pending", 0)))
        self._shards = int(item.get("shards", 0))
        self._digest = item.get("digest", "")
        return head

    def get_stats(self, version: int) -> TermStats:
        cached = self._snapshot
        if cached is not None and cached.version == version and self._snapshot_digest == self._digest:
            return cached
        if version == 0:
            return TermStats()
        for _ in range(5):
            shards = self._shards or 1
            items = self._batch_get([{"pk": "STATS", "sk": f"SNAP#{i}"} for i in range(shards)])
            if len(items) == shards and all(int(i["version"]) == version for i in items):
                blob = b"".join(i["data"].value for i in sorted(items, key=lambda i: int(i["sk"][5:])))
                data = json.loads(zlib.decompress(blob))
                stats = TermStats(
                    version=version,
                    n_docs=data["n"],
                    df=data["df"],
                    topics=data.get("topics", {}),
                    topics_fit=data.get("fit", 0),
                    topics_id=data.get("id", ""),
                    recent=data.get("recent", []),
                    centre_sum=data.get("centre", []),
                    centre_n=data.get("centre_n", 0),
                )
                self._snapshot, self._snapshot_digest = stats, self._digest
                return stats
            head = self.get_stats_head()  # a fold committed in between: follow it
            version = head.version
        raise RuntimeError("term statistics snapshot keeps changing under us")

    def put_delta(self, delta: Delta) -> None:
        self.table.put_item(Item=_delta_item(delta))
        self.table.update_item(
            Key=_HEAD,
            UpdateExpression="ADD pending :one",
            ExpressionAttributeValues={":one": 1},
        )

    def list_deltas(self, limit: int | None = None) -> list[Delta]:
        out: list[Delta] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq("STATS#DELTA"),
            "ConsistentRead": True,
        }
        while True:
            resp = self.table.query(**kwargs)
            for item in resp.get("Items", []):
                terms = item["terms"].split() if item.get("terms") else []
                out.append(
                    Delta(key=item["sk"], sign=int(item["sign"]), terms=terms, emb=item.get("emb", ""))
                )
                if limit and len(out) >= limit:
                    return out
            if "LastEvaluatedKey" not in resp:
                return out
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def commit_stats(self, stats: TermStats, consumed: Sequence[str], expected_version: int) -> bool:
        """New snapshot + head + deletion of the folded deltas in ONE transaction (<= 100 items), so
        a delta is counted exactly once even if we crash; a concurrent fold makes this one a no-op."""
        digest, shards = _snapshot_items(stats)
        if len(shards) + 1 + len(consumed) > 100:
            raise ValueError("fold at most 100 - shards - 1 deltas per commit")
        name = self.table_name
        # plain Python values: the resource's client serializes them (it is not a low-level client)
        ops: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": name,
                    "Key": _HEAD,
                    "UpdateExpression": (
                        "SET #v = :v, shards = :s, digest = :d, pending = if_not_exists(pending, :zero) - :n"
                    ),
                    "ConditionExpression": "attribute_not_exists(#v) OR #v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": {
                        ":v": stats.version,
                        ":s": len(shards),
                        ":d": digest,
                        ":n": len(consumed),
                        ":zero": 0,
                        ":expected": expected_version,
                    },
                }
            }
        ]
        ops += [{"Put": {"TableName": name, "Item": item}} for item in shards]
        for key in consumed:
            ops.append({"Delete": {"TableName": name, "Key": {"pk": "STATS#DELTA", "sk": key}}})
        try:
            self.resource.meta.client.transact_write_items(TransactItems=ops)
        except ClientError as err:
            reasons = [r.get("Code") for r in err.response.get("CancellationReasons", [])]
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                return False  # another fold won; the caller re-reads the head
            raise
        self._shards, self._digest = len(shards), digest
        self._snapshot, self._snapshot_digest = stats, digest
        return True

    # -- canonical order and rebuilds --------------------------------------------------------------
    def begin_update(self, key: str) -> bool:
        """Count the update (the rebuild's race check) and advance ``newest`` if ``key`` is past it."""
        try:
            self.table.update_item(
                Key=_STATE,
                UpdateExpression="SET newest = :k ADD generation :one",
                ConditionExpression="attribute_not_exists(newest) OR newest < :k",
                ExpressionAttributeValues={":k": key, ":one": 1},
            )
            return True
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        self.table.update_item(
            Key=_STATE, UpdateExpression="ADD generation :one", ExpressionAttributeValues={":one": 1}
        )
        return False

    def mark_dirty(self) -> None:
        # Ask first, then flag: a crash in between leaves the flag unset, so the replayed update asks
        # again; the other order could leave a flag that no request will ever clear.
        state = self.table.get_item(Key=_STATE, ConsistentRead=True).get("Item") or {}
        if state.get("dirty"):
            return  # a rebuild is already asked for
        if self.on_dirty:
            self.on_dirty()
        self.table.update_item(
            Key=_STATE, UpdateExpression="SET dirty = :t", ExpressionAttributeValues={":t": True}
        )

    def rebuild_state(self) -> tuple[int, bool]:
        state = self.table.get_item(Key=_STATE, ConsistentRead=True).get("Item") or {}
        return int(state.get("generation", 0)), bool(state.get("dirty"))

    def finish_rebuild(self, generation: int, newest: str) -> bool:
        """Clean, unless an update began since ``generation`` was read (it may have been overwritten)."""
        try:
            self.table.update_item(
                Key=_STATE,
                UpdateExpression="SET dirty = :f, newest = :k",
                ConditionExpression="attribute_not_exists(generation) OR generation = :g",
                ExpressionAttributeValues={":f": False, ":k": newest, ":g": generation},
            )
            return True
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False

    def replace_with(self, canonical: InMemoryRelatedIndex) -> int:
        """Make every item but INDEX/STATE equal to the canonical index's; returns items put or deleted.
        Puts go first and deletes last, so a page never reads a missing list that the canonical has."""
        want = canonical_items(canonical)
        stale = []
        for item in self.scan_items():
            key = (item["pk"], item["sk"])
            if key == (_STATE["pk"], _STATE["sk"]):
                continue
            if key not in want:
                stale.append({"pk": key[0], "sk": key[1]})
            elif want[key] == item:
                del want[key]
        self._batch_write(want.values())
        self._batch_write([], stale)
        self._snapshot, self._shards, self._digest = None, 0, ""
        return len(want) + len(stale)

    def scan_items(self) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"ConsistentRead": True}
        while True:
            resp = self.table.scan(**kwargs)
            yield from resp.get("Items", [])
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    # -- maintenance -------------------------------------------------------------------------------
    def clear(self) -> None:
        """Delete every item (for a full reindex)."""
        self._batch_write([], [{"pk": i["pk"], "sk": i["sk"]} for i in self.scan_items()])
        self._snapshot, self._shards, self._digest = None, 0, ""


class RebuildRequests:
    """Asks for a rebuild with one delayed SQS message: the delay lets a burst of out-of-order events
    (a redrive, a batch of back-dated files) settle into one rebuild."""

    def __init__(self, queue_url: str, delay_seconds: int = 0, sqs: Any | None = None):
        self.queue_url = queue_url
        self.delay_seconds = max(0, min(900, delay_seconds))
        self._sqs = sqs

    def __call__(self) -> None:
        if self._sqs is None:  # created on first use: most related updates never ask
            from newsdrop import aws

            self._sqs = aws.client("sqs")
        self._sqs.send_message(
            QueueUrl=self.queue_url, MessageBody='{"rebuild": "related"}', DelaySeconds=self.delay_seconds
        )


def _backoff(attempt: int) -> None:
    time.sleep(min(1.0, 0.02 * 2**attempt) * random.random())


TABLE_DEFINITION = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ],
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


def create_table(table_name: str, dynamodb: Any | None = None) -> Any:
    """For tests and the local stack: the table as template.yaml declares ``RelatedTable``."""
    resource = dynamodb or boto3.resource("dynamodb")
    table = resource.create_table(TableName=table_name, **TABLE_DEFINITION)
    table.wait_until_exists()
    return table
