"""Ingest through the real handler, on the stack built from template.yaml, with real-shaped S3 events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from newsdrop.models import MAX_OBJECT_BYTES

ROOT = Path(__file__).resolve().parents[1]

VENEZUELA_MD = """---
title: "Caracas braces for a contested vote count"
author: Ana Rivas
date: 2026-11-20T08:00:00Z
tags: ["World", "#Global News", "global  news", "world"]
---
Election officials in Caracas said on Sunday that counting would continue through the night, as
opposition leaders in Venezuela demanded access to tally sheets from every polling station.

The National Electoral Council of Venezuela has promised a full audit. Observers from Brazil and
Colombia said turnout in Venezuela was the highest in a decade, and that queues in Maracaibo and
Valencia stretched for several blocks before the polls opened across Venezuela. Venezuela's president
called for calm.
"""


def stored(articles, slug):
    article = articles.get_article(slug)
    assert article is not None, f"{slug} was not stored"
    return article


def s3_events_for(stack, key: str) -> list[dict]:
    """The S3 notifications moto itself produced for `key` (delivered to SQS, as moto does)."""
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName="newsdrop-local-s3-notifications")["QueueUrl"]
    events = []
    while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for m in msgs:
            body = json.loads(m["Body"])
            events += [{"Records": [r]} for r in body.get("Records", [])]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return events


def test_markdown_article_is_stored_with_derived_fields_and_tags(drop, articles):
    key = drop("venezuela.md", VENEZUELA_MD.encode())
    outcome = articles.drops_for(key)[-1]
    assert outcome["status"] == "stored"
    article = stored(articles, outcome["slug"])
    assert article.slug == "caracas-braces-for-a-contested-vote-count"
    assert article.author == "Ana Rivas"
    assert article.published.isoformat().startswith("2026-11-20T08:00")
    # Editor tags normalized: case, whitespace and '#' variants collapse to one tag with one display form.
    assert [t.key for t in article.editor_tags] == ["world", "global-news"]
    assert [t.label for t in article.editor_tags] == ["World", "Global News"]
    # The reader can follow the country although the editor only wrote "World".
    assert "venezuela" in [t.key for t in article.auto_tags]
    assert not {t.key for t in article.auto_tags} & {t.key for t in article.editor_tags}
    assert len(article.excerpt) <= 165 and article.excerpt.startswith("Election officials in Caracas")
    cut = article.excerpt.rstrip("…").rstrip()
    source_text = " ".join(VENEZUELA_MD.split("---")[2].split())
    assert source_text.startswith(cut) and source_text[len(cut)] in " ,.", "excerpt cut mid-word"
    assert article.word_count > 60 and article.reading_minutes == 1


def test_reupload_of_same_key_makes_a_new_revision_and_keeps_the_old(drop, articles):
    drop("venezuela.md", VENEZUELA_MD.encode())
    slug = "caracas-braces-for-a-contested-vote-count"
    drop("venezuela.md", VENEZUELA_MD.replace("through the night", "until Tuesday").encode())
    article = stored(articles, slug)
    assert article.revision == 2 and "until Tuesday" in article.body
    [old] = articles.revisions(slug)
    assert old.revision == 1 and "through the night" in old.body


def test_identical_content_under_another_key_changes_nothing(drop, articles):
    drop("venezuela.md", VENEZUELA_MD.encode())
    key = drop("copy of venezuela.md", VENEZUELA_MD.encode())
    assert articles.drops_for(key)[-1]["status"] == "unchanged"
    assert [a.slug for a in articles.iter_articles()] == ["caracas-braces-for-a-contested-vote-count"]
    assert stored(articles, "caracas-braces-for-a-contested-vote-count").revision == 1


def test_different_articles_with_the_same_title_get_different_slugs(drop, articles):
    drop("a.txt", b"Storm warning\n\nHigh winds are expected on the east coast tonight.")
    drop("b.txt", b"Storm warning\n\nA second storm front will reach the islands on Friday.")
    slugs = sorted(a.slug for a in articles.iter_articles())
    assert slugs == ["storm-warning", "storm-warning-2"]


def test_explicit_slug_wins_over_the_object_key(drop, articles):
    md = VENEZUELA_MD.replace("author: Ana Rivas", "author: Ana Rivas\nslug: venezuela-count")
    drop("draft-17.md", md.encode())
    drop("draft-18.md", md.replace("Sunday", "Monday").encode())
    article = stored(articles, "venezuela-count")
    assert article.revision == 2 and "Monday" in article.body
    assert [a.slug for a in articles.iter_articles()] == ["venezuela-count"]


@pytest.mark.parametrize(
    "name", ["café reopens.md", "a+b = c.md", "Россия сегодня.md", "dir/with space/ü.md"]
)
def test_keys_with_spaces_plus_and_non_ascii_work(drop, articles, name):
    key = drop(name, VENEZUELA_MD.encode())
    outcome = articles.drops_for(key)[-1]
    assert outcome["status"] == "stored" and outcome["source"] == key
    assert stored(articles, outcome["slug"]).source_key == key


def test_the_same_moto_event_delivered_twice_stores_one_article(stack, articles):
    key = "incoming/twice.md"
    stack.client("s3").put_object(Bucket=stack.output("DropBucketName"), Key=key, Body=VENEZUELA_MD.encode())
    [event] = s3_events_for(stack, key)
    ingest = stack.functions["IngestFunction"]
    first, second = ingest.invoke(event), ingest.invoke(event)
    assert first["drops"][0]["status"] == "stored"
    assert second["drops"][0]["status"] == "unchanged"
    assert len(list(articles.iter_articles())) == 1
    assert stored(articles, first["drops"][0]["slug"]).revision == 1


def test_a_real_s3_event_with_sequencer_and_version_is_accepted_and_replays_are_noops(stack, articles):
    """The `sam local generate-event s3 put` shape (userIdentity, requestParameters, sequencer...)."""
    event = json.loads((ROOT / "events" / "s3-put.json").read_text())
    bucket = stack.output("DropBucketName")
    key = "incoming/café reopens + more.md"
    put = stack.client("s3").put_object(Bucket=bucket, Key=key, Body=VENEZUELA_MD.encode())
    obj = event["Records"][0]["s3"]
    obj["bucket"]["name"] = bucket
    obj["object"]["versionId"] = put["VersionId"]
    ingest = stack.functions["IngestFunction"]
    assert ingest.invoke(event)["drops"][0]["status"] == "stored"
    assert ingest.invoke(event)["drops"][0]["status"] == "unchanged"
    assert stored(articles, "caracas-braces-for-a-contested-vote-count").source_key == key


def test_an_s3_test_event_and_other_event_names_drop_nothing(stack, articles):
    ingest = stack.functions["IngestFunction"]
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}  # sent when wiring up
    tagging = json.loads((ROOT / "events" / "s3-put.json").read_text())
    tagging["Records"][0]["eventName"] = "ObjectTagging:Put"
    assert ingest.invoke(test_event) == {"drops": []} == ingest.invoke(tagging)
    assert list(articles.iter_articles()) == []


@pytest.mark.parametrize("path", [("eventName",), ("s3", "bucket", "name"), ("s3", "object", "key"), ("s3",)])
def test_an_s3_event_record_without_what_names_the_object_fails_saying_what_is_missing(stack, articles, path):
    """Not an editor's file but a malformed event: it fails validation (Powertools' S3Model, through
    the Parser), so the invocation is retried, then dead-lettered and alarmed, with the missing field
    named; nothing is stored, not even a drop record, although the event's other record was good."""
    event = json.loads((ROOT / "events" / "s3-put.json").read_text())
    good = json.loads(json.dumps(event["Records"][0]))
    parent = event["Records"][0]
    for name in path[:-1]:
        parent = parent[name]
    del parent[path[-1]]
    event["Records"].append(good)
    with pytest.raises(ValidationError, match="validation error for DropEvent") as info:
        stack.functions["IngestFunction"].invoke(event)
    assert f"Records.0.{'.'.join(path)}" in str(info.value) and "Field required" in str(info.value)
    assert (
        list(articles.iter_articles()) == [] and articles.drops_for("incoming/café reopens + more.md") == []
    )


