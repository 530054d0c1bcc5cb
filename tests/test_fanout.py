"""New article -> job -> fan-out -> sender: everyone matching gets exactly one email, whatever fails."""

from __future__ import annotations

import email
import email.policy
import json
from collections import Counter
from urllib.parse import parse_qs, urlparse

import pytest
from fanout_world import bench

from newsdrop.notify.delivery import (
    ArticleSnapshot,
    ClaimOutcome,
    FanoutTask,
    Recipient,
    RetryLater,
    SendBatch,
    run_fanout_task,
)
from newsdrop.notify.email import MailRejected, MailThrottled
from newsdrop.notify.subscribers import SHARDS
from newsdrop.notify.tokens import Purpose


@pytest.fixture
def world(aws):
    w = bench.World(redrive=3)
    w.sender()
    w.speed_up()
    yield w
    w.close()


def subscribers(world, rows):
    rt = world.wiring.subscription_runtime()
    store = world.store.DynamoSubscriberStore(world.session.resource("dynamodb"), world.subscribers_table)
    store.bulk_load_confirmed([(rt.signer.subscriber_id(a), a, t, e) for a, t, e in rows], now=1)
    return {a: rt.signer.subscriber_id(a) for a, _, _ in rows}


def run_pipeline(world, **drain):
    records = world.stream_records()
    if records:
        world.invoke("notify", {"Records": records})
    world.drain(world.fanout_url, "fanout", batch_size=1, **drain)
    world.drain(world.send_url, "sender", batch_size=5, **drain)
    return records


def sent(world, slug):
    return Counter(to for s, to in world.sent_mail() if s == slug)


