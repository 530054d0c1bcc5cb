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
    assert set(result) == {"drops", "articles", "emails", "schedules", "dead_letters"}
    assert result["dead_letters"] and not any(result["dead_letters"].values())
    drops = {d["source"]: d for d in result["drops"]}
    assert drops["one.md"]["status"] == "stored" and drops["one.md"]["slug"] == "harbour-bridge-reopens"
    assert drops["two.json"]["status"] == "rejected" and drops["two.json"]["reason"] == "bad_json"
    assert drops["two.json"]["quarantined_as"] == "quarantine/two.json"
    [article] = result["articles"]
    assert article["title"] == "Harbour bridge reopens" and article["author"] == "Sam Lee"
    assert article["related"] == []


# --- SQS visibility: failed messages come back after their visibility timeout, on the local clock ------


def _queue_counts(stack, logical_id: str) -> tuple[int, int]:
    attrs = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.resource(logical_id),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_a_failed_queue_message_waits_its_visibility_timeout_before_the_dead_letter_queue(stack, dispatcher):
    sqs = stack.client("sqs")
    visibility = int(
        sqs.get_queue_attributes(
            QueueUrl=stack.resource("FanoutQueue"), AttributeNames=["VisibilityTimeout"]
        )["Attributes"]["VisibilityTimeout"]
    )
    assert visibility == int(stack.cfn["Resources"]["FanoutQueue"]["Properties"]["VisibilityTimeout"])
    from newsdrop.local.moto_patches import clock

    sqs.send_message(QueueUrl=stack.resource("FanoutQueue"), MessageBody="{not a task")
    sent_at = clock.time()  # the clock moto's SQS reads: real time plus what pump() skipped
    assert dispatcher.step() and dispatcher.stats.failures == 1
    # not visible again at once, as on AWS: in flight until the queue's visibility timeout ends
    assert _queue_counts(stack, "FanoutQueue") == (0, 1)
    assert not dispatcher.step()
    assert visibility - 5 < dispatcher.next_visible_in() <= visibility + 1
    dispatcher.pump()  # moves the local clock instead of waiting (stats.waited below)
    max_receives = 5  # FanoutQueue's RedrivePolicy
    assert dispatcher.stats.by_function["FanoutFunction"] == max_receives
    # Each receive waited out the visibility timeout of the one before, and the dead-letter move waits
    # for the last: measured on the queue's own clock, so however fast the invocations ran (time that
    # pump() did not have to skip), never by skipping less.
    assert clock.time() - sent_at > max_receives * visibility
    assert _queue_counts(stack, "FanoutQueue") == (0, 0)
    assert _queue_counts(stack, "FanoutDeadLetterQueue") == (1, 0)


def _send_to_one_reader(stack, slug: str, set_scene):
    """One confirmed reader and one SendBatch for them, delivered by the dispatcher until everything is at
    rest; ``set_scene(runtime, sid)`` runs first, with the sender's runtime. Returns (runtime, sid, stats)."""
    from newsdrop.local.audience import prepare_mail
    from newsdrop.local.chaos import ChaosScenario
    from newsdrop.local.faults import FaultInjector
    from newsdrop.notify import wiring
    from newsdrop.notify.delivery import ArticleSnapshot, Recipient, SendBatch
    from newsdrop.notify.subscribers import EVERYTHING

    prepare_mail(stack)
    injector = FaultInjector(0.0)  # no faults: the scenario only wires the sender to the local clock
    scenario = ChaosScenario(stack, injector)
    try:
        scenario.seed_subscribers([("reader@example.org", [], True)])
        [(sid, *_)] = scenario.subscribers
        sender_fn = stack.functions["SenderFunction"]
        with sender_fn._environment():
            sender_fn._load()
            runtime = wiring.sender_runtime()
        set_scene(runtime, sid)
        article = ArticleSnapshot(slug=slug, title=slug.title(), tags=[])
        body = SendBatch(slug=slug, article=article, recipients=[Recipient(sid=sid, reason=EVERYTHING)])
        stack.client("sqs").send_message(QueueUrl=stack.resource("SendQueue"), MessageBody=body.to_json())
        scenario.dispatcher.pump()
    finally:
        injector.uninstall()
    return runtime, sid, scenario.dispatcher.stats


def test_a_busy_lease_is_retried_after_the_visibility_the_sender_asked_for(stack):
    from newsdrop.local.mail import sent_messages
    from newsdrop.local.moto_patches import clock

    def another_sender_holds_the_lease(runtime, sid):  # its invocation died: the lease runs 300 s
        runtime.sender.clock = clock.time
        lease = runtime.sender.lease_seconds
        runtime.sender.ledger.claim("busy", sid, "other-worker", now=clock.time(), lease_seconds=lease)

    runtime, _, stats = _send_to_one_reader(stack, "busy", another_sender_holds_the_lease)
    # first receive: lease busy -> ChangeMessageVisibility(lease + 30 s); second: the lease ran out -> sent
    assert stats.by_function["SenderFunction"] == 2
    visibility = int(stack.cfn["Resources"]["SendQueue"]["Properties"]["VisibilityTimeout"])
    assert (
        runtime.sender.lease_seconds < stats.waited < visibility
    )  # the sender's visibility, not the queue's
    assert [m.article for m in sent_messages(stack)] == ["busy"]
    assert _queue_counts(stack, "SendQueue") == (0, 0)
    assert _queue_counts(stack, "SendDeadLetterQueue") == (0, 0)


def test_a_sender_that_dies_after_ses_accepted_does_not_mail_twice(stack):
    """The window SES leaves open (no idempotency key): the Send event settles the ledger instead."""
    from newsdrop.local.mail import sent_messages

    def dies(*args, **kwargs):
        raise RuntimeError("invocation died before its ledger write")

    def ses_accepts_then_the_sender_dies(runtime, sid):  # it never writes 'sent'
        runtime.sender.ledger.mark_sent = dies

    runtime, sid, stats = _send_to_one_reader(stack, "settled", ses_accepts_then_the_sender_dies)
    # the message came back after its visibility timeout, well after the 300 s lease had run out...
    assert stats.by_function["SenderFunction"] == 2
    assert stats.waited > runtime.sender.lease_seconds
    # ...but SES's Send event had reached the feedback function first, and the ledger said 'sent'
    assert stats.by_function["FeedbackFunction"] >= 1
    assert runtime.sender.ledger.ledger_states("settled", [sid]) == {sid: "sent"}
    assert [m.article for m in sent_messages(stack)] == ["settled"]
    assert _queue_counts(stack, "SendQueue") == (0, 0)
    assert _queue_counts(stack, "SendDeadLetterQueue") == (0, 0)
