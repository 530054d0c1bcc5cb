"""Dead letters heal without an operator: RedriverFunction (on its schedule) sends what failed during an
outage back where it came from; a message that can never succeed is sent back at most MAX_REDRIVES
times and then stays in its dead-letter queue, where the depth alarm calls a person."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from newsdrop.local.chaos import CHAOS_ENV, ChaosScenario
from newsdrop.local.faults import FaultInjector
from newsdrop.local.generated import generated_articles, readers
from newsdrop.redrive import REDRIVES_ATTRIBUTE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def scenario(aws):
    from newsdrop.local.audience import prepare_mail
    from newsdrop.local.pipeline import EVERY_ARTICLE_IS_NEWS, LOCAL_PARAMETERS
    from newsdrop.local.stack import LocalStack

    logging.disable(logging.CRITICAL)
    # The generated articles are dated 2025: without this they would be back-dated, and never emailed.
    stack = LocalStack(
        ROOT, env_overrides=CHAOS_ENV, parameters=LOCAL_PARAMETERS | EVERY_ARTICLE_IS_NEWS
    ).deploy()
    prepare_mail(stack)
    injector = FaultInjector(0.0, seed=5)
    yield ChaosScenario(stack, injector)
    injector.uninstall()
    logging.disable(logging.NOTSET)


def dead_letters(stack, logical_id: str) -> list[dict]:
    sqs = stack.client("sqs")
    out = []
    while True:
        got = sqs.receive_message(
            QueueUrl=stack.resource(logical_id), MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not got:
            return out
        out += got


def test_what_failed_in_an_outage_arrives_after_it_without_an_operator(scenario):
    """SES and S3 down for a while: every send batch and every drop fails every retry into its DLQ.
    Once they are back, the scheduled redriver alone brings every article and every email."""
    injector = scenario.injector
    injector.services = {"sesv2", "s3"}
    injector.rate = 1.0
    scenario.seed_subscribers(readers(30, ["rail", "weather"], seed=4))
    files = [f for f in generated_articles(12, seed=4) if "rail" in f.name or "weather" in f.name][:3]
    assert files
    scenario.drop(files)
    during = scenario.check()
    assert during.dead_letters["IngestDeadLetterQueue"] == len(files) and not during.stored

    injector.rate = 0.0  # the outage ends
    scenario.heal()
    after = scenario.check()
    assert after.stored == len(files) and not after.lost
    # the drops stored by the redrive went on through notify, fan-out and send like any other
    assert after.emails_expected > 0 and not after.missing and not after.duplicates
    assert after.related_ok and after.dlq_total == 0, after.dead_letters
    assert scenario.auto_redriven >= len(files)


def test_a_poison_message_is_sent_back_a_bounded_number_of_times_then_stays_for_the_alarm(scenario):
    stack = scenario.stack
    stack.client("sqs").send_message(
        QueueUrl=stack.resource("SendQueue"), MessageBody='{"not": "a send batch"}'
    )
    scenario.dispatcher.pump()
    assert scenario.dead_letters() == 1  # the event source gave up on it

    scenario.heal()
    scenario.heal()  # later runs change nothing either
    kept = dead_letters(stack, "SendDeadLetterQueue")
    assert [m["Body"] for m in kept] == ['{"not": "a send batch"}']
    max_redrives = int(stack.functions["RedriverFunction"].env["MAX_REDRIVES"])
    assert kept[0]["MessageAttributes"][REDRIVES_ATTRIBUTE]["StringValue"] == str(max_redrives)
    assert scenario.auto_redriven == max_redrives