def test_a_new_article_reaches_each_matching_confirmed_subscriber_once(world):
    ids = subscribers(
        world,
        [
            ("all@example.org", [], True),
            ("pol@example.org", ["politics"], False),
            ("both@example.org", ["politics", "economy"], True),  # three partitions, one email
            ("eco@example.org", ["economy"], False),
            ("sport@example.org", ["sport"], False),
        ],
    )
    world.wiring.subscription_runtime().subscribers.unsubscribe(ids["eco@example.org"], now=2)
    world.invoke(
        "subscribe",
        {
            "version": "2.0",
            "routeKey": "POST /subscribers",
            "rawPath": "/subscribers",
            "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "requestContext": {
                "http": {"method": "POST", "path": "/subscribers"},
                "domainName": "api.example.com",
                "stage": "$default",
            },
            "body": json.dumps({"email": "pending@example.org"}),
            "isBase64Encoded": False,
        },
    )
    world.put_article("vote-today", ["politics", "economy"], title="Vote today\r\nBcc: all@evil.example")
    records = run_pipeline(world)
    assert [r["eventName"] for r in records] == ["INSERT"]
    assert sent(world, "vote-today") == {"all@example.org": 1, "pol@example.org": 1, "both@example.org": 1}

    from moto.backends import get_backend

    signer = world.wiring.subscription_runtime().signer
    for m in get_backend("ses")["123456789012"]["us-east-1"].sent_messages:
        msg = email.message_from_string(m.raw_data, policy=email.policy.default)
        if msg["X-Newsdrop-Article"] != "vote-today":
            continue
        assert msg["Subject"] == "Vote today Bcc: all@evil.example" and "Bcc" not in msg
        https = str(msg["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
        token = parse_qs(urlparse(https).query)["token"][0]
        assert signer.verify(token, Purpose.UNSUBSCRIBE) == ids[msg["To"]]  # per-recipient link
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = msg.get_body(("html",)).get_content()
        assert "https://news.example.com/vote-today/" in html
    both = [
        m for m in get_backend("ses")["123456789012"]["us-east-1"].sent_messages if "To: both@" in m.raw_data
    ]
    assert (
        "you follow Politics"
        in email.message_from_string(both[0].raw_data, policy=email.policy.default)
        .get_body(("plain",))
        .get_content()
    )

    # replaying the stream, re-running the job's tasks: nothing more is sent
    world.invoke("notify", {"Records": records})
    task = FanoutTask(
        slug="vote-today",
        article=ArticleSnapshot(slug="vote-today", title="t", tags=["politics"]),
        topic="*",
        shard=0,
    )
    world.sqs.send_message(QueueUrl=world.fanout_url, MessageBody=task.to_json())
    world.drain(world.fanout_url, "fanout", batch_size=1)
    world.drain(world.send_url, "sender", batch_size=5)
    assert sum(sent(world, "vote-today").values()) == 3


def test_only_inserts_of_current_items_announce(world):
    subscribers(world, [("all@example.org", [], True)])
    item = world.put_article("fixed-typo", ["politics"])
    run_pipeline(world)
    assert sent(world, "fixed-typo") == {"all@example.org": 1}
    table = world.session.resource("dynamodb").Table(world.articles_table)
    table.put_item(Item={**item, "title": "Fixed typo (corrected)", "revision": 2})  # MODIFY
    table.put_item(Item={**item, "sk": "REV#000001"})  # INSERT, but not CURRENT
    records = run_pipeline(world)
    assert sorted(r["eventName"] for r in records) == ["INSERT", "MODIFY"]
    assert sent(world, "fixed-typo") == {"all@example.org": 1}
    jobs = [i for i in world.ddb.scan(TableName=world.deliveries_table)["Items"] if i["sk"]["S"] == "JOB"]
    assert len(jobs) == 1 and jobs[0]["tasks_enqueued"]["BOOL"] is True


def test_the_job_is_split_per_followed_tag_and_shard(world):
    ids = subscribers(world, [("pol@example.org", ["politics"], False), ("all@example.org", [], True)])
    world.put_article("tagged", ["politics", "economy", "politics"])
    world.invoke("notify", {"Records": world.stream_records()})
    assert (
        world.queue_depth(world.fanout_url) == 2 * SHARDS
    )  # politics and everything: nobody follows economy

    # following a topic later (preferences) makes the next article's tag fan out
    rt = world.wiring.subscription_runtime()
    rt.subscribers.set_preferences(ids["pol@example.org"], ["politics", "economy"], False, now=3)
    world.put_article("tagged-again", ["economy"])
    world.invoke("notify", {"Records": world.stream_records()})
    assert world.queue_depth(world.fanout_url) == 4 * SHARDS
    run_pipeline(world)
    assert sent(world, "tagged") == {"pol@example.org": 1, "all@example.org": 1}
    assert sent(world, "tagged-again") == {"pol@example.org": 1, "all@example.org": 1}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exactly_once_when_sends_and_handlers_fail_at_random(seed):
    result = bench.run(300, send_failure=0.2, crash=0.2, seed=seed, quiet=True)
    assert result["injected"].get("crash_before_send", 0) + result["injected"].get("throttled", 0) > 0
    assert result["sender"].get("crashed_invocations", 0) + result["sender"]["failed_messages"] > 0
    assert (result["duplicates"], result["misses"], result["strays"]) == (0, 0, 0)
    assert result["dlq"] == {"fanout": 0, "send": 0}


def test_long_partitions_continue_in_bounded_steps(world):
    ids = subscribers(world, [(f"r{i}@example.org", [], True) for i in range(40)])
    rt = world.wiring.fanout_runtime()
    snapshot = ArticleSnapshot(slug="paged", title="Paged", tags=[])
    for shard in range(SHARDS):
        task = FanoutTask(slug="paged", article=snapshot, topic="*", shard=shard)
        while task is not None:
            result = run_fanout_task(
                task, rt.subscribers, rt.send_queue, rt.fanout_queue, max_pages=1, page_size=2, batch_size=3
            )
            assert result.pages == 1 and result.recipients <= 2
            task = result.continuation
    world.sqs.purge_queue(QueueUrl=world.fanout_url)  # the continuations were run inline above
    world.drain(world.send_url, "sender", batch_size=5)
    assert sent(world, "paged") == {a: 1 for a in ids}


class ScriptedMailer:
    def __init__(self, inner, script):
        self.inner, self.script, self.calls = inner, list(script), 0

    def send(self, message):
        self.calls += 1
        step = self.script.pop(0) if self.script else "ok"
        if step == "throttle":
            raise MailThrottled("Maximum sending rate exceeded.")
        if step == "reject":
            raise MailRejected("MessageRejected")
        return self.inner.send(message)


def batch(ids, slug="lease"):
    return SendBatch(
        slug=slug,
        article=ArticleSnapshot(slug=slug, title="T", tags=[]),
        recipients=[Recipient(sid=s, reason="*") for s in ids],
    )


def test_throttling_backs_off_then_gives_the_message_back(world):
    ids = subscribers(world, [("a@example.org", [], True), ("b@example.org", [], True)])
    sender = world.sender()
    sleeps = []
    sender.sleep = sleeps.append
    sender.mailer = ScriptedMailer(sender.mailer, ["throttle", "throttle", "ok"])
    report = sender.send_batch(batch([ids["a@example.org"]]))
    assert report.sent == 1 and report.ses_calls == 3 and len(sleeps) == 2 and sleeps[1] > 0
    sender.mailer = ScriptedMailer(sender.mailer.inner, ["throttle"] * 10)
    with pytest.raises(RetryLater) as info:
        sender.send_batch(batch([ids["b@example.org"]]))
    assert 30 <= info.value.retry_after <= 90
    # the claim was given back: the retry sends at once, without waiting for the lease
    sender.mailer = sender.mailer.inner
    assert sender.send_batch(batch([ids["b@example.org"]])).sent == 1
    assert sent(world, "lease") == {"a@example.org": 1, "b@example.org": 1}


def test_a_live_claim_is_waited_for_and_an_expired_one_retried(world):
    ids = subscribers(world, [("a@example.org", [], True)])
    sid = ids["a@example.org"]
    sender = world.sender()
    ledger = sender.ledger
    assert (
        ledger.claim("lease", sid, "other-worker", now=sender.clock(), lease_seconds=300)
        == ClaimOutcome.CLAIMED
    )
    with pytest.raises(RetryLater) as info:
        sender.send_batch(batch([sid]))
    assert info.value.retry_after > 300 and sent(world, "lease") == {}
    world.clock_offset += 301  # the other worker died; its lease ran out
    assert sender.send_batch(batch([sid])).sent == 1
    assert sender.send_batch(batch([sid])).skipped_sent == 1
    assert sent(world, "lease") == {"a@example.org": 1}


def test_rejected_addresses_are_not_retried_and_do_not_block_the_batch(world):
    ids = subscribers(world, [("bad@example.org", [], True), ("good@example.org", [], True)])
    sender = world.sender()
    sender.mailer = ScriptedMailer(sender.mailer, ["reject", "ok"])
    report = sender.send_batch(batch([ids["bad@example.org"], ids["good@example.org"]]))
    assert (report.sent, report.rejected) == (1, 1)
    assert sender.send_batch(batch([ids["bad@example.org"]])).rejected == 1  # failed for good
    assert sent(world, "lease") == {"good@example.org": 1}


def test_unsubscribing_after_the_fanout_still_stops_the_mail(world):
    ids = subscribers(world, [("late@example.org", [], True)])
    world.wiring.subscription_runtime().subscribers.unsubscribe(ids["late@example.org"], now=5)
    report = world.sender().send_batch(batch([ids["late@example.org"]]))
    assert report.skipped_inactive == 1 and sent(world, "lease") == {}


def test_partial_batch_failures_and_poison_messages_go_to_the_dlq(world):
    ids = subscribers(world, [("a@example.org", [], True)])
    world.sqs.send_message(QueueUrl=world.send_url, MessageBody=batch([ids["a@example.org"]]).to_json())
    world.sqs.send_message(QueueUrl=world.send_url, MessageBody="{not a batch")
    messages = world.sqs.receive_message(
        QueueUrl=world.send_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    arn = world.queue_arn(world.send_url)
    response = world.invoke("sender", {"Records": [bench._sqs_record(m, arn) for m in messages]})
    poison = [m["MessageId"] for m in messages if m["Body"].startswith("{not")]
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == poison
    for m in messages:
        world.sqs.change_message_visibility(
            QueueUrl=world.send_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
        )
    world.drain(world.send_url, "sender", batch_size=10)
    assert world.queue_depth(world.send_dlq) == 1 and world.queue_depth(world.send_url) == 0
    assert sent(world, "lease") == {"a@example.org": 1}
