"""A related document stored packed (newsdrop.related.packed): read back equal, smaller by its write units,
and the documents stored before the packing still read."""

from __future__ import annotations

import base64
import json

import pytest
from test_related import corpus

from newsdrop.ingest.store import item_size
from newsdrop.related import engine as related
from newsdrop.related.store import DynamoDBRelatedIndex, create_table

TABLE = "related-packed-test"


@pytest.fixture
def store(aws):
    create_table(TABLE)
    return DynamoDBRelatedIndex(TABLE)


def write_units(item: dict) -> int:
    size = sum(
        len(k) + (len(bytes(v.value)) if hasattr(v, "value") else item_size(v)) for k, v in item.items()
    )
    return -(-size // 1024)


def before_packing(doc: related.DocRecord) -> dict:
    """The item as the store wrote it before the packing."""
    return {
        "pk": f"DOC#{doc.slug}",
        "sk": "DOC",
        "slug": doc.slug,
        "title": doc.title,
        "excerpt": doc.excerpt,
        "published": doc.published,
        "tags": list(doc.tags),
        "tf": json.dumps(doc.tf, separators=(",", ":"), sort_keys=True),
        "terms": " ".join(doc.terms),
        "fingerprint": doc.fingerprint,
        "posted": " ".join(doc.posted),
        "ex": json.dumps(doc.ex, separators=(",", ":"), sort_keys=True),
        **({"emb": doc.emb} if doc.emb else {}),
        **({"exemb": doc.exemb} if doc.exemb else {}),
    }


def test_a_packed_document_reads_back_equal_and_costs_a_fraction_of_the_writes(store):
    memory = related.InMemoryRelatedIndex()
    arts = corpus()
    for a in arts:
        related.update_for_article(memory, a)
    docs = dict(memory.docs)
    embedding = base64.b64encode(bytes(range(256)) + bytes(range(128))).decode()
    docs["football-00"] = related.DocRecord(**{**vars(docs["football-00"]), "emb": embedding})
    for doc in docs.values():
        store.put_doc(doc)
    assert store.get_docs(list(docs)) == docs  # every float and the embedding exact

    packed = store.table.scan()["Items"]
    old, new = (
        sum(write_units(i) for i in items) for items in ([before_packing(d) for d in docs.values()], packed)
    )
    assert new <= old / 2, (new, old)


def test_a_document_stored_before_the_packing_still_reads(store):
    memory = related.InMemoryRelatedIndex()
    for a in corpus()[:12]:
        related.update_for_article(memory, a)
    for doc in memory.docs.values():
        store.table.put_item(Item=before_packing(doc))
    assert store.get_docs(list(memory.docs)) == memory.docs


def test_postings_read_back_equal_and_those_stored_before_the_packing_still_read(store):
    memory = related.InMemoryRelatedIndex()
    for a in corpus()[:12]:
        related.update_for_article(memory, a)
    terms = sorted(memory.postings)
    signed = {"~0:10101": [("football-00", 0.5, "ab" * 32), ("football-01", 0.25, "cd" * 32)]}
    store.put_postings({**{t: memory.postings[t] for t in terms}, **signed})
    assert store.get_postings([*terms, "~0:10101"]) == {**{t: memory.postings[t] for t in terms}, **signed}

    term = terms[0]
    store.table.put_item(  # as the store wrote it before the packing
        Item={
            "pk": f"TERM#{term}",
            "sk": "POSTINGS",
            "p": json.dumps([list(p) for p in memory.postings[term]]),
        }
    )
    assert store.get_postings([term]) == {term: memory.postings[term]}
