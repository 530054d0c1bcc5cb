"""The durable record of each article's first publication (deliveries table, never expires).

Written once per article, the first time the notifier sees it become public, whatever the decision:
an article first published without an email (back-dated, ``notify: false``) is never announced later,
and one announced is never announced again (unpublished and published again, corrected, or the same
stream record delivered twice). The revision it names tells a replay of the first publication (go on
with the same decision: the job is idempotent) from a later publication (nothing to do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FirstPublication:
    revision: int
    announce: bool


class FirstPublications:
    def __init__(self, dynamodb_resource: Any, table_name: str):
        self.table = dynamodb_resource.Table(table_name)
        self.client = dynamodb_resource.meta.client

    def record(self, slug: str, revision: int, announce: bool, *, now: int) -> FirstPublication:
        """Claim the first publication for this revision (conditional put); if it was claimed before,
        the claim that stands."""
        key = {"pk": f"PUBLISHED#{slug}", "sk": "FIRST"}
        try:
            self.table.put_item(
                Item={**key, "revision": revision, "announce": announce, "at": now},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return FirstPublication(revision, announce)
        except self.client.exceptions.ConditionalCheckFailedException:
            item = self.table.get_item(Key=key, ConsistentRead=True)["Item"]
            return FirstPublication(int(item["revision"]), bool(item["announce"]))
