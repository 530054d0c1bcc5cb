"""The site outside Lambda: a full publish of a stack (``newsdrop publish --all``, ``newsdrop dev`` at
start) and a copy of the site bucket into a folder (``newsdrop run --site DIR``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from newsdrop.site.wiring import PublishReport, build_runtime, publish_everything


def publish_all(
    session: Any,
    outputs: dict[str, str],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> PublishReport:
    """Re-render every page of the stack whose outputs are ``outputs`` (its tables, bucket and
    distribution), with ``session``'s credentials: local moto, the dev server, or a deployed stack."""
    from newsdrop.ingest.store import ArticleStore
    from newsdrop.site.store import DynamoDBSiteIndex

    dynamodb = session.resource("dynamodb")
    runtime = build_runtime(
        articles_table=outputs["ArticlesTableName"],
        related_table=outputs["RelatedTableName"],
        site_table=outputs["SiteTableName"],
        bucket=outputs["SiteBucketName"],
        distribution_id=outputs["SiteDistributionId"],
        base_url=outputs["SiteUrl"],
        config_bucket=outputs.get("DropBucketName"),
        session=session,
    )
    articles = list(ArticleStore(outputs["ArticlesTableName"], dynamodb).iter_articles())
    total = len(articles)
    return publish_everything(
        runtime,
        articles,
        DynamoDBSiteIndex(outputs["SiteTableName"], dynamodb),
        progress=(lambda done: progress(done, total)) if progress else None,
    )


def publish_local_stack(stack: Any) -> PublishReport:
    """``publish_all`` for a ``newsdrop.local.stack.LocalStack``."""
    return publish_all(stack.session, stack.outputs())


def export_site(s3: Any, bucket: str, dest: Path) -> int:
    """Copy every object of the site bucket to ``dest`` (keys are paths); returns the number of files."""
    dest = Path(dest)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            key = PurePosixPath(obj["Key"])
            if key.is_absolute() or ".." in key.parts:
                continue  # never outside dest
            target = dest.joinpath(*key.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            count += 1
    return count
