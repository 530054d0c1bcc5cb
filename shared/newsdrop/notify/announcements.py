"""The durable record of each article's first publication (deliveries table, never expires).

Written once per article, the first time the notifier sees it become public, whatever the decision:
an article first published without an email (back-dated, ``notify: false``) is never announced later,
and one announced is never announced again (unpublished and published again, corrected, or the same
stream record delivered twice). The revision it names tells a replay of the first publication (go on
with the same decision: the job is idempotent) from a later publication (nothing to do).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from newsdrop.lifecycle import became_public, should_announce

if TYPE_CHECKING:
    from newsdrop.models import Article

logger = logging.getLogger(__name__)


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


def announce_if_first_publication(
    old: Article | None,
    new: Article | None,
    first_publications: FirstPublications,
    start_job: Callable[[Article], str],
    *,
    max_age: timedelta,
    now: int | None = None,
) -> str:
    """What one article change means for readers' inboxes: "started" (or the job's replay outcome) when
    it first becomes public, is fresh and may be announced; otherwise why not."""
    if new is None or not became_public(old, new):
        return "ignored"  # a correction, a draft saved, a scheduled article waiting, an expiry
    first = first_publications.record(
        new.slug, new.revision, should_announce(new, max_age), now=int(time.time()) if now is None else now
    )
    if first.revision != new.revision or not first.announce:
        logger.info("not announced", extra={"slug": new.slug, "first_revision": first.revision,
                                            "announce": first.announce})  # fmt: skip
        return "not_announced"
    return start_job(new)
