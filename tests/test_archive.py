"""The archive import, sharded reindex and sharded publish-all state machines, run by moto's Step
Functions interpreter over the template's own definitions, with the tasks in-process (newsdrop.local.sfn)."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, bbc_articles

ARCHIVE_SIZE = 200  # a few hundred articles, as the issue asks, at a CI-friendly cost


@pytest.fixture(scope="module")
def archive_stack():
    """One stack for the module: the import of ARCHIVE_SIZE BBC articles is the expensive part."""
    import os

    from moto import mock_aws

    saved = dict(os.environ)
    os.environ |= {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)
    try:
        with mock_aws():
            from newsdrop.local.dispatch import Dispatcher
            from newsdrop.local.stack import LocalStack

            stack = LocalStack(ROOT, env_overrides={"POWERTOOLS_METRICS_DISABLED": "true"}).deploy()
            yield stack, Dispatcher(stack)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def upload(stack, name: str, rows: list[dict]) -> str:
    from newsdrop.archive.feed import ARCHIVE_ROOT, article_document

    prefix = f"{ARCHIVE_ROOT}{name}/"
    s3 = stack.client("s3")
    for i, row in enumerate(rows):
        key = f"{prefix}{row['id'].replace('/', '-')}.json"
        s3.put_object(Bucket=stack.output("DropBucketName"), Key=key, Body=article_document(row, i))
    return prefix


def execute(stack, kind: str, payload: dict) -> dict:
    from newsdrop.archive import executions

    return executions.run(stack.client("stepfunctions"), stack.outputs(), kind, payload, poll_seconds=0.2)


def related_items(stack, *, marked: bool = False) -> dict:
    """The related table's items (but the rebuild's bookkeeping); without the import's marker on the
    lists (not content: newsdrop.archive.marker), unless ``marked``."""
    from newsdrop.archive.marker import ARCHIVE_MARKER
    from newsdrop.related.store import DynamoDBRelatedIndex

    index = DynamoDBRelatedIndex(stack.resource("RelatedTable"), stack.session.resource("dynamodb"))
    items = {(i["pk"], i["sk"]): i for i in index.scan_items() if i["pk"] != "INDEX"}
    if not marked:
        items = {k: {n: v for n, v in i.items() if n != ARCHIVE_MARKER} for k, i in items.items()}
    return items


def count_site_writes(monkeypatch) -> list[str]:
    """Every site object written from now on, in order, by whichever function writes it (the publisher
    woken by a stream, or a publish-all's shard)."""
    from newsdrop.site.store import S3SiteBucket

    written: list[str] = []
    real = S3SiteBucket.apply

    def counted(self, changes):
        written.extend(changes.puts)
        return real(self, changes)

    monkeypatch.setattr(S3SiteBucket, "apply", counted)
    return written


@pytest.fixture
def site_writes(monkeypatch):
    return count_site_writes(monkeypatch)


def reindexed_items(stack) -> dict:
    """What `newsdrop reindex` computes: every public article replayed in order, in memory."""
    from newsdrop.ingest.store import ArticleStore
    from newsdrop.related.engine import InMemoryRelatedIndex, reindex_all
    from newsdrop.related.store import canonical_items

    articles = ArticleStore(stack.resource("ArticlesTable"), stack.session.resource("dynamodb"))
    index = InMemoryRelatedIndex()
    reindex_all(index, articles.iter_public_articles())
    return canonical_items(index)


@pytest.fixture(scope="module")
def imported(archive_stack):
    stack, dispatcher = archive_stack
    prefix = upload(stack, "bbc", bbc_articles(ARCHIVE_SIZE))
    with pytest.MonkeyPatch.context() as patch:
        written = count_site_writes(patch)
        report = execute(stack, "import", {"source": prefix})
        # whatever the streams carry now, after the execution (a publisher lagging behind it): the
        # import's articles are filtered out, its lists are read and skipped (the publish rendered them)
        dispatcher.pump()
    return stack, dispatcher, report | {"site_writes": written}


def test_an_archive_import_stores_relates_and_publishes_every_article_once(imported):
    stack, _, report = imported
    assert (report["articles"], report["stored"], report["failed"]) == (ARCHIVE_SIZE, ARCHIVE_SIZE, 0)
    assert report["related"]["failed"] == 0 and report["publish"]["failed"] == 0
    assert report["duration_s"] >= 0
    # the related lists are exactly a reindex's, item for item (lists, documents, postings, statistics)
    assert related_items(stack) == reindexed_items(stack)
    # every article has its page and API document; the home page, the sitemaps
    s3, bucket = stack.client("s3"), stack.output("SiteBucketName")
    keys = {
        o["Key"]
        for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in p.get("Contents", [])
    }
    from newsdrop.ingest.store import ArticleStore

    slugs = [
        a.slug
        for a in ArticleStore(
            stack.resource("ArticlesTable"), stack.session.resource("dynamodb")
        ).iter_articles()
    ]
    assert len(slugs) == ARCHIVE_SIZE
    assert all(f"{s}/index.html" in keys and f"api/articles/{s}.json" in keys for s in slugs)
    assert {"index.html", "sitemap.xml", "feed.xml", "static/site.css"} <= keys
    pages = [s3.get_object(Bucket=bucket, Key=f"{s}/index.html")["Body"].read().decode() for s in slugs[:20]]
    assert sum('id="related-heading"' in page for page in pages) >= 15  # rendered after the lists were


def test_every_page_of_an_import_is_written_once_though_the_lists_wake_the_publisher(imported):
    stack, _, report = imported
    lists = {k: i for k, i in related_items(stack, marked=True).items() if k[1] == "RELATED"}
    # the lists were written during the import (so their stream woke the publisher), marked by it
    assert len(lists) >= ARCHIVE_SIZE * 0.9
    assert all(i.get("archive_run") for i in lists.values())
    written = report["site_writes"]
    pages = [k for k in written if k.endswith("/index.html") and k.count("/") == 1]
    assert len(pages) == len(set(pages)) >= ARCHIVE_SIZE  # each article page once: the publish-all's
    assert len(written) == len(set(written))  # and nothing else twice either


def test_an_archive_is_announced_to_nobody_and_wakes_no_stream_consumer(imported):
    stack, _, _ = imported
    deliveries = stack.session.resource("dynamodb").Table(stack.resource("DeliveriesTable"))
    assert deliveries.scan()["Items"] == []  # no PUBLISHED marker: the notifier never saw them
    from newsdrop.local.mail import sent_messages

    assert sent_messages(stack) == []


@pytest.mark.parametrize(
    "function, event",
    [
        ("RelatedFunction", "ArticleChanged"),
        ("NotifyFunction", "ArticleStored"),
        ("PublisherFunction", "ArticleChanged"),
    ],
)
def test_the_stream_filters_skip_an_imported_item_and_pass_an_editors_drop(function, event):
    from newsdrop.local.filters import matches_any
    from newsdrop.local.sam import load_template

    template = load_template(ROOT / "template.yaml")
    props = template["Resources"][function]["Properties"]["Events"][event]["Properties"]
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]

    def record(name: str, image: dict | None) -> dict:
        dynamodb = {"Keys": {"pk": {"S": "ARTICLE#a"}, "sk": {"S": "CURRENT"}}}
        if image is not None:
            dynamodb["NewImage"] = {
                "pk": {"S": "ARTICLE#a"},
                "sk": {"S": "CURRENT"},
                "state": {"S": "published"},
            }
            dynamodb["NewImage"] |= image
        return {"eventName": name, "dynamodb": dynamodb}

    assert matches_any(patterns, record("INSERT", {}))
    assert not matches_any(patterns, record("INSERT", {"archive_run": {"S": "import-1"}}))
    assert not matches_any(patterns, record("MODIFY", {"archive_run": {"S": "import-1"}}))
    if function != "NotifyFunction":  # a withdrawal reaches the related lists and the site
        assert matches_any(patterns, record("REMOVE", None))


