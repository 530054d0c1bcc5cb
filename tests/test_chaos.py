"""Faults end to end: throttled / failing DynamoDB, S3, SQS and SES calls and killed invocations, on the
local stack built from template.yaml. After the retries (and the operator's redrive of the dead-letter
queues) every drop is stored or quarantined, every related list equals a clean reindex, and every
subscriber has exactly one email per matching article. Seeded, so a failure replays exactly."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from newsdrop.local.chaos import CHAOS_ENV, ChaosScenario
from newsdrop.local.faults import FaultInjector
from newsdrop.local.generated import (
    TOPICS,
    DropFile,
    generated_articles,
    generated_bad_files,
    published_order,
    readers,
)

ROOT = Path(__file__).resolve().parents[1]


def sample_files() -> list[DropFile]:
    files = [p for p in sorted((ROOT / "samples").rglob("*")) if p.is_file()]
    return [DropFile(name=f"samples/{p.relative_to(ROOT / 'samples')}", body=p.read_bytes()) for p in files]


@pytest.fixture
def chaos_stack(aws):
    from newsdrop.local.audience import prepare_mail
    from newsdrop.local.pipeline import EVERY_ARTICLE_IS_NEWS, LOCAL_PARAMETERS
    from newsdrop.local.stack import LocalStack

    stack = LocalStack(
        ROOT, env_overrides=CHAOS_ENV, parameters=LOCAL_PARAMETERS | EVERY_ARTICLE_IS_NEWS
    ).deploy()
    prepare_mail(stack)
    return stack


@pytest.fixture
def quiet_logs():
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


def run(stack, *, rate: float, kill_rate: float, seed: int, articles: int, subscribers: int):
    injector = FaultInjector(rate, kill_rate=kill_rate, seed=seed)
    scenario = ChaosScenario(stack, injector)
    files = published_order(sample_files() + generated_articles(articles, seed=seed) + generated_bad_files(2))
    # readers follow the generated topics and some of the samples' tags
    scenario.seed_subscribers(readers(subscribers, [*sorted(TOPICS), "sport", "football", "business"]))
    try:
        scenario.drop(files, burst=8)
        before = scenario.check()
        scenario.redrive()
        after = scenario.check()
    finally:
        injector.uninstall()
    return injector, before, after


def test_the_pipeline_survives_five_percent_faults_and_killed_invocations(chaos_stack, quiet_logs):
    injector, before, after = run(
        chaos_stack, rate=0.05, kill_rate=0.03, seed=11, articles=3, subscribers=100
    )
    assert injector.stats.faults > 20 and injector.stats.kills > 3, injector.stats

    assert after.drops == after.stored + after.quarantined and not after.lost, after.lost
    assert after.quarantined >= 8  # samples/bad and the generated bad files
    assert after.emails_expected > 50
    assert not after.missing, after.missing[:5]
    assert not after.unexpected, after.unexpected[:5]
    # not even where SES accepted a message and the invocation died before the ledger said 'sent':
    # SES's Send event settled the ledger before the lease ran out (delivery.py)
    assert not after.duplicates, after.duplicates[:5]
    assert after.dlq_total == 0, after.dead_letters
    # late and replayed events were applied at once, then made canonical by the rebuild they asked for
    assert after.related_ok, after.related_diff
