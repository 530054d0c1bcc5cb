"""The operator's view in the template: lag and throttle alarms for every function, one dashboard."""

from __future__ import annotations

import json
import re

from newsdrop.deadletters import dead_letter_queues


def _alarms(resources):
    return {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_every_stream_mapping_has_an_iterator_age_alarm(stack):
    alarms = _alarms(stack.cfn["Resources"])
    watched = {
        a["Dimensions"][0]["Value"]["Ref"] for a in alarms.values() if a.get("MetricName") == "IteratorAge"
    }
    stream_functions = {s.function for s in stack.event_sources if "StreamArn" in json.dumps(s.source)}
    assert {"RelatedFunction", "NotifyFunction", "PublisherFunction"} <= stream_functions
    assert stream_functions <= watched
    for alarm in alarms.values():
        if alarm.get("MetricName") == "IteratorAge":
            assert alarm["Statistic"] == "Maximum" and alarm["AlarmActions"] == [{"Ref": "OperatorsTopic"}]


def test_every_function_is_in_a_throttles_alarm_of_at_most_ten_metrics(stack):
    resources = stack.cfn["Resources"]
    watched = set()
    for alarm in _alarms(resources).values():
        stats = [m["MetricStat"] for m in alarm.get("Metrics", []) if "MetricStat" in m]
        if stats and stats[0]["Metric"]["MetricName"] == "Throttles":
            assert len(stats) <= 10  # CloudWatch's limit for one alarm
            assert [m["Expression"] for m in alarm["Metrics"] if m.get("ReturnData")] == ["SUM(METRICS())"]
            watched |= {s["Metric"]["Dimensions"][0]["Value"]["Ref"] for s in stats}
    functions = {k for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions <= watched, functions - watched


def test_the_dashboard_shows_every_dead_letter_queue_and_stream_lag_and_is_valid_json(stack):
    resources = stack.cfn["Resources"]
    [dashboard] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = dashboard["DashboardBody"]["Fn::Sub"]
    # What CloudFormation substitutes, then what CloudWatch parses.
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    text = json.dumps(widgets)
    assert len(widgets) >= 8
    for queue in dead_letter_queues(resources):
        assert "${" + queue + ".QueueName}" in body, queue
    for name in (
        "ArticlesStored",
        "ArticlesRejected",
        "IteratorAge",
        "EmailsSent",
        "Reputation.BounceRate",
        "Reputation.ComplaintRate",
        "SiteObjectsWritten",
        "4xx",
        "5xx",
        "initDuration",
    ):
        assert name in text, name
    for fn in ("RelatedFunction", "NotifyFunction", "PublisherFunction"):
        assert "${" + fn + "}" in body
    for widget in widgets:  # every widget has a place and a title
        assert {"x", "y", "width", "height"} <= set(widget) and widget["properties"]["title"]


def test_the_runbook_replay_of_a_notification_job_starts_the_missing_job_once(stack, drop):
    """docs/operations.md "Replay a notification job": the article's item, as `aws dynamodb get-item`
    returns it, given to the notify function as a new stream record."""
    from newsdrop.local.audience import prepare_mail
    from newsdrop.notify.store import DynamoDeliveryStore

    prepare_mail(stack)
    # The notify stream's batch failed for good: here, its mapping delivered nothing.
    [notify] = [s for s in stack.event_sources if s.function == "NotifyFunction"]
    notify.props["Enabled"] = False
    drop(
        "harbour.md",
        b"---\ntitle: Harbour budget approved\n---\n\nThe council approved the harbour budget.\n",
    )
    jobs = DynamoDeliveryStore(stack.session.resource("dynamodb"), stack.output("DeliveriesTableName"))
    assert jobs.get_job("harbour-budget-approved") is None

    slug = "harbour-budget-approved"
    key = {"pk": {"S": f"ARTICLE#{slug}"}, "sk": {"S": "CURRENT"}}
    item = stack.client("dynamodb").get_item(
        TableName=stack.output("ArticlesTableName"), Key=key, ConsistentRead=True
    )["Item"]
    replay = {
        "Records": [
            {
                "eventID": f"replay-{slug}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": stack.region,
                "eventSourceARN": stack.client("dynamodb").describe_table(
                    TableName=stack.output("ArticlesTableName")
                )["Table"]["LatestStreamArn"],
                "dynamodb": {
                    "Keys": key,
                    "NewImage": item,
                    "SequenceNumber": "1",
                    "SizeBytes": 1,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        ]
    }
    fn = stack.functions["NotifyFunction"]
    assert fn.invoke(json.loads(json.dumps(replay)))["batchItemFailures"] == []
    assert jobs.get_job(slug) is not None
    # Replayed twice (the operator ran it again): still one job.
    first = jobs.get_job(slug)
    assert fn.invoke(replay)["batchItemFailures"] == []
    assert jobs.get_job(slug) == first
