"""Shared fixtures: moto with fake credentials, and the local stack built from template.yaml itself, so a
drift between the template and the code fails the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BBC = ROOT.parent / "shared" / "data" / "bbc-news.jsonl"


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")


@pytest.fixture
def aws():
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture
def stack(aws):
    """template.yaml, translated and created in moto's CloudFormation."""
    from newsdrop.local.stack import LocalStack

    return LocalStack(ROOT, env_overrides={"POWERTOOLS_METRICS_DISABLED": "true"}).deploy()


@pytest.fixture
def dispatcher(stack):
    from newsdrop.local.dispatch import Dispatcher

    return Dispatcher(stack)


@pytest.fixture
def drop(stack, dispatcher):
    """Upload bytes to the drop bucket's incoming prefix and drive every resulting event."""

    def _drop(name: str, body: bytes) -> str:
        key = f"{stack.parameters['IncomingPrefix']}{name}"
        stack.client("s3").put_object(Bucket=stack.output("DropBucketName"), Key=key, Body=body)
        dispatcher.pump()
        return key

    return _drop


@pytest.fixture
def articles(stack):
    from newsdrop.ingest.store import ArticleStore

    return ArticleStore(stack.resource("ArticlesTable"), stack.session.resource("dynamodb"))


def bbc_articles(limit: int | None = None) -> list[dict]:
    """The BBC corpus beside the checkout, read in place (never copied: it is copyrighted)."""
    import json

    if not BBC.exists():
        pytest.skip(f"{BBC} not present")
    with BBC.open() as f:
        rows = [json.loads(line) for line in f]
    return rows[:limit] if limit else rows


@pytest.fixture
def browser():
    """Headless Chromium (tests/browser.py). Skipped on a machine without it, never in CI."""
    import os

    from browser import available, chromium

    if not available():
        if os.environ.get("CI"):
            pytest.fail("CI must install chromium and chromium-driver (.ci/run does)")
        pytest.skip("chromium and chromium-driver are not installed")
    with chromium() as driver:
        yield driver


@pytest.fixture
def browser_at():
    """Open Chromium at a given window width: `with browser_at(375) as driver:`."""
    from browser import chromium

    return chromium
