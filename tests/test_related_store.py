"""Related posts through DynamoDB (moto): the same behaviours as the in-memory index, item for item."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_related import all_lists, corpus, make, subject_corpus, topic

from newsdrop.related import engine as related
from newsdrop.related.store import DynamoDBRelatedIndex, create_table

TABLE = "related-test"


@pytest.fixture
def store(aws):
    create_table(TABLE)
    return DynamoDBRelatedIndex(TABLE)


def stored_lists(store: DynamoDBRelatedIndex, slugs) -> dict[str, list]:
    lists = store.get_lists(slugs)
    return {s: [(e.slug, e.score) for e in entries] for s, entries in sorted(lists.items())}


def table_items(store: DynamoDBRelatedIndex) -> list[dict]:
    items, kwargs = [], {}
    while True:
        resp = store.table.scan(**kwargs)
        items.extend(resp["Items"])
        if "LastEvaluatedKey" not in resp:
            return sorted(items, key=lambda i: (i["pk"], i["sk"]))
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def test_same_lists_as_in_memory_through_updates_and_removals(store):
    arts = corpus()
    memory = related.InMemoryRelatedIndex()
    for a in arts:
        assert related.update_for_article(store, a) == related.update_for_article(memory, a)
    slugs = [a.slug for a in arts]
    assert stored_lists(store, slugs) == all_lists(memory)
    assert store.get_docs(slugs) == memory.docs  # expanded vectors included: they take part in scores
    moved = make("phones-02", "cinema", seed=1002, hours=1000)
    assert related.update_for_article(store, moved) == related.update_for_article(memory, moved)
    assert related.remove_article(store, "budget-01") == related.remove_article(memory, "budget-01")
    assert stored_lists(store, slugs) == all_lists(memory)
    assert "budget-01" not in {e.slug for entries in store.get_lists(slugs).values() for e in entries}
    assert store.get_docs(["budget-01"]) == {}
    assert store.get_holders("budget-01") == set()


def test_page_reads_entries_ready_to_show(store):
    for a in corpus():
        related.update_for_article(store, a)
    entries = store.related_for("football-00")
    assert len(entries) == related.LIST_SIZE
    assert all(topic(e.slug) == "football" and e.title and e.excerpt and e.score > 0 for e in entries)
    item = store.table.get_item(Key={"pk": "DOC#football-00", "sk": "RELATED"})["Item"]
    assert set(item["entries"][0]) == {"slug", "title", "excerpt", "score"}


def test_freshness_through_dynamodb(store):
    for a in corpus():
        related.update_for_article(store, a)
    twin = make("football-twin", "football", seed=0, hours=500)
    twin = replace(twin, title=twin.title + " Again")
    assert "football-00" in related.update_for_article(store, twin)
    assert store.related_for("football-00")[0].slug == "football-twin"


def test_replay_changes_nothing(store):
    arts = corpus()
    for a in arts:
        related.update_for_article(store, a)
    before = table_items(store)
    for a in arts:
        assert related.update_for_article(store, a) == set()
    assert table_items(store) == before
    # replaying the raw writes is harmless too: puts of the same values, set ADD/DELETE
    lists = store.get_lists([a.slug for a in arts])
    store.put_lists(lists)
    store.change_holders({"football-00": {"football-04"}}, {})
    assert table_items(store) == before


def test_incremental_equals_reindex(store):
    arts = corpus()
    for a in arts:
        related.update_for_article(store, a)
    incremental = stored_lists(store, [a.slug for a in arts])
    related.reindex_all(store, list(reversed(arts)))
    assert stored_lists(store, [a.slug for a in arts]) == incremental


def test_batches_beyond_service_limits_and_unprocessed_keys(store, monkeypatch):
    docs = []
    for i in range(130):  # > 100 keys per BatchGetItem, > 25 items per BatchWriteItem
        doc = related.DocRecord(
            f"s{i:03d}", "t", "e", "2024-01-01T00:00:00+00:00", [], {"a": 1.0}, ["a"], "f"
        )
        docs.append(doc)
        store.put_doc(doc)
    store.put_postings({f"term{i}": [(f"s{i:03d}", 0.5)] for i in range(60)})
    assert len(store.get_postings(f"term{i}" for i in range(60))) == 60

    real = store.resource.batch_get_item
    calls = []

    def flaky(RequestItems):  # noqa: N803 - boto3's parameter name
        calls.append(1)
        keys = RequestItems[TABLE]["Keys"]
        if len(calls) == 1:  # the service hands back half the keys unprocessed
            half = len(keys) // 2
            resp = real(RequestItems={TABLE: {**RequestItems[TABLE], "Keys": keys[:half]}})
            resp["UnprocessedKeys"] = {TABLE: {**RequestItems[TABLE], "Keys": keys[half:]}}
            return resp
        return real(RequestItems=RequestItems)

    monkeypatch.setattr(store.resource, "batch_get_item", flaky)
    got = store.get_docs(d.slug for d in docs)
    assert set(got) == {d.slug for d in docs}
    assert got["s007"] == docs[7]
    assert len(calls) == 3  # 100 keys (50 + 50 unprocessed retried) + 30 keys


def test_stats_snapshot_survives_a_cold_start(store):
    arts = corpus()
    for a in arts:
        related.update_for_article(store, a)
    warm = related.current_stats(store)
    cold = related.current_stats(DynamoDBRelatedIndex(TABLE))
    assert cold == warm and cold.n_docs > 0


def test_topic_model_goes_through_the_table_unchanged(store, monkeypatch):
    """The fitted topic model rides in the statistics snapshot: a cold reader gets the same model, and
    the lists through DynamoDB are the in-memory ones."""
    monkeypatch.setattr(related, "TOPIC_FIRST_FIT", 40)
    arts = subject_corpus(64)
    memory = related.InMemoryRelatedIndex()
    for a in arts:
        assert related.update_for_article(store, a) == related.update_for_article(memory, a)
    cold = related.current_stats(DynamoDBRelatedIndex(TABLE))
    assert cold.topics and cold == related.current_stats(memory)
    assert stored_lists(store, [a.slug for a in arts]) == all_lists(memory)


def rebuild_store(requests: list) -> DynamoDBRelatedIndex:
    return DynamoDBRelatedIndex(TABLE, on_dirty=lambda: requests.append(1))


def reindexed(arts) -> dict[str, list]:
    memory = related.InMemoryRelatedIndex()
    related.reindex_all(memory, arts)
    return all_lists(memory)


def test_in_order_updates_leave_the_table_item_for_item_canonical(store):
    arts = corpus()
    for a in arts:
        related.update_for_article(store, a)
    canonical = related.InMemoryRelatedIndex()
    related.reindex_all(canonical, arts)
    # docs, lists, holders, postings, deltas, snapshot shards and head: nothing to write
    assert store.replace_with(canonical) == 0
    assert store.rebuild_state()[1] is False


def test_out_of_order_events_trigger_one_rebuild_that_makes_every_list_canonical(aws):
    create_table(TABLE)
    requests: list = []
    store = rebuild_store(requests)
    arts = corpus()
    shuffled = arts[12:] + arts[:12][::-1]  # a redriven half, newest first
    for a in shuffled:
        related.update_for_article(store, a)
    changed = make("phones-02", "cinema", seed=1002, hours=2)  # an edit
    related.update_for_article(store, changed)
    related.remove_article(store, "budget-01")
    live = [changed if a.slug == "phones-02" else a for a in arts if a.slug != "budget-01"]
    slugs = [a.slug for a in live]
    assert stored_lists(store, slugs) != reindexed(live)  # what the order did
    assert requests == [1]  # many out-of-order events, one request

    outcome = related.rebuild(store, lambda: live)
    assert outcome.ran and outcome.settled and outcome.articles == len(live) and outcome.items_changed
    assert stored_lists(store, slugs) == reindexed(live)
    assert store.get_docs(["budget-01"]) == {} and store.get_holders("budget-01") == set()
    assert related.rebuild(store, lambda: live).ran is False  # a duplicate request: nothing to do

    # the same warm index goes on incrementally from the rebuilt state, still canonical
    newer = make("football-new", "football", seed=900, hours=100)
    related.update_for_article(store, newer)
    assert stored_lists(store, [*slugs, newer.slug]) == reindexed([*live, newer])
    assert store.rebuild_state()[1] is False and requests == [1]


def test_a_rebuild_raced_by_an_update_stays_dirty_and_asks_again(aws):
    create_table(TABLE)
    requests: list = []
    store = rebuild_store(requests)
    arts = corpus()
    for a in reversed(arts[:6]):
        related.update_for_article(store, a)
    assert store.rebuild_state()[1] is True

    class Racing:  # an update lands while the rebuild writes
        def __getattr__(self, name):
            return getattr(store, name)

        def replace_with(self, canonical):
            written = store.replace_with(canonical)
            related.update_for_article(store, arts[6])
            return written

    outcome = related.rebuild(Racing(), lambda: arts[:6])
    assert outcome.ran and not outcome.settled
    assert store.rebuild_state()[1] is True  # the next run picks up the article it did not see
    assert related.rebuild(store, lambda: arts[:7]).settled
    assert stored_lists(store, [a.slug for a in arts[:7]]) == reindexed(arts[:7])
