"""Articles stream -> related lists: the changed article's own list, and its place in older articles' lists."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.event_models import stream_record
from newsdrop.ingest.store import article_from_item, slug_of_key
from newsdrop.models import is_public
from newsdrop.observability import BatchHandler, initialised, logger, metrics
from newsdrop.related.debounce import RebuildRequest
from newsdrop.related.engine import remove_article, update_for_article
from newsdrop.related.store import DynamoDBRelatedIndex

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parser.models.dynamodb import DynamoDBStreamRecordModel

# Events it cannot apply in publication order (late, changed, removed) ask for a canonical rebuild,
# naming the generation they saw (newsdrop.related.debounce: one rebuild per burst).
request_rebuild = RebuildRequest(os.environ["REBUILD_QUEUE_URL"], int(os.environ["REBUILD_DELAY_SECONDS"]))
index = DynamoDBRelatedIndex(
    os.environ["RELATED_TABLE"], on_dirty=lambda: request_rebuild(index.rebuild_state()[0])
)


def record_handler(record: DynamoDBStreamRecordModel) -> int:
    new_image = record.dynamodb.NewImage
    article = article_from_item(dict(new_image)) if new_image and new_image.get("kind") == "article" else None
    if article is not None and is_public(article):
        logger.set_correlation_id(article.correlation_id)
        changed = update_for_article(index, article)
    else:  # removed, or not (or no longer) visible to readers: out of every list that held it
        changed = remove_article(index, slug_of_key(record.dynamodb.Keys))
    metrics.add_metric(name="RelatedListsUpdated", unit=MetricUnit.Count, value=len(changed))
    logger.info("related lists updated", extra={"event": record.eventName, "lists": len(changed)})
    return len(changed)


handler = BatchHandler(record_handler, "DynamoDBStreams", model=stream_record)

initialised()  # the end of the cold start's imports (newsdrop.observability)
