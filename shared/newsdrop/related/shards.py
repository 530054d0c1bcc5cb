"""The related index written by slices: what ``DynamoDBRelatedIndex.replace_with`` does for the whole
table in one process, done by many map items at once (newsdrop.archive.tasks.write_related_shard)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from newsdrop.related.store import _STATE, DynamoDBRelatedIndex


def put_if_different(
    index: DynamoDBRelatedIndex,
    items: Mapping[tuple[str, str], dict[str, Any]],
    *,
    ignored: str | None = None,
) -> int:
    """Write those of ``items`` the table does not already hold as they are (but for the ``ignored``
    attribute); returns how many. A BatchGetItem first: a read is half a write's price, and a re-run (a
    retried shard, a redriven execution, a reindex of an unchanged corpus) then writes nothing."""

    def content(item: Mapping[str, Any] | None) -> Any:
        if item is None or ignored is None or ignored not in item:
            return item
        return {k: v for k, v in item.items() if k != ignored}

    stored = index._batch_get([{"pk": pk, "sk": sk} for pk, sk in items])
    same = {(i["pk"], i["sk"]) for i in stored if content(items.get((i["pk"], i["sk"]))) == content(i)}
    changed = [item for key, item in items.items() if key not in same]
    index._batch_write(changed)
    return len(changed)


def sweep_segment(
    index: DynamoDBRelatedIndex, segment: int, segments: int, wanted: set[tuple[str, str]]
) -> int:
    """Delete, in one segment of a parallel scan, the items the canonical index does not have (never the
    INDEX/STATE item, which the rebuild bookkeeping owns); returns how many."""
    kwargs: dict[str, Any] = {
        "Segment": segment,
        "TotalSegments": segments,
        "ProjectionExpression": "pk, sk",
        "ConsistentRead": True,
    }
    stale = []
    while True:
        page = index.table.scan(**kwargs)
        for item in page.get("Items", []):
            key = (item["pk"], item["sk"])
            if key not in wanted and key != (_STATE["pk"], _STATE["sk"]):
                stale.append({"pk": key[0], "sk": key[1]})
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    index._batch_write([], stale)
    return len(stale)