def test_importing_the_same_archive_again_changes_nothing(imported):
    stack, _, first = imported
    before = related_items(stack)
    again = execute(stack, "import", {"source": "archive/bbc/"})
    assert (again["stored"], again["unchanged"], again["failed"]) == (0, ARCHIVE_SIZE, 0)
    assert again["related"]["written"] == 0 and again["related"]["deleted"] == 0
    assert related_items(stack) == before


def test_a_shard_that_fails_once_is_retried_and_one_that_always_fails_is_reported(imported, monkeypatch):
    from newsdrop.archive import tasks

    stack, _, _ = imported
    canonical = related_items(stack)
    # the index damaged: one list emptied, one stale item added, so the reindex has work to do
    table = stack.session.resource("dynamodb").Table(stack.resource("RelatedTable"))
    victim = next(k for k in canonical if k[1] == "RELATED")
    table.delete_item(Key={"pk": victim[0], "sk": victim[1]})
    table.put_item(Item={"pk": "DOC#gone", "sk": "RELATED", "entries": []})

    real = tasks.TASKS["write_table_shard"]
    attempts: dict[str, int] = {}

    def flaky(ctx, event):
        attempts[event["item"]] = attempts.get(event["item"], 0) + 1
        if event["item"] == "related-0003" and attempts[event["item"]] == 1:
            raise ConnectionError("injected: the shard's first attempt dies")
        return real(ctx, event)

    monkeypatch.setitem(tasks.TASKS, "write_table_shard", flaky)
    report = execute(stack, "reindex", {"step_chunks": 0})
    assert attempts["related-0003"] == 2 and report["failed_items"] == 0
    assert related_items(stack) == canonical  # healed: the emptied list back, the stale item gone

    def broken(ctx, event):
        if event["item"] == "related-0005":
            raise ConnectionError("injected: this shard always fails")
        return real(ctx, event)

    monkeypatch.setitem(tasks.TASKS, "write_table_shard", broken)
    table.delete_item(Key={"pk": victim[0], "sk": victim[1]})
    report = execute(stack, "reindex", {"step_chunks": 0})
    assert report["failed_items"] == 1
    assert (
        report["failures"][0]["item"] == "related-0005" and "always fails" in report["failures"][0]["cause"]
    )
    assert report["written"] + report["deleted"] <= 1  # the other shards found nothing to do


