"""One correlation id follows an article from the drop to the last email; no address is ever logged."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def chatty_stack(aws):
    from newsdrop.local.audience import prepare_mail
    from newsdrop.local.pipeline import LOCAL_PARAMETERS
    from newsdrop.local.stack import LocalStack

    stack = LocalStack(
        parameters=LOCAL_PARAMETERS,
        env_overrides={"POWERTOOLS_LOG_LEVEL": "INFO", "POWERTOOLS_METRICS_DISABLED": "true"},
    ).deploy()
    prepare_mail(stack)
    return stack


@pytest.fixture
def log_lines(capfd):
    """Every line the functions log. The shared Powertools handler keeps the stream it was created with
    (maybe an earlier test's capture), so point every newsdrop handler at one buffer for this test."""
    import io
    import logging

    buffer, moved = io.StringIO(), []
    for name in ["", *logging.root.manager.loggerDict]:
        for handler in getattr(logging.getLogger(name), "handlers", []):
            if isinstance(handler, logging.StreamHandler) and (
                name.startswith("newsdrop") or "service" in name
            ):
                moved.append((handler, handler.setStream(buffer)))
    yield lambda: buffer.getvalue() + "".join(capfd.readouterr())
    for handler, stream in moved:
        handler.setStream(stream)


def test_the_drop_correlation_id_reaches_every_stage_and_addresses_stay_out_of_logs(
    chatty_stack, tmp_path, log_lines
):
    from newsdrop.local.audience import seed_subscribers
    from newsdrop.local.dispatch import Dispatcher
    from newsdrop.local.mail import sent_messages

    csv = tmp_path / "readers.csv"
    csv.write_text("email,topics\nprivate.reader@example.org,venezuela\n")
    seed_subscribers(chatty_stack, str(csv))
    chatty_stack.client("s3").put_object(
        Bucket=chatty_stack.output("DropBucketName"),
        Key="incoming/v.md",
        Body=b"---\ntitle: Venezuela counts votes\n---\nElection officials in Venezuela counted votes in Caracas.",
    )
    Dispatcher(chatty_stack).pump()
    assert [m.to for m in sent_messages(chatty_stack)] == ["private.reader@example.org"]

    captured = log_lines()
    logs = [json.loads(line) for line in captured.splitlines() if line.startswith('{"level"')]
    by_function: dict[str, set] = {}
    for entry in logs:
        function = entry.get("function_name", "").split("-")[-2] if entry.get("function_name") else None
        if function and entry.get("correlation_id"):
            by_function.setdefault(function, set()).add(entry["correlation_id"])
    stages = {"IngestFunction", "RelatedFunction", "NotifyFunction", "FanoutFunction", "SenderFunction"}
    assert stages <= set(by_function), by_function
    [correlation_id] = set().union(*by_function.values())
    assert correlation_id
    assert "private.reader@example.org" not in captured
