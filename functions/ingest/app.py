import os

from aws_lambda_powertools.metrics import MetricUnit

from newsdrop.images.store import ImageQueue, ImageRecords
from newsdrop.ingest.drop_bucket import DropBucket
from newsdrop.ingest.editors import EditorNotices
from newsdrop.ingest.events import dropped_objects
from newsdrop.ingest.ingestor import Ingestor
from newsdrop.ingest.schedules import LifecycleSchedules
from newsdrop.ingest.store import ArticleStore
from newsdrop.observability import initialised, logger, metrics, tracer

store = ArticleStore(os.environ["ARTICLES_TABLE"])
ingestor = Ingestor(
    store,
    DropBucket(),
    incoming_prefix=os.environ.get("INCOMING_PREFIX", "incoming/"),
    quarantine_prefix=os.environ.get("QUARANTINE_PREFIX", "quarantine/"),
    schedules=LifecycleSchedules(
        group=os.environ["SCHEDULE_GROUP"],
        target_arn=os.environ["LIFECYCLE_FUNCTION_ARN"],
        role_arn=os.environ["SCHEDULER_ROLE_ARN"],
        dead_letter_arn=os.environ["LIFECYCLE_DEAD_LETTER_ARN"],
    ),
    editors=EditorNotices.from_env(),
    images=ImageRecords(store),
    image_queue=ImageQueue(os.environ["IMAGE_QUEUE_URL"]),
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event, context):
    outcomes, failures = [], []
    for dropped in dropped_objects(event):
        logger.set_correlation_id(dropped.drop_id)
        try:
            outcome = ingestor.ingest(dropped)
        except Exception:  # an AWS failure, not bad input: finish the others, then let Lambda retry
            logger.exception("drop failed, will be retried", extra={"key": dropped.key})
            failures.append(dropped.key)
            continue
        metrics.add_metric(name=f"Articles{outcome.status.capitalize()}", unit=MetricUnit.Count, value=1)
        logger.info("drop handled", extra=outcome.as_dict())
        outcomes.append(outcome.as_dict())
    if failures:
        # Retrying is safe: records already handled come back "unchanged".
        raise RuntimeError(f"{len(failures)} of {len(failures) + len(outcomes)} drops failed")
    return {"drops": outcomes}


initialised()  # the end of the cold start's imports (newsdrop.observability)