def test_the_replay_checkpoints_between_steps_and_gives_the_same_lists(imported, monkeypatch):
    from newsdrop.archive import tasks

    stack, _, _ = imported
    canonical = related_items(stack)
    monkeypatch.setattr(tasks, "ARTICLE_CHUNK", 40)  # 5 chunks...
    steps = []
    real = tasks.TASKS["replay"]
    monkeypatch.setitem(
        tasks.TASKS, "replay", lambda ctx, event: steps.append(event["position"]) or real(ctx, event)
    )
    report = execute(stack, "reindex", {"step_chunks": 2})  # ...2 a step: 3 steps, 2 checkpoints
    assert steps == [0, 2, 4]
    assert report["failed_items"] == 0 and report["settled"] is True
    assert related_items(stack) == canonical


def test_an_archive_larger_than_a_window_is_replayed_in_windows_with_exact_statistics(imported):
    """Three windows at once (a million articles are 200): the items are those of the same computation in
    one process, and the postings, pending deltas and documents' frequencies the exact replay's
    (tests/test_related_windows.py checks the statistics and topic fits). Only the lists may differ
    (docs/archive.md measures how much)."""
    from newsdrop.ingest.store import ArticleStore
    from newsdrop.related.packed import unpack
    from newsdrop.related.store import canonical_items
    from newsdrop.related.windows import windowed_reindex

    stack, _, _ = imported
    exact = related_items(stack)
    report = execute(stack, "reindex", {"step_chunks": 0, "window": 70, "warmup": 50})
    assert report["failed_items"] == 0 and report["settled"] is True
    articles = ArticleStore(stack.resource("ArticlesTable"), stack.session.resource("dynamodb"))
    windowed = related_items(stack)
    assert windowed == canonical_items(windowed_reindex(articles.iter_public_articles(), 70, 50))

    def exact_part(items: dict) -> dict:
        # the statistics (the snapshot with its centre, the head, the pending deltas) and the postings
        return {k: v for k, v in items.items() if k[0].startswith(("TERM#", "STATS"))}

    assert exact_part(windowed) == exact_part(exact)

    def tf(item: dict) -> dict:  # a document's term frequencies, stored packed (newsdrop.related.packed)
        return unpack(item)[0]

    docs = [k for k in exact if k[1] == "DOC"]
    assert len(docs) == ARCHIVE_SIZE and all(tf(windowed[k]) == tf(exact[k]) for k in docs)

    execute(stack, "reindex", {"step_chunks": 0})  # the exact lists back, for the tests after this one
    assert related_items(stack) == exact


