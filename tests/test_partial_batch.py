"""The consumers' partial batch responses (newsdrop.partial_batch), record by record: what fails is
reported by the id Lambda retries it by, the rest of the batch is handled."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from newsdrop.event_models import queue_record, stream_record
from newsdrop.notify.messages import FanoutTask
from newsdrop.partial_batch import process_partial_batch

EVENTS = Path(__file__).resolve().parents[1] / "events"


def sample(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def test_a_failing_record_is_reported_and_the_others_are_handled():
    good = sample("fanout-task.json")["Records"][0]
    records = [{**copy.deepcopy(good), "messageId": f"m{n}"} for n in range(3)]
    handled = []

    def handler(record):
        if record.messageId == "m1":
            raise RuntimeError("throttled")
        handled.append((record.messageId, record.body.shard))

    result = process_partial_batch({"Records": records}, handler, queue_record(FanoutTask), "SQS")
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert handled == [("m0", 3), ("m2", 3)]


def test_a_malformed_record_is_reported_without_reaching_the_handler():
    good = sample("fanout-task.json")["Records"][0]
    bad = {**copy.deepcopy(good), "messageId": "bad", "body": json.dumps({"slug": "x", "shard": -1})}
    handled = []
    result = process_partial_batch(
        {"Records": [bad, good]}, lambda r: handled.append(r.messageId), queue_record(FanoutTask), "SQS"
    )
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    assert handled == [good["messageId"]]


def test_a_stream_record_is_reported_by_its_sequence_number():
    good = sample("related-article-insert.json")["Records"][0]
    bad = copy.deepcopy(good)
    bad["dynamodb"]["SequenceNumber"] = "99"
    del bad["dynamodb"]["Keys"]["pk"]
    seen = []
    result = process_partial_batch(
        {"Records": [good, bad]}, lambda r: seen.append(r.eventName), stream_record(), "DynamoDBStreams"
    )
    assert result == {"batchItemFailures": [{"itemIdentifier": "99"}]} and len(seen) == 1


@pytest.mark.parametrize("event", [{}, {"Records": "x"}, ["not", "an", "event"]])
def test_an_event_that_is_not_a_batch_fails_the_invocation(event):
    with pytest.raises(ValueError, match="not a SQS batch"):
        process_partial_batch(event, lambda r: None, queue_record(FanoutTask), "SQS")
