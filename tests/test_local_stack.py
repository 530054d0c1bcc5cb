"""The local stack delivers events as Lambda would: filters, partial batch failures, retries, on-failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from newsdrop.local.filters import matches, matches_any

ROOT = Path(__file__).resolve().parents[1]

ARTICLE_INSERT = {
    "eventName": "INSERT",
    "dynamodb": {"Keys": {"pk": {"S": "ARTICLE#a"}, "sk": {"S": "CURRENT"}}, "SequenceNumber": "100"},
}


def test_filters_select_article_items_and_event_names():
    pattern = {"eventName": ["INSERT"], "dynamodb": {"Keys": {"sk": {"S": ["CURRENT"]}}}}
    assert matches(pattern, ARTICLE_INSERT)
    assert not matches(pattern, {**ARTICLE_INSERT, "eventName": "MODIFY"})
    revision = {**ARTICLE_INSERT, "dynamodb": {"Keys": {"pk": {"S": "ARTICLE#a"}, "sk": {"S": "REV#000001"}}}}
    assert not matches(pattern, revision)


def test_filter_rules_prefix_anything_but_exists_and_sqs_bodies():
    assert matches({"a": [{"prefix": "ART"}]}, {"a": "ARTICLE#x"})
    assert not matches({"a": [{"anything-but": ["x"]}]}, {"a": "x"})
    assert matches({"b": [{"exists": False}]}, {"a": 1})
    assert not matches({"b": [{"exists": True}]}, {"a": 1})
    sqs_record = {"body": json.dumps({"kind": "send"})}
    assert matches_any([{"body": {"kind": ["send"]}}], sqs_record)
    assert not matches_any([{"body": {"kind": ["job"]}}], sqs_record)


def test_stream_consumers_are_wired_with_filters_retries_and_failure_destinations(stack):
    streams = [s for s in stack.event_sources if "StreamArn" in json.dumps(s.source)]
    assert streams, "no stream consumers in the template"
    for source in streams:
        props = source.props
        assert props["FilterCriteria"]["Filters"], source.function
        assert "ReportBatchItemFailures" in props["FunctionResponseTypes"], source.function
        assert 0 <= int(props["MaximumRetryAttempts"]) <= 10, source.function
        destination = stack.resolve(props["DestinationConfig"]["OnFailure"]["Destination"])
        assert stack.queue_url_for_arn(destination)


def test_queue_consumers_report_partial_failures_and_have_dead_letter_queues(stack):
    sqs = stack.client("sqs")
    queues = [s for s in stack.event_sources if s.source.get("Fn::GetAtt", [None, None])[1] == "Arn"]
    for source in queues:
        assert "ReportBatchItemFailures" in source.props.get("FunctionResponseTypes", []), source.function
        url = stack.resource(source.source["Fn::GetAtt"][0])
        policy = json.loads(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"][
                "RedrivePolicy"
            ]
        )
        assert int(policy["maxReceiveCount"]) >= 2 and policy["deadLetterTargetArn"]


def test_newsdrop_run_json_prints_exactly_one_json_object_read_back_from_the_stores(tmp_path):
    (tmp_path / "one.md").write_text(
        "---\ntitle: Harbour bridge reopens\nauthor: Sam Lee\n---\nThe bridge reopened today after repairs.\n"
    )
    (tmp_path / "two.json").write_text("{not json")
    out = subprocess.run(
        [sys.executable, "-m", "newsdrop.cli", "run", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    result = json.loads(out.stdout)  # fails if anything else was printed on stdout
    assert set(result) == {"drops", "articles", "emails"}
    drops = {d["source"]: d for d in result["drops"]}
    assert drops["one.md"]["status"] == "stored" and drops["one.md"]["slug"] == "harbour-bridge-reopens"
    assert drops["two.json"]["status"] == "rejected" and drops["two.json"]["reason"] == "bad_json"
    assert drops["two.json"]["quarantined_as"] == "quarantine/two.json"
    [article] = result["articles"]
    assert article["title"] == "Harbour bridge reopens" and article["author"] == "Sam Lee"
    assert article["related"] == []