def test_a_window_that_always_fails_fails_the_reindex_before_any_write(imported, monkeypatch):
    from newsdrop.archive import tasks
    from newsdrop.archive.executions import ExecutionFailed

    stack, _, _ = imported
    before = related_items(stack)
    real = tasks.TASKS["replay_window"]

    def broken(ctx, event):
        if event["item"] == "window-000001":
            raise ConnectionError("injected: this window always fails")
        return real(ctx, event)

    monkeypatch.setitem(tasks.TASKS, "replay_window", broken)
    with pytest.raises(ExecutionFailed, match="window-000001"):
        execute(stack, "reindex", {"step_chunks": 0, "window": 70, "warmup": 50})
    assert related_items(stack) == before  # nothing written: the lists a page reads are the last good ones


def test_publish_all_by_shards_writes_what_the_one_process_publish_writes(imported):
    from newsdrop.site.export import publish_local_stack

    stack, _, _ = imported
    s3, bucket = stack.client("s3"), stack.output("SiteBucketName")

    def site() -> dict[str, bytes]:
        keys = [
            o["Key"]
            for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in p.get("Contents", [])
        ]
        return {
            k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys if k != "news-sitemap.xml"
        }

    report = execute(stack, "publish", {})
    assert report["failed_items"] == 0 and report["objects"] > 2 * ARCHIVE_SIZE
    sharded = site()
    publish_local_stack(stack)
    assert site() == sharded


def test_a_bad_archive_row_is_named_by_its_line_and_nothing_is_uploaded(tmp_path):
    from newsdrop.archive.feed import BadArchiveRow, upload_archive

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"title": "Fine", "body": "Text."}\n{"title": "No body"}\n')
    uploaded = []

    class S3:
        def put_object(self, **kwargs):
            uploaded.append(kwargs["Key"])

    with pytest.raises(BadArchiveRow, match="corpus.jsonl:2: an article needs a title and a body"):
        upload_archive(S3(), "bucket", "x", [corpus])
    corpus.write_text('{"title": "Fine", "body": "Text."}\nnot json\n')
    with pytest.raises(BadArchiveRow, match="corpus.jsonl:2: not JSON"):
        upload_archive(S3(), "bucket", "x", [corpus])
    assert uploaded == []  # every row is checked before the first upload


def test_a_manifest_names_the_files_and_a_bad_one_is_refused():
    from newsdrop.archive.tasks import archive_keys

    class S3:
        def __init__(self, body: str):
            self.body = body

        def get_object(self, Bucket, Key):  # noqa: N803 (boto3's names)
            import io

            return {"Body": io.BytesIO(self.body.encode())}

    assert archive_keys(S3("archive/b.md\narchive/a.md\n\n"), "bkt", "archive/x.manifest.txt") == [
        "archive/a.md",
        "archive/b.md",
    ]
    assert archive_keys(S3('["archive/a.md"]'), "bkt", "archive/x.manifest.json") == ["archive/a.md"]
    with pytest.raises(ValueError, match="a manifest is a JSON list of keys"):
        archive_keys(S3('{"keys": 1}'), "bkt", "archive/x.manifest.json")


def test_an_editors_article_after_the_import_updates_the_marked_lists_and_their_pages(imported, site_writes):
    """The marker silences the import's own list writes only: a later article offered to an imported
    article's list rewrites it whole, unmarked, and the publisher renders that page again. (Last: it
    adds an article to the corpus the tests above compare with.)"""
    from newsdrop.archive.feed import article_document

    stack, dispatcher, _ = imported
    before = set(related_items(stack))
    row = bbc_articles(ARCHIVE_SIZE + 1)[-1]
    s3 = stack.client("s3")
    s3.put_object(
        Bucket=stack.output("DropBucketName"),
        Key="incoming/later.json",
        Body=article_document(row, 10 * ARCHIVE_SIZE),
    )
    dispatcher.pump()
    items = related_items(stack, marked=True)
    (new,) = {k[0][4:] for k in set(items) - before if k[1] == "DOC"}
    holders = [
        k[0][4:]
        for k, i in items.items()
        if k[1] == "RELATED" and k[0] != f"DOC#{new}" and any(e["slug"] == new for e in i["entries"])
    ]
    assert holders  # the new article entered imported articles' lists...
    assert all("archive_run" not in items[(f"DOC#{s}", "RELATED")] for s in holders)  # ...now unmarked
    # ...and their pages were rendered again by the publisher, with the new article
    assert {f"{s}/index.html" for s in holders} <= set(site_writes)
    page = s3.get_object(Bucket=stack.output("SiteBucketName"), Key=f"{holders[0]}/index.html")
    assert f"/{new}/" in page["Body"].read().decode()
