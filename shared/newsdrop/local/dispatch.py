"""Deliver events to the local functions the way Lambda's event sources would.

- S3 notifications (asynchronous invocation): retried up to the function's MaximumRetryAttempts, then
  sent to its on-failure destination.
- DynamoDB streams (event source mappings): records in order per shard, the mapping's filter criteria and
  batch size, ReportBatchItemFailures honoured (retry from the first failed sequence number), bounded
  retries, then the on-failure destination gets the batch's description, as Lambda sends it.
- SQS queues: batches of up to BatchSize, failed items made visible again so moto's redrive policy moves
  poison messages to the dead-letter queue after maxReceiveCount.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.config import Config

from newsdrop.local.filters import matches_any
from newsdrop.local.stack import S3_EVENTS_QUEUE, EventSource, LocalFunction, LocalStack

log = logging.getLogger("newsdrop.local")

Hook = Callable[[str, LocalFunction, dict[str, Any]], None]


@dataclass
class DeliveryStats:
    invocations: int = 0
    failures: int = 0
    to_dead_letter: int = 0
    by_function: dict[str, int] = field(default_factory=dict)


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
        self._s3_queue_url = (
            self._sqs.get_queue_url(QueueName=S3_EVENTS_QUEUE)["QueueUrl"] if stack.s3_notifications else None
        )
        self._s3_targets = {n.function for n in stack.s3_notifications}
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
    def pump(self, *, max_rounds: int = 10_000) -> DeliveryStats:
        """Deliver until every source is quiet (nothing new in a full round)."""
        for _ in range(max_rounds):
            if not self.step():
                return self.stats
        raise RuntimeError("local event sources did not settle")

    def step(self) -> int:
        delivered = self._deliver_s3_notifications()
        for index, source in enumerate(self.stack.event_sources):
            if not source.props.get("Enabled", True):
                continue
            arn = self.stack.resolve(source.source)
            if ":dynamodb:" in arn or "/stream/" in arn:
                delivered += self._deliver_stream(index, source, arn)
            elif ":sqs:" in arn:
                delivered += self._deliver_queue(source, arn)
        return delivered

    def _invoke(self, fn: LocalFunction, event: dict[str, Any]) -> Any:
        self.stats.invocations += 1
        self.stats.by_function[fn.logical_id] = self.stats.by_function.get(fn.logical_id, 0) + 1
        if self.before_invoke:
            self.before_invoke("invoke", fn, event)
        return fn.invoke(event)

    # -- S3 -> function (asynchronous invocation) --------------------------------------------------
    def _deliver_s3_notifications(self) -> int:
        if not self._s3_queue_url:
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
            if message["MessageId"] in failed_ids:
                # Visible again at once (locally no need to wait the visibility timeout); moto counts the
                # receive and moves the message to the dead-letter queue after maxReceiveCount.
                self._sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
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
