"""An archive's first import writes an article's items without a transaction (newsdrop.archive.articles):
through the archive function's import task on moto, a batch that dies half-way through a save is retried
and stores every article once, with its pointers, and a duplicate inside the archive is still caught."""

from __future__ import annotations

import pytest

ROWS = [
    {
        "title": f"Harbour story {i}",
        "body": f"The harbour board met on day {i}. " * 30,
        "category": "business",
    }
    for i in range(3)
]
DUPLICATE = dict(ROWS[0])  # the same article in another file of the archive


def put(stack, key: str, row: dict, number: int) -> None:
    from newsdrop.archive.feed import article_document

    stack.client("s3").put_object(
        Bucket=stack.output("DropBucketName"), Key=key, Body=article_document(row, number)
    )


def upload(stack) -> list[str]:
    keys = []
    for i, row in enumerate([*ROWS, DUPLICATE]):
        keys.append(f"archive/harbour/{i:03d}.json")
        put(stack, keys[-1], row, i % len(ROWS))  # the row's number dates it: the duplicate's date too
    return keys


def import_batch(stack, keys: list[str]) -> dict:
    event = {
        "task": "import_batch",
        "run": "ArchiveImport/test",
        "item": "batch-000000",
        "size": len(keys),
        "bucket": stack.output("DropBucketName"),
        "keys": keys,
    }
    return stack.functions["ArchiveFunction"].invoke(event)


WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def written_calls(stack) -> list[str]:
    """The DynamoDB write operations every client of this process sends from now on."""
    import boto3

    calls: list[str] = []

    def sent(model, **_):
        if model.name in WRITES:
            calls.append(model.name)

    for session in (boto3._get_default_session(), stack.session):
        session.events.register("before-call.dynamodb", sent)
    return calls


@pytest.mark.parametrize("dies_before", ["live item", "source pointer"])
def test_a_batch_that_dies_half_way_through_a_save_is_retried_and_stores_each_article_once(
    stack, articles, monkeypatch, dies_before
):
    from newsdrop.archive import articles as archive_articles
    from newsdrop.ingest.store import source_item

    keys = upload(stack)
    victim = keys[1]
    attempts = {"left": 1}

    def dies_once(step):
        def write(*args, **kwargs):
            if attempts["left"] and victim in repr(args):
                attempts["left"] -= 1
                raise ConnectionError(f"injected: the invocation dies before the {dies_before}")
            return step(*args, **kwargs)

        return write

    if dies_before == "source pointer":
        monkeypatch.setattr(archive_articles, "source_item", dies_once(source_item))
    else:  # the hash pointer written, the live item not
        monkeypatch.setattr(archive_articles, "article_to_item", dies_once(archive_articles.article_to_item))

    with pytest.raises(RuntimeError, match="1 of 4 files failed"):
        import_batch(stack, keys)
    assert attempts["left"] == 0
    import_batch(stack, keys)  # the map's retry of the whole batch

    stored = sorted(articles.iter_articles(), key=lambda a: a.source_key)
    assert [a.source_key for a in stored] == keys[:3]  # the duplicate (keys[3]) caught, no second copy
    assert [a.title for a in stored] == [r["title"] for r in ROWS]
    for article in stored:
        assert articles.get_source(article.source_key)["slug"] == article.slug
        assert articles.find_by_hash(article.content_hash) == article.slug
    assert articles.get_source(keys[3]) is None  # an unchanged duplicate names no article
    outcomes = {k: articles.drops_for(k)[0]["status"] for k in keys}
    assert outcomes[keys[0]] == outcomes[keys[2]] == "stored" and outcomes[keys[3]] == "unchanged"
    assert outcomes[victim] == ("stored" if dies_before == "live item" else "unchanged")

    # the file, revised by an editor later, is a revision of the same article, not a new one
    revised = {**ROWS[1], "body": ROWS[1]["body"] + " The board adjourned."}
    put(stack, victim, revised, 1)
    import_batch(stack, [victim])
    article = articles.get_article(stored[1].slug)
    assert article.revision == 2 and "adjourned" in article.body
    assert len(list(articles.iter_articles())) == 3


def test_a_first_import_writes_its_items_without_a_transaction_and_a_revision_with_one(stack, articles):
    keys = upload(stack)[:1]
    calls = written_calls(stack)
    import_batch(stack, keys)
    assert "TransactWriteItems" not in calls and calls.count("PutItem") == 4  # hash, live, source, drop
    (article,) = articles.iter_articles()
    assert article.revision == 1

    calls.clear()
    revised = {**ROWS[0], "body": ROWS[0]["body"] + " Revised."}
    put(stack, keys[0], revised, 0)
    import_batch(stack, keys)
    assert calls.count("TransactWriteItems") == 1  # the new revision and the kept one, together
    assert [r.revision for r in articles.revisions(article.slug)] == [1]
