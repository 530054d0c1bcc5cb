"""Articles stream -> one notification job per newly stored article (INSERT of sk=CURRENT only)."""

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from newsdrop.ingest.store import article_from_item
from newsdrop.notify.delivery import snapshot_from_article, start_job
from newsdrop.notify.wiring import notify_runtime
from newsdrop.observability import batch_handler, logger, metrics


def record_handler(record: DynamoDBRecord) -> str:
    image = record.dynamodb.new_image if record.dynamodb else None
    # the event source mapping filters these already; checked again so a replay or a local run can't slip
    if record.event_name is None or record.event_name.name != "INSERT" or not image:
        return "ignored"
    if image.get("sk") != "CURRENT" or not str(image.get("pk", "")).startswith("ARTICLE#"):
        return "ignored"
    rt = notify_runtime()
    article = article_from_item(dict(image))
    logger.set_correlation_id(article.correlation_id)
    outcome = start_job(
        snapshot_from_article(article),
        rt.deliveries,
        rt.fanout_queue,
        followed=rt.subscribers.followed_among,
    )
    logger.info("notification job", extra={"slug": article.slug, "outcome": outcome})
    if outcome == "started":
        metrics.add_metric(name="NotificationJobsStarted", unit=MetricUnit.Count, value=1)
    return outcome


handler = batch_handler(record_handler, EventType.DynamoDBStreams)
