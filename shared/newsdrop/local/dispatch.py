"""Deliver events to the local functions the way Lambda's event sources would.

- S3 notifications (asynchronous invocation): retried up to the function's MaximumRetryAttempts, then
  sent to its on-failure destination.
- DynamoDB streams (event source mappings): records in order per shard, the mapping's filter criteria and
  batch size, ReportBatchItemFailures honoured (retry from the first failed sequence number), bounded
  retries, then the on-failure destination gets the batch's description, as Lambda sends it.
- SQS queues: batches of up to BatchSize; a failed item (or every item of a batch whose invocation
  raised) is not deleted, so it comes back when its visibility timeout ends (the queue's
  VisibilityTimeout, or what the function set with ChangeMessageVisibility), and moto's redrive policy
  moves it to the dead-letter queue after maxReceiveCount receives.

- EventBridge Scheduler one-time schedules (``at(...)``) in the template's schedule groups: moto keeps
  them but never fires them; here a schedule fires once the local clock reaches its time, invoking its
  target asynchronously (the function's retries and on-failure destination), and is then deleted
  (ActionAfterCompletion: DELETE). `pump` never moves the clock to a schedule: the caller does
  (`advance_clock_to`, `newsdrop run --now`), as the tests do.

Time: `pump` never sleeps. When nothing is deliverable but some queue still holds a message that is
in flight or delayed, it moves the local clock (`moto_patches.clock`, which moto's SQS reads) forward to
the moment the first of them becomes visible, as waiting would have. `step` alone (``newsdrop dev``)
keeps real time.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from botocore.config import Config

from newsdrop.local.filters import matches_any
from newsdrop.local.moto_patches import clock
from newsdrop.local.stack import S3_EVENTS_QUEUE, EventSource, LocalFunction, LocalStack

log = logging.getLogger("newsdrop.local")

Hook = Callable[[str, LocalFunction, dict[str, Any]], None]


@dataclass
class DeliveryStats:
    invocations: int = 0
    failures: int = 0
    to_dead_letter: int = 0
    by_function: dict[str, int] = field(default_factory=dict)
    waited: float = 0.0  # seconds the local clock was moved forward while messages were invisible
    schedules_fired: int = 0


class Dispatcher:
    def __init__(self, stack: LocalStack, *, before_invoke: Hook | None = None):
        self.stack = stack
        self.stats = DeliveryStats()
        self.before_invoke = before_invoke  # lets chaos tests kill an invocation
        self._sqs = stack.client("sqs")
        # botocore >= 1.40 addresses streams at <account>.streams-ddb.<region>, which moto does not route.
        self._streams = stack.session.client(
            "dynamodbstreams", config=Config(account_id_endpoint_mode="disabled")
        )
        self._shard_iterators: dict[tuple[int, str], str | None] = {}
        # (mapping index, stream) -> (moto shard, its record count when last read to the end): a stream
        # that has not grown since is not polled again (each poll is two API calls)
        self._stream_seen: dict[tuple[int, str], tuple[int, int]] = {}
        self._s3_queue_url = (
            self._sqs.get_queue_url(QueueName=S3_EVENTS_QUEUE)["QueueUrl"] if stack.s3_notifications else None
        )
        self._s3_targets = {n.function for n in stack.s3_notifications}
        self._sqs_arn_prefix = next(
            (
                self.stack.resolve(s.source).rsplit(":", 1)[0]
                for s in stack.event_sources
                if ":sqs:" in str(self.stack.resolve(s.source))
            ),
            None,
        )
        self._schedule_groups = list(getattr(stack, "schedule_groups", []))
        self._scheduler = stack.client("scheduler") if self._schedule_groups else None
        self._account = next((f.arn.split(":")[4] for f in stack.functions.values()), "123456789012")
        self._start_stream_mappings()

    def _start_stream_mappings(self) -> None:
        """Mappings start when the stack is deployed, as on AWS: LATEST means records after this point."""
        for index, source in enumerate(self.stack.event_sources):
            arn = self.stack.resolve(source.source)
            if "/stream/" not in arn:
                continue
            position = source.props.get("StartingPosition", "TRIM_HORIZON")
            for shard in self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                self._shard_iterators[(index, shard["ShardId"])] = self._iterator(
                    arn, shard["ShardId"], position
                )

    def _iterator(self, stream_arn: str, shard_id: str, position: str) -> str:
        return self._streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType=position
        )["ShardIterator"]

    # -- the loop ---------------------------------------------------------------------------------
    def pump(self, *, max_rounds: int = 100_000) -> DeliveryStats:
        """Deliver until every source is quiet: nothing new in a full round, and no queue message left
        in flight or delayed (the clock is moved forward to the next one that becomes visible)."""
        for _ in range(max_rounds):
            if self.step():
                continue
            wait = self.next_visible_in()
            if wait is None:
                return self.stats
            clock.advance(wait)
            self.stats.waited += wait
        raise RuntimeError("local event sources did not settle")

    def next_visible_in(self) -> float | None:
        """Seconds until the first invisible (in-flight or delayed) message of a queue this dispatcher
        reads becomes visible, or None if there is none (or the queues are not in this process)."""
        now_ms = clock.time() * 1000.0
        due: float | None = None
        for queue in self._moto_queues():
            for message in queue._messages:
                at = max(message.visible_at, message.delayed_until)
                if at >= now_ms and (due is None or at < due):
                    due = at
        return None if due is None else (due - now_ms) / 1000.0 + 0.001

    def _moto_queues(self) -> list[Any]:
        arns = [
            self.stack.resolve(s.source)
            for s in self.stack.event_sources
            if s.props.get("Enabled", True) and ":sqs:" in str(self.stack.resolve(s.source))
        ]
        return [q for q in map(_moto_queue, arns) if q is not None]

    def step(self) -> int:
        delivered = self._deliver_s3_notifications()
        delivered += self._fire_due_schedules()
        for index, source in enumerate(self.stack.event_sources):
            if not source.props.get("Enabled", True):
                continue
            arn = self.stack.resolve(source.source)
            if ":dynamodb:" in arn or "/stream/" in arn:
                delivered += self._deliver_stream(index, source, arn)
            elif ":sqs:" in arn:
                delivered += self._drain_queue(source, arn)
        return delivered

    def _drain_queue(self, source: EventSource, queue_arn: str) -> int:
        """Batches from one queue until nothing in it is visible, as Lambda's pollers scale out to a
        backlog; at most the mapping's ScalingConfig.MaximumConcurrency batches per step when it sets
        one. One batch per source per step let a fast producer (a sender batch makes up to 250 SES Send
        events) outrun its consumer (the feedback function takes 10): the backlog grew to every email
        of the run, and moto's SQS reads and deletes scan the whole queue, so the run went quadratic."""
        limit = source.props.get("ScalingConfig", {}).get("MaximumConcurrency")
        limit = int(self.stack.resolve(limit)) if limit is not None else 10_000
        batches = 0
        while batches < limit and self._deliver_queue(source, queue_arn):
            batches += 1
        return batches

    def _invoke(self, fn: LocalFunction, event: dict[str, Any]) -> Any:
        self.stats.invocations += 1
        self.stats.by_function[fn.logical_id] = self.stats.by_function.get(fn.logical_id, 0) + 1
        if self.before_invoke:
            self.before_invoke("invoke", fn, event)
        return fn.invoke(event)

    # -- EventBridge Scheduler -> function (one-time schedules) -------------------------------------
    def advance_clock_to(self, when: datetime) -> float:
        """Move the local clock forward to ``when`` (never back); returns the seconds moved."""
        seconds = when.timestamp() - clock.time()
        clock.advance(seconds)
        return max(seconds, 0.0)

    def pending_schedules(self) -> list[dict[str, Any]]:
        """Every schedule not fired yet, with its time, soonest first."""
        out = []
        for group in self._schedule_groups:
            for name in _moto_schedule_names(self._account, group, self.stack.region) or self._list_schedules(
                group
            ):
                schedule = self._scheduler.get_schedule(GroupName=group, Name=name)
                out.append({**schedule, "At": schedule_time(schedule)})
        return sorted(out, key=lambda s: (s["At"] or datetime.max.replace(tzinfo=UTC), s["Name"]))

    def _list_schedules(self, group: str) -> list[str]:
        pages = self._scheduler.get_paginator("list_schedules").paginate(GroupName=group)
        return [s["Name"] for page in pages for s in page["Schedules"]]

    def _fire_due_schedules(self) -> int:
        if not self._schedule_groups or not _any_schedule_due(
            self._account, self._schedule_groups, self.stack.region
        ):
            return 0
        now = datetime.fromtimestamp(clock.time(), UTC)
        fired = 0
        for schedule in self.pending_schedules():
            if schedule["At"] is None or schedule["At"] > now or schedule.get("State") == "DISABLED":
                continue
            target = schedule["Target"]
            fn = next((f for f in self.stack.functions.values() if f.arn == target["Arn"]), None)
            if fn is None:
                raise RuntimeError(
                    f"schedule {schedule['Name']} targets {target['Arn']}, not a local function"
                )
            log.info("schedule %s fired (due %s)", schedule["Name"], schedule["At"].isoformat())
            # Scheduler invokes Lambda asynchronously: the function's own retries and destination apply.
            self._invoke_async(fn.logical_id, json.loads(target.get("Input") or "{}"))
            self.stats.schedules_fired += 1
            fired += 1
            if schedule.get("ActionAfterCompletion") == "DELETE":
                self._scheduler.delete_schedule(GroupName=schedule["GroupName"], Name=schedule["Name"])
        return fired

    # -- S3 -> function (asynchronous invocation) --------------------------------------------------
    def _deliver_s3_notifications(self) -> int:
        if not self._s3_queue_url or _nothing_visible(
            self._s3_queue_url.rsplit("/", 1)[1], self._sqs_arn_prefix
        ):
            return 0
        messages = self._sqs.receive_message(QueueUrl=self._s3_queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        for message in messages:
            event = json.loads(message["Body"])
            for record in event.get("Records", []):  # s3:TestEvent has none
                function = str(record["s3"].get("configurationId", "")).split(".")[0]
                targets = [function] if function in self._s3_targets else sorted(self._s3_targets)
                for target in targets:
                    self._invoke_async(target, {"Records": [record]})
            self._sqs.delete_message(QueueUrl=self._s3_queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _invoke_async(self, logical_id: str, event: dict[str, Any]) -> None:
        fn = self.stack.functions[logical_id]
        config = self.stack.async_configs.get(logical_id)
        attempts = 1 + (config.max_retries if config else 2)
        for attempt in range(1, attempts + 1):
            try:
                self._invoke(fn, event)
                log.info("%s handled an S3 event (attempt %d)", fn.logical_id, attempt)
                return
            except Exception as err:  # noqa: BLE001 (Lambda catches everything a handler raises)
                self.stats.failures += 1
                log.warning("%s failed (attempt %d/%d): %s", fn.logical_id, attempt, attempts, err)
                error = err
        if config and config.on_failure:
            self._to_destination(
                config.on_failure,
                {
                    "version": "1.0",
                    "requestContext": {
                        "functionArn": fn.arn,
                        "condition": "RetriesExhausted",
                        "approximateInvokeCount": attempts,
                    },
                    "requestPayload": event,
                    "responseContext": {"functionError": "Unhandled"},
                    "responsePayload": {"errorMessage": str(error), "errorType": type(error).__name__},
                },
            )

    # -- DynamoDB stream -> function ----------------------------------------------------------------
    def _deliver_stream(self, index: int, source: EventSource, stream_arn: str) -> int:
        fn = self.stack.functions[source.function]
        props = source.props
        batch_size = int(props.get("BatchSize", 100))
        max_retries = int(props.get("MaximumRetryAttempts", -1))
        patterns = [json.loads(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])]
        reports_failures = "ReportBatchItemFailures" in props.get("FunctionResponseTypes", [])
        delivered = 0
        seen_key = (index, stream_arn)
        length = _moto_stream_length(stream_arn)
        if length is not None and self._stream_seen.get(seen_key) == length:
            return 0  # nothing appended since the last read reached the end
        for shard in self._streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
            key = (index, shard["ShardId"])
            if key not in self._shard_iterators:
                # A shard born after the mapping started is read from its beginning.
                self._shard_iterators[key] = self._iterator(stream_arn, shard["ShardId"], "TRIM_HORIZON")
            iterator = self._shard_iterators[key]
            if iterator is None:
                continue
            resp = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            self._shard_iterators[key] = resp.get("NextShardIterator")
            if length is not None and len(resp["Records"]) < 1000:
                self._stream_seen[seen_key] = length  # read to the end (moto streams have one shard)
            records = [_lambda_stream_record(r, stream_arn) for r in resp["Records"]]
            records = [r for r in records if not patterns or matches_any(patterns, r)]
            for start in range(0, len(records), batch_size):
                self._deliver_stream_batch(
                    fn, records[start : start + batch_size], max_retries, reports_failures, props
                )
                delivered += 1
        return delivered

    def _deliver_stream_batch(
        self,
        fn: LocalFunction,
        batch: list[dict[str, Any]],
        max_retries: int,
        reports_failures: bool,
        props: dict[str, Any],
    ) -> None:
        attempt = 0
        while batch:
            attempt += 1
            try:
                log.info("%s <- %d stream record(s) (attempt %d)", fn.logical_id, len(batch), attempt)
                result = self._invoke(fn, {"Records": batch})
                failed = (result or {}).get("batchItemFailures", []) if reports_failures else []
            except Exception as err:  # noqa: BLE001
                log.warning("%s failed on a stream batch (attempt %d): %s", fn.logical_id, attempt, err)
                failed = [{"itemIdentifier": batch[0]["dynamodb"]["SequenceNumber"]}]
            if not failed:
                return
            self.stats.failures += 1
            first = min(failed, key=lambda f: int(f["itemIdentifier"]))["itemIdentifier"]
            # Lambda retries from the first failed record; the ones before it are done.
            batch = [r for r in batch if int(r["dynamodb"]["SequenceNumber"]) >= int(first)]
            if max_retries >= 0 and attempt > max_retries:
                destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                if destination:
                    self._to_destination(
                        destination,
                        {
                            "requestContext": {
                                "functionArn": fn.arn,
                                "condition": "RetryAttemptsExhausted",
                                "approximateInvokeCount": attempt,
                            },
                            "DDBStreamBatchInfo": {
                                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                                "batchSize": len(batch),
                                "streamArn": batch[0]["eventSourceARN"],
                            },
                        },
                    )
                return

    # -- SQS -> function ------------------------------------------------------------------------------
    def _deliver_queue(self, source: EventSource, queue_arn: str) -> int:
        fn = self.stack.functions[source.function]
        url = self.stack.queue_url_for_arn(queue_arn)
        batch_size = min(int(source.props.get("BatchSize", 10)), 10)
        if _nothing_visible(queue_arn.rsplit(":", 1)[1], queue_arn.rsplit(":", 1)[0]):
            return 0  # skip the ReceiveMessage call: most queues are empty most of the time
        resp = self._sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = resp.get("Messages", [])
        if not messages:
            return 0
        records = [_lambda_sqs_record(m, queue_arn, self.stack.region) for m in messages]
        log.info("%s <- %d message(s) from %s", fn.logical_id, len(records), queue_arn.rsplit(":", 1)[1])
        try:
            result = self._invoke(fn, {"Records": records})
            failed_ids = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        except Exception as err:  # noqa: BLE001
            log.warning("%s failed on a queue batch: %s", fn.logical_id, err)
            failed_ids = {m["MessageId"] for m in messages}
        for message in messages:
            # A failed message is left alone: it comes back after its visibility timeout (the queue's,
            # or the one the function set), and moto moves it to the dead-letter queue after
            # maxReceiveCount receives. `pump` moves the clock forward rather than waiting.
            if message["MessageId"] not in failed_ids:
                self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if failed_ids:
            self.stats.failures += 1
        return 1

    def _to_destination(self, destination: Any, payload: dict[str, Any]) -> None:
        arn = self.stack.resolve(destination)
        self.stats.to_dead_letter += 1
        if ":sqs:" in arn:
            self._sqs.send_message(
                QueueUrl=self.stack.queue_url_for_arn(arn), MessageBody=json.dumps(payload, default=str)
            )
        elif ":sns:" in arn:
            self.stack.client("sns").publish(TopicArn=arn, Message=json.dumps(payload, default=str))
        log.error("event sent to the on-failure destination %s", arn)


# -- moto's state, read directly (in-process only) to avoid polling empty sources through the API --------


def _moto_queue(arn: str) -> Any:
    """moto's queue for an SQS ARN, or None (no moto in this process, or no such queue)."""
    try:
        from moto.sqs.models import sqs_backends

        _, _, _, region, account, name = arn.split(":", 5)
        return sqs_backends[account][region].queues.get(name)
    except (ImportError, KeyError, ValueError):
        return None


def _nothing_visible(name: str, arn_prefix: str | None) -> bool:
    """True only if moto's queue is known to have no message a ReceiveMessage could return now."""
    queue = _moto_queue(f"{arn_prefix}:{name}") if arn_prefix else None
    if queue is None:
        return False
    now = clock.time() * 1000.0
    return not any(now > m.visible_at and now >= m.delayed_until for m in queue._messages)


_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def schedule_time(schedule: dict[str, Any]) -> datetime | None:
    """When a one-time schedule (``at(...)`` in its time zone) fires; None for rate/cron schedules."""
    m = _AT.match(str(schedule.get("ScheduleExpression", "")))
    if not m:
        return None
    zone = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
    return datetime.fromisoformat(m.group(1)).replace(tzinfo=zone).astimezone(UTC)


def _moto_schedule_groups(account: str, region: str) -> dict[str, Any] | None:
    """moto's schedule groups (in-process), or None if moto is not in this process."""
    try:
        from moto.scheduler.models import scheduler_backends

        return scheduler_backends[account][region].schedule_groups
    except (ImportError, KeyError):
        return None


def _moto_schedule_names(account: str, group: str, region: str) -> list[str] | None:
    groups = _moto_schedule_groups(account, region)
    return list(groups[group].schedules) if groups is not None and group in groups else None


def _any_schedule_due(account: str, groups: list[str], region: str) -> bool:
    """Cheap check before any API call: True unless moto's state says no schedule is due."""
    known = _moto_schedule_groups(account, region)
    if known is None:
        return True
    now = datetime.fromtimestamp(clock.time(), UTC)
    for group in groups:
        if group not in known:
            return True
        for s in known[group].schedules.values():
            expression = {
                "ScheduleExpression": s.schedule_expression,
                "ScheduleExpressionTimezone": s.schedule_expression_timezone,
            }
            at = schedule_time(expression)
            if at is not None and at <= now:
                return True
    return False


def _moto_stream_length(stream_arn: str) -> tuple[int, int] | None:
    """(identity, record count) of moto's stream shard for a table stream ARN, or None if unknown."""
    try:
        from moto.dynamodb.models import dynamodb_backends

        _, _, _, region, account, resource = stream_arn.split(":", 5)
        table = dynamodb_backends[account][region].tables[resource.split("/")[1]]
    except (ImportError, KeyError, ValueError, IndexError):
        return None
    shard = table.stream_shard
    return None if shard is None else (id(shard), len(shard.items))


def _lambda_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A DynamoDB Streams record as Lambda passes it: epoch seconds, and the source ARN."""
    record = json.loads(json.dumps(record, default=_epoch))
    record["eventSourceARN"] = stream_arn
    return record


def _epoch(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    raise TypeError(type(value))


def _lambda_sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": attr.get("StringValue"),
                "binaryValue": attr.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": attr["DataType"],
            }
            for name, attr in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
