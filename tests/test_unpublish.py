"""Editors' commands against a stack: `newsdrop drop` waits for the outcome, `newsdrop unpublish` withdraws.

Run in-process on the template deployed in moto, as `--stack newsdrop-local`: the command finds the stack's
outputs through CloudFormation as on AWS, and each wait for an outcome drives the local events instead of
sleeping."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsdrop.cli import main

ROOT = Path(__file__).resolve().parents[1]
STORY = "---\ntitle: Harbour budget approved\n---\n\nThe council approved the new harbour budget on Friday.\n"


@pytest.fixture
def cli(stack, dispatcher, monkeypatch, capsys):
    monkeypatch.setattr("newsdrop.outcomes.pause", lambda seconds: dispatcher.pump())

    def run(*args: str) -> tuple[int, str]:
        status = main([*args, "--stack", stack.stack_name])
        return status, capsys.readouterr().out

    return run


def test_a_deleted_file_unpublishes_its_article_through_the_s3_event(stack, dispatcher, drop, articles):
    key = drop("harbour.md", STORY.encode())
    slug = articles.drops_for(key)[-1]["slug"]
    # What `aws s3 rm` does; the event S3 sends for the delete marker is all that reaches ingest.
    stack.client("s3").delete_object(Bucket=stack.output("DropBucketName"), Key=key)
    dispatcher.pump()
    assert articles.get_article(slug) is None
    assert [d["status"] for d in sorted(articles.drops_for(key), key=lambda d: d["event_time"])][
        -1
    ] == "unpublished"


def test_drop_waits_and_prints_stored_with_the_url_or_rejected_with_the_reason(cli, tmp_path, stack):
    good, bad = tmp_path / "harbour.md", tmp_path / "empty.md"
    good.write_text(STORY)
    bad.write_text("---\ntitle: Nothing here\n---\n")
    status, out = cli("drop", str(good))
    assert status == 0
    assert (
        f"stored: incoming/harbour.md -> harbour-budget-approved  {stack.output('SiteUrl')}/harbour-budget-approved/"
        in out
    )
    status, out = cli("drop", str(bad))
    assert status == 1
    [line] = [row for row in out.splitlines() if row.startswith("rejected: ")]
    assert "incoming/empty.md" in line and "quarantine/" in line
    status, out = cli("drop", str(good))
    assert status == 0 and "unchanged" in out


def test_unpublish_by_slug_or_by_key_and_nothing_twice(cli, tmp_path, articles):
    story = tmp_path / "harbour.md"
    story.write_text(STORY)
    cli("drop", str(story))
    status, out = cli("unpublish", "harbour-budget-approved")
    assert status == 0, out
    assert "deleted s3://" in out and "unpublished: harbour-budget-approved" in out
    assert articles.get_article("harbour-budget-approved") is None
    cli("drop", str(story))
    assert articles.get_article("harbour-budget-approved") is not None
    status, out = cli("unpublish", "harbour.md")
    assert status == 0 and "unpublished: harbour-budget-approved" in out
    status, out = cli("unpublish", "harbour.md")  # the file is already gone: nothing names the article
    assert status == 0 and "nothing to unpublish" in out
    status, out = cli("unpublish", "no-such-slug")
    assert status == 1