def quarantined(stack, outcome) -> tuple[bytes, dict]:
    s3, bucket = stack.client("s3"), stack.output("DropBucketName")
    original = s3.get_object(Bucket=bucket, Key=outcome["quarantined_as"])["Body"].read()
    report = json.loads(
        s3.get_object(Bucket=bucket, Key=outcome["quarantined_as"] + ".reject.json")["Body"].read()
    )
    return original, report


BAD_FILES = {
    "empty.md": (b"", "empty_file"),
    "blank.txt": (b"  \n\t\n", "empty_file"),
    "report.docx": (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "unsupported_type"),
    "broken.md": (b"---\ntitle: [unclosed\nauthor: x\n---\nBody text here.", "bad_front_matter"),
    "broken.json": (b'{"title": "x", "body": ', "bad_json"),
    "no-title.json": (b'{"body": "Some text that has no title at all."}', "missing_title"),
    "no-body.md": (b"---\ntitle: Only a title\n---\n", "missing_body"),
    "nested.json": (b'{"title": "t", "body": "b", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "too_complex"),
    "aliases.md": (
        b"---\ntitle: t\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n---\nBody.",
        "too_complex",
    ),
    "garbage.txt": (bytes([0x81, 0x8D, 0x00, 0x01, 0x02, 0x90, 0x9D]) * 50, "undecodable_text"),
    # the detail quotes the date: a lone surrogate in it once made the (UTF-8) report unwritable
    "bad-date.json": (b'{"title": "t", "body": "b", "date": "\\ud800 soon"}', "invalid_field"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_every_bad_file_is_quarantined_unchanged_with_a_reason(stack, drop, articles, name):
    body, reason = BAD_FILES[name]
    key = drop(name, body)
    outcome = articles.drops_for(key)[-1]
    assert outcome["status"] == "rejected" and outcome["reason"] == reason
    original, report = quarantined(stack, outcome)
    assert original == body, "quarantine must keep the original bytes unchanged"
    assert report["reason"] == reason and report["detail"] and report["source"]["key"] == key
    assert list(articles.iter_articles()) == []


def test_a_file_over_the_size_limit_is_quarantined_without_being_read(stack, drop, articles):
    body = b"Huge\n\n" + b"word " * (MAX_OBJECT_BYTES // 5 + 10)
    key = drop("huge.txt", body)
    outcome = articles.drops_for(key)[-1]
    assert outcome["reason"] == "too_large" and f"{MAX_OBJECT_BYTES:,}" in outcome["detail"]
    original, _ = quarantined(stack, outcome)
    assert original == body


def test_windows_1252_text_is_decoded_not_garbled(drop, articles):
    text = "Caf\u00e9 owners \u201cwelcome\u201d the new rules\n\nThe caf\u00e9 association said the \u20ac2 fee was fair \u2013 mostly."
    drop("cafe.txt", text.encode("cp1252"))
    [article] = articles.iter_articles()
    assert article.title == "Caf\u00e9 owners \u201cwelcome\u201d the new rules"
    assert "\u20ac2 fee" in article.body and "\u2013" in article.body


def test_hostile_html_keeps_only_the_sanitized_article(drop, articles):
    page = b"""<!doctype html><html><head><title>Site | Ignored</title>
    <meta name="author" content="Lee Park"><meta name="keywords" content="Tech, AI chips">
    <script>steal()</script></head><body>
    <nav><a href="/">Home</a> <a href="/world">World</a></nav>
    <aside class="sidebar">Trending: nothing</aside>
    <article><h1>Chipmaker unveils a low-power AI processor</h1>
    <p onclick="evil()">The new processor uses half the power of its predecessor.<script>alert(1)</script></p>
    <img src="x" onerror="alert(2)"><a href="javascript:alert(3)">click</a>
    <p>Engineers said the design would reach phones next year.</p></article>
    <div class="subscribe">Join 10k+ people to get notified about new posts</div>
    <footer>(c) Example News</footer></body></html>"""
    drop("chip.html", page)
    [article] = articles.iter_articles()
    assert article.title == "Chipmaker unveils a low-power AI processor"
    assert article.author == "Lee Park"
    assert [t.label for t in article.editor_tags] == ["Tech", "AI Chips"] or [
        t.key for t in article.editor_tags
    ] == [
        "tech",
        "ai-chips",
    ]
    assert article.body == page.decode()  # the editor's source, kept as dropped for revisions
    body = article.body_html.lower()  # what readers get
    for hostile in ("<script", "onclick", "onerror", "javascript:", "alert(", "steal("):
        assert hostile not in body
    for chrome in ("trending", "join 10k", "(c) example news", "home"):
        assert chrome not in body
    assert "half the power" in body and "phones next year" in body


def test_one_bad_record_does_not_fail_the_batch(stack, articles):
    s3, bucket = stack.client("s3"), stack.output("DropBucketName")
    s3.put_object(Bucket=bucket, Key="incoming/good.md", Body=VENEZUELA_MD.encode())
    s3.put_object(Bucket=bucket, Key="incoming/bad.json", Body=b"{nope")
    records = [r for e in s3_events_for(stack, "") for r in e["Records"]]
    result = stack.functions["IngestFunction"].invoke({"Records": records})
    assert sorted(d["status"] for d in result["drops"]) == ["rejected", "stored"]


def test_an_aws_failure_is_retried_and_stores_once(stack, dispatcher, articles, monkeypatch):
    from newsdrop.ingest.store import ArticleStore

    real_save, calls = ArticleStore.save, []

    def flaky_save(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("ProvisionedThroughputExceededException (simulated)")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(ArticleStore, "save", flaky_save)
    stack.client("s3").put_object(
        Bucket=stack.output("DropBucketName"), Key="incoming/v.md", Body=VENEZUELA_MD.encode()
    )
    dispatcher.pump()
    assert len(calls) == 2
    [article] = articles.iter_articles()
    assert article.revision == 1


def test_a_drop_that_keeps_failing_reaches_the_dead_letter_queue(stack, dispatcher, monkeypatch):
    from newsdrop.ingest.store import ArticleStore

    def broken(self, *args, **kwargs):
        raise RuntimeError("table unavailable (simulated)")

    monkeypatch.setattr(ArticleStore, "save", broken)
    stack.client("s3").put_object(
        Bucket=stack.output("DropBucketName"), Key="incoming/v.md", Body=VENEZUELA_MD.encode()
    )
    dispatcher.pump()
    sqs = stack.client("sqs")
    msgs = sqs.receive_message(QueueUrl=stack.resource("IngestDeadLetterQueue"), MaxNumberOfMessages=10)[
        "Messages"
    ]
    [failure] = [json.loads(m["Body"]) for m in msgs]
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestPayload"]["Records"][0]["s3"]["object"]["key"].endswith("v.md")


def test_arbitrary_bytes_are_never_lost(stack, dispatcher, articles):
    """Whatever an editor drops ends as a stored article or an unchanged copy in quarantine."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    s3, bucket = stack.client("s3"), stack.output("DropBucketName")
    counter = iter(range(10_000))
    names = st.sampled_from(["x.md", "x.json", "x.html", "x.txt", "x.bin", "x"])
    payloads = st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda t: t.encode("utf-8")),
        st.text(max_size=300).map(lambda t: f"---\ntitle: {t}\n---\n{t}".encode("utf-8", "surrogatepass")),
        st.text(max_size=300).map(lambda t: ("{" + t).encode("utf-8", "surrogatepass")),
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(name=names, body=payloads)
    def drop_anything(name, body):
        key = f"incoming/fuzz-{next(counter)}/{name}"
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        dispatcher.pump()
        [outcome] = articles.drops_for(key)
        if outcome["status"] == "rejected":
            kept = s3.get_object(Bucket=bucket, Key=outcome["quarantined_as"])["Body"].read()
            assert kept == body
        else:
            assert outcome["status"] in ("stored", "unchanged")
            assert articles.get_article(outcome["slug"]) is not None

    drop_anything()


def test_deleting_the_file_unpublishes_the_article_and_a_new_upload_republishes_it(stack, drop, articles):
    key = drop("venezuela.md", VENEZUELA_MD.encode())
    slug = articles.drops_for(key)[-1]["slug"]
    stack.client("s3").delete_object(Bucket=stack.output("DropBucketName"), Key=key)
    # moto sends no notification for a delete marker in a versioned bucket; S3 does, shaped like this:
    event = json.loads((ROOT / "events" / "s3-delete.json").read_text())
    event["Records"][0]["s3"]["bucket"]["name"] = stack.output("DropBucketName")
    event["Records"][0]["s3"]["object"]["key"] = "incoming/venezuela.md"
    ingest = stack.functions["IngestFunction"]
    assert ingest.invoke(event)["drops"][0]["status"] == "unpublished"
    assert ingest.invoke(event)["drops"][0]["status"] == "unchanged"  # delivered twice: withdrawn once
    assert articles.get_article(slug) is None
    assert any(d["status"] == "unpublished" for d in articles.drops_for(key))
    [kept] = articles.revisions(slug)
    assert kept.revision == 1
    # The slug is not given to another article while withdrawn...
    drop("same-title.md", VENEZUELA_MD.replace("Sunday", "Saturday").encode())
    assert articles.get_article(slug) is None
    # ...and uploading the file again publishes it again, as the next revision.
    drop("venezuela.md", VENEZUELA_MD.replace("Sunday", "Monday").encode())
    again = stored(articles, slug)
    assert again.revision == 2 and "Monday" in again.body
