"""The composition root of the archive tasks (functions/archive/app.py): clients on first use, from the
function's environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache

from newsdrop.archive.marker import ARCHIVE_MARKER
from newsdrop.archive.tasks import Context


def build_context(env: dict[str, str]) -> Context:
    from newsdrop import aws
    from newsdrop.archive.articles import ArchiveArticleStore
    from newsdrop.archive.publishing import ShardPublisher
    from newsdrop.ingest.drop_bucket import DropBucket
    from newsdrop.ingest.ingestor import Ingestor
    from newsdrop.ingest.schedules import LifecycleSchedules
    from newsdrop.ingest.store import ArticleStore
    from newsdrop.related.store import DynamoDBRelatedIndex
    from newsdrop.site.store import DynamoDBSiteIndex
    from newsdrop.site.wiring import publisher_runtime

    dynamodb = aws.resource("dynamodb")
    s3 = aws.client("s3")
    schedules = LifecycleSchedules(
        group=env["SCHEDULE_GROUP"],
        target_arn=env["LIFECYCLE_FUNCTION_ARN"],
        role_arn=env["SCHEDULER_ROLE_ARN"],
        dead_letter_arn=env["LIFECYCLE_DEAD_LETTER_ARN"],
    )

    def ingestor(run: str) -> Ingestor:
        return Ingestor(
            ArchiveArticleStore(env["ARTICLES_TABLE"], dynamodb, marker={ARCHIVE_MARKER: run}),
            DropBucket(s3),
            incoming_prefix=env.get("ARCHIVE_PREFIX", "archive/"),
            quarantine_prefix=env.get("QUARANTINE_PREFIX", "quarantine/"),
            schedules=schedules,
        )

    runtime = publisher_runtime()  # the publisher's own, from the same variables
    related = DynamoDBRelatedIndex(env["RELATED_TABLE"], dynamodb)
    return Context(
        s3=s3,
        work_bucket=env["WORK_BUCKET"],
        work_root=env.get("WORK_PREFIX", "archive-runs/"),
        ingestor=ingestor,
        articles=ArticleStore(env["ARTICLES_TABLE"], dynamodb),
        related=related,
        # the site table through the same batch helpers (any pk/sk table): see newsdrop.related.shards
        tables={
            "related": related,
            "site": DynamoDBRelatedIndex(env["SITE_TABLE"], dynamodb),
            "articles": DynamoDBRelatedIndex(env["ARTICLES_TABLE"], dynamodb),  # batch reads of live items
        },
        publish=ShardPublisher(runtime, DynamoDBSiteIndex(env["SITE_TABLE"], dynamodb), related),
    )


@cache
def archive_context() -> Context:
    return build_context(dict(os.environ))


def with_deadline(ctx: Context, remaining_ms: Callable[[], int]) -> Context:
    ctx.remaining_ms = remaining_ms
    return ctx
