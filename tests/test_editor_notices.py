"""Editors hear about rejects: one message on EditorNotifications per rejected upload, through the
ingest handler on the template in moto, however many times S3 delivers the event."""

from __future__ import annotations

import json

import pytest

from newsdrop.ingest.editors import EditorNotices
from newsdrop.models import DropOutcome

GOOD = b"---\ntitle: Harbour budget approved\n---\n\nThe council approved the new harbour budget on Friday.\n"


@pytest.fixture
def inbox(stack):
    """An SQS queue subscribed to the editors' topic: what an e-mail or chat subscriber would get."""
    sqs, sns = stack.client("sqs"), stack.client("sns")
    url = sqs.create_queue(QueueName="editors-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stack.output("EditorNotificationsTopicArn"), Protocol="sqs", Endpoint=arn)

    def read() -> list[dict]:
        messages = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for m in batch:
                messages.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return messages

    return read


def test_one_message_per_rejected_drop_with_reason_fix_and_quarantine_key(
    stack, dispatcher, drop, inbox, articles
):
    events = []
    dispatcher.before_invoke = lambda kind, fn, event: (
        events.append(event) if fn.logical_id == "IngestFunction" else None
    )
    key = drop("notes/bad front matter.md", b"---\ntitle: [unclosed\n---\n\nText.\n")
    drop("good.md", GOOD)
    [notice] = inbox()
    [record] = articles.drops_for(key)
    assert record["status"] == "rejected"
    text = notice["Message"]
    assert notice["Subject"] == "Newsdrop: bad front matter.md rejected (bad_front_matter)"
    assert "incoming/notes/bad front matter.md" in text
    assert "Reason: bad_front_matter" in text and "How to fix it: Fix the front matter" in text
    assert f"s3://{stack.output('DropBucketName')}/{record['quarantined_as']}" in text
    assert notice["MessageAttributes"]["reason"]["Value"] == "bad_front_matter"
    # S3 delivers the same event again (at least once): the outcome is recorded once, told once.
    stack.functions["IngestFunction"].invoke(events[0])
    dispatcher.pump()
    assert inbox() == []
    # A new upload of the same bad file is a new drop: the editors hear again.
    drop("notes/bad front matter.md", b"---\ntitle: [unclosed\n---\n\nText!\n")
    assert len(inbox()) == 1


def test_a_failed_publish_is_released_and_the_retry_tells(stack, drop, articles):
    key = drop("empty.md", b"")
    [record] = articles.drops_for(key)
    outcome = DropOutcome(source=key, status="rejected", reason=record["reason"], detail=record["detail"])

    class FlakySns:
        def __init__(self):
            self.calls = []

        def publish(self, **kwargs):
            self.calls.append(kwargs)
            if len(self.calls) == 1:
                raise ConnectionError("SNS unreachable")

    flaky = FlakySns()
    notices = EditorNotices(
        stack.output("EditorNotificationsTopicArn"),
        stack.output("ArticlesTableName"),
        sns=flaky,
        dynamodb=stack.client("dynamodb"),
    )
    # The drop was told already by the stack's own ingest: a second teller stays silent...
    assert not notices.rejected(outcome, drop_id=record["sk"], bucket="b")
    # ...and on a drop not told yet, a failing publish leaves it untold for the retry.
    stack.client("dynamodb").update_item(
        TableName=stack.output("ArticlesTableName"),
        Key={"pk": {"S": record["pk"]}, "sk": {"S": record["sk"]}},
        UpdateExpression="REMOVE editors_told",
    )
    with pytest.raises(ConnectionError):
        notices.rejected(outcome, drop_id=record["sk"], bucket="b")
    assert notices.rejected(outcome, drop_id=record["sk"], bucket="b")
    assert not notices.rejected(outcome, drop_id=record["sk"], bucket="b")
    assert len(flaky.calls) == 2
