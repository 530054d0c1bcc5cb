"""The site's AWS side: the list index in DynamoDB (``SITE_TABLE``), the bucket the pages are written to,
and the CloudFront invalidation of what changed.

Site table, ``pk``/``sk``, on demand, no index:

| pk               | sk                         | holds                                                     |
|------------------|----------------------------|-----------------------------------------------------------|
| ART#<slug>       | RECORD                     | what the site shows of the article: entry, listings, rev  |
| LIST#<listing>   | E#<published>#<slug>       | one list entry (``e``: JSON); pages are Queries of these  |
| LIST#<listing>   | COUNT                      | ``n``: entries in the listing (page numbers need it)      |
| MONTHS           | <YYYY-MM>                  | ``n``: published articles of the month (sitemap index)    |
| LABELS           | <tag key>                  | ``label``: the tag's one label on the site (first wins)   |
| SEARCH#<shard>   | <slug>                     | ``d``: the article's search document in that shard (JSON) |
| PAGES#<listing>  | S#<sort key where it starts>| ``n``: the page's number (0: front page); ``by``: sealer  |

An entry and its counts change in one transaction whose condition is the entry's presence, so a replayed
stream record changes no count.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from typing import Any

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from newsdrop.models import Tag, compact_json
from newsdrop.site.entries import Entry, InMemorySiteIndex, PageStart, SiteRecord
from newsdrop.site.layout import ALL
from newsdrop.site.publish import SiteChanges

_BATCH_GET = 100
MAX_INVALIDATION_PATHS = 1000  # beyond this (a full publish) one "/*" costs less than the list


def _entry_sk(entry: Entry) -> str:
    return f"E#{entry.sort_key}"


class DynamoDBSiteIndex:
    def __init__(self, table_name: str, dynamodb: Any | None = None):
        self.resource = dynamodb or boto3.resource("dynamodb")
        self.table = self.resource.Table(table_name)
        self.table_name = table_name
        self._client = self.table.meta.client

    # -- records ---------------------------------------------------------------------------------
    def get_record(self, slug: str) -> SiteRecord | None:
        item = self.table.get_item(Key={"pk": f"ART#{slug}", "sk": "RECORD"}, ConsistentRead=True).get("Item")
        return SiteRecord.from_json(item["r"]) if item else None

    def put_record(self, record: SiteRecord) -> None:
        self.table.put_item(Item={"pk": f"ART#{record.entry.slug}", "sk": "RECORD", "r": record.to_json()})

    def delete_record(self, slug: str) -> None:
        self.table.delete_item(Key={"pk": f"ART#{slug}", "sk": "RECORD"})

    def public_among(self, slugs: Iterable[str]) -> set[str]:
        keys = [{"pk": f"ART#{s}", "sk": "RECORD"} for s in dict.fromkeys(slugs)]
        found: set[str] = set()
        for start in range(0, len(keys), _BATCH_GET):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": keys[start : start + _BATCH_GET],
                    "ProjectionExpression": "pk, #public",
                    "ExpressionAttributeNames": {"#public": "public"},
                }
            }
            while request:
                resp = self.resource.batch_get_item(RequestItems=request)
                found |= {
                    i["pk"].removeprefix("ART#")
                    for i in resp["Responses"].get(self.table_name, [])
                    if i.get("public", True)
                }
                request = resp.get("UnprocessedKeys") or {}
        return found

    # -- listings ----------------------------------------------------------------------------------
    def _counters(self, listing: str, entry: Entry, step: int) -> list[dict[str, Any]]:
        keys = [{"pk": f"LIST#{listing}", "sk": "COUNT"}]
        if listing == ALL:
            keys.append({"pk": "MONTHS", "sk": entry.month})
        return [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": key,
                    "UpdateExpression": "ADD n :step",
                    "ExpressionAttributeValues": {":step": step},
                }
            }
            for key in keys
        ]

    def _transact(self, items: list[dict[str, Any]]) -> bool:
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as err:
            reasons = err.response.get("CancellationReasons", [])
            if err.response["Error"]["Code"] == "TransactionCanceledException" and any(
                r.get("Code") == "ConditionalCheckFailed" for r in reasons
            ):
                return False  # already there / already gone: a replay
            raise
        return True

    def add_entry(self, listing: str, entry: Entry) -> bool:
        put = {
            "Put": {
                "TableName": self.table_name,
                "Item": {"pk": f"LIST#{listing}", "sk": _entry_sk(entry), "e": entry.to_json()},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        return self._transact([put, *self._counters(listing, entry, 1)])

    def remove_entry(self, listing: str, entry: Entry) -> bool:
        delete = {
            "Delete": {
                "TableName": self.table_name,
                "Key": {"pk": f"LIST#{listing}", "sk": _entry_sk(entry)},
                "ConditionExpression": "attribute_exists(pk)",
            }
        }
        return self._transact([delete, *self._counters(listing, entry, -1)])

    def replace_entry(self, listing: str, entry: Entry) -> None:
        self.table.put_item(Item={"pk": f"LIST#{listing}", "sk": _entry_sk(entry), "e": entry.to_json()})

    def count(self, listing: str) -> int:
        item = self.table.get_item(Key={"pk": f"LIST#{listing}", "sk": "COUNT"}, ConsistentRead=True).get(
            "Item"
        )
        return int(item["n"]) if item else 0

    def _query(self, condition: Any, *, newest_first: bool = False, limit: int | None = None, **kw: Any):
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": condition,
            "ScanIndexForward": not newest_first,
            "ConsistentRead": True,
            **kw,
        }
        seen = 0
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - seen
            page = self.table.query(**kwargs)
            yield page
            seen += len(page.get("Items", []))
            if "LastEvaluatedKey" not in page or (limit is not None and seen >= limit):
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def newest(self, listing: str, n: int) -> list[Entry]:
        if n <= 0:
            return []
        condition = Key("pk").eq(f"LIST#{listing}") & Key("sk").begins_with("E#")
        return [
            Entry.from_json(item["e"])
            for page in self._query(condition, newest_first=True, limit=n)
            for item in page["Items"]
        ]

    def between(self, listing: str, low: str, high: str) -> list[Entry]:
        condition = Key("pk").eq(f"LIST#{listing}") & Key("sk").between(f"E#{low}", f"E#{high}")
        return [Entry.from_json(i["e"]) for page in self._query(condition) for i in page["Items"]]

    def months(self) -> list[str]:
        return list(self.month_counts())

    def month_counts(self) -> dict[str, int]:
        pages = self._query(Key("pk").eq("MONTHS"))
        counts = {i["sk"]: int(i.get("n", 0)) for page in pages for i in page["Items"]}
        return {month: n for month, n in counts.items() if n > 0}

    # -- tag labels ----------------------------------------------------------------------------------
    def claim_labels(self, tags: list[Tag]) -> dict[str, str]:
        keys = list(dict.fromkeys(t.key for t in tags))
        if not keys:
            return {}
        found = self._labels(keys)
        for tag in tags:
            if tag.key in found:
                continue
            try:
                self.table.put_item(
                    Item={"pk": "LABELS", "sk": tag.key, "label": tag.label},
                    ConditionExpression="attribute_not_exists(pk)",
                )
                found[tag.key] = tag.label
            except ClientError as err:
                if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                found.update(self._labels([tag.key]))  # another invocation claimed it first
        return found

    def _labels(self, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), _BATCH_GET):
            request: dict[str, Any] = {
                self.table_name: {
                    "Keys": [{"pk": "LABELS", "sk": k} for k in keys[start : start + _BATCH_GET]],
                    "ConsistentRead": True,
                }
            }
            while request:
                resp = self.resource.batch_get_item(RequestItems=request)
                found |= {i["sk"]: i["label"] for i in resp["Responses"].get(self.table_name, [])}
                request = resp.get("UnprocessedKeys") or {}
        return found

    def all_labels(self) -> dict[str, str]:
        pages = self._query(Key("pk").eq("LABELS"))
        return {i["sk"]: i["label"] for page in pages for i in page["Items"]}

    # -- the search index ---------------------------------------------------------------------------
    def search_put(self, shard: str, slug: str, doc: dict) -> None:
        self.table.put_item(Item={"pk": f"SEARCH#{shard}", "sk": slug, "d": compact_json(doc)})

    def search_remove(self, shard: str, slug: str) -> None:
        self.table.delete_item(Key={"pk": f"SEARCH#{shard}", "sk": slug})

    def search_docs(self, shard: str) -> list[dict]:
        pages = self._query(Key("pk").eq(f"SEARCH#{shard}"))
        return [json.loads(i["d"]) for page in pages for i in page["Items"]]

    # -- where pages start -------------------------------------------------------------------------
    @staticmethod
    def _page(item: dict[str, Any]) -> PageStart:
        return PageStart(item["sk"].removeprefix("S#"), int(item["n"]), item.get("by"))

    def _page_item(self, listing: str, page: PageStart) -> dict[str, Any]:
        item = {"pk": f"PAGES#{listing}", "sk": f"S#{page.start}", "n": page.number}
        return item | ({"by": page.by} if page.by else {})

    def pages_before(self, listing: str, key: str, n: int) -> list[PageStart]:
        condition = Key("pk").eq(f"PAGES#{listing}") & Key("sk").lte(f"S#{key}")
        pages = self._query(condition, newest_first=True, limit=n)
        return [self._page(i) for page in pages for i in page["Items"]][:n]

    def pages_after(self, listing: str, key: str, n: int | None) -> list[PageStart]:
        condition = Key("pk").eq(f"PAGES#{listing}") & Key("sk").gt(f"S#{key}")
        return [self._page(i) for page in self._query(condition, limit=n) for i in page["Items"]][:n]

    def set_pages(self, listing: str, starts: dict[str, int]) -> None:
        stale = {p.start for p in self.pages_after(listing, "", None) if p.start not in starts}
        if "" not in starts and self.pages_before(listing, "", 1):
            stale.add("")
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for start, number in starts.items():
                batch.put_item(Item=self._page_item(listing, PageStart(start, number)))
            for start in stale:
                batch.delete_item(Key={"pk": f"PAGES#{listing}", "sk": f"S#{start}"})

    def seal_page(self, listing: str, sealed: PageStart, front: str) -> None:
        # one transaction: the listing always has exactly one front page
        self._client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.table_name, "Item": self._page_item(listing, p)}}
                for p in (sealed, PageStart(front, 0))
            ]
        )

    # -- a full publish ------------------------------------------------------------------------------
    def corrections(self) -> dict[str, str]:
        """slug -> when it was corrected, for every article the site shows as updated (one scan)."""
        out: dict[str, str] = {}
        kwargs: dict[str, Any] = {"FilterExpression": Attr("sk").eq("RECORD")}
        while True:
            page = self.table.scan(**kwargs)
            for item in page["Items"]:
                record = SiteRecord.from_json(item["r"])
                if record.entry.updated:
                    out[record.entry.slug] = record.entry.updated
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def replace_all(self, built: InMemorySiteIndex) -> None:
        """Make the table hold exactly ``built``'s state (``newsdrop publish --all``)."""
        items = site_items(built)
        stale = []
        kwargs: dict[str, Any] = {"ProjectionExpression": "pk, sk"}
        while True:
            page = self.table.scan(**kwargs)
            stale += [(i["pk"], i["sk"]) for i in page["Items"] if (i["pk"], i["sk"]) not in items]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        with self.table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            for item in items.values():
                batch.put_item(Item=item)
            for pk, sk in stale:
                batch.delete_item(Key={"pk": pk, "sk": sk})


CACHE_CONTROL = {
    # HTML and feeds change as articles do; invalidations make the change visible at once, the short
    # max-age bounds what a browser keeps.
    "text/html": "public, max-age=60",
    "application": "public, max-age=300",
}


def site_items(built: InMemorySiteIndex) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item of the table for ``built``'s state, keyed by (pk, sk): a full publish writes these (in
    one process, or by shards: newsdrop.archive)."""
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for record in built.records.values():
        items[(f"ART#{record.entry.slug}", "RECORD")] = {"public": record.public, "r": record.to_json()}
    months: dict[str, int] = {}
    for listing, entries in built.listings.items():
        items[(f"LIST#{listing}", "COUNT")] = {"n": len(entries)}
        for entry in entries.values():
            items[(f"LIST#{listing}", _entry_sk(entry))] = {"e": entry.to_json()}
            if listing == ALL:
                months[entry.month] = months.get(entry.month, 0) + 1
    for month, n in months.items():
        items[("MONTHS", month)] = {"n": n}
    for key, label in built.labels.items():
        items[("LABELS", key)] = {"label": label}
    for listing, pages in built.pages.items():
        for page in pages.values():
            items[(f"PAGES#{listing}", f"S#{page.start}")] = {"n": page.number} | (
                {"by": page.by} if page.by else {}
            )
    for shard, docs in built.search.items():
        for slug, doc in docs.items():
            items[(f"SEARCH#{shard}", slug)] = {"d": compact_json(doc)}
    return {(pk, sk): {"pk": pk, "sk": sk, **values} for (pk, sk), values in items.items()}


class S3SiteBucket:
    def __init__(self, bucket: str, s3: Any | None = None):
        self.bucket = bucket
        self.s3 = s3 or boto3.client("s3")

    def apply(self, changes: SiteChanges) -> int:
        """Write and delete what ``changes`` says; returns the number of objects touched."""
        for key, obj in changes.puts.items():
            kind = obj.content_type.split(";")[0]
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=obj.body,
                ContentType=obj.content_type,
                CacheControl=CACHE_CONTROL.get(kind, CACHE_CONTROL["application"]),
            )
        deletes = sorted(changes.deletes)
        for start in range(0, len(deletes), 1000):
            chunk = deletes[start : start + 1000]
            self.s3.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
            )
        return len(changes.puts) + len(deletes)

    def put_file(self, key: str, body: bytes, content_type: str) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ContentType=content_type,
            CacheControl="public, max-age=300",
        )


class CloudFrontInvalidator:
    def __init__(self, distribution_id: str, cloudfront: Any | None = None):
        self.distribution_id = distribution_id
        self._client = cloudfront

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("cloudfront")
        return self._client

    def invalidate(self, paths: list[str]) -> str | None:
        """ONE CreateInvalidation for every path of a publisher invocation (None when nothing changed)."""
        if not paths:
            return None
        items = sorted(set(paths))
        if len(items) > MAX_INVALIDATION_PATHS:
            items = ["/*"]
        reference = hashlib.sha256(("\n".join(items) + str(time.time_ns())).encode()).hexdigest()[:32]
        resp = self.client.create_invalidation(
            DistributionId=self.distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(items), "Items": items},
                "CallerReference": reference,
            },
        )
        return resp["Invalidation"]["Id"]
