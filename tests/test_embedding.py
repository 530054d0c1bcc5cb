"""The sentence embeddings of related posts: all-MiniLM-L6-v2 run in numpy gives what sentence-transformers
gives, and what the engine stores of it keeps the cosines."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_related import make

from newsdrop.models import Article
from newsdrop.related import engine as related
from newsdrop.related import semantic
from newsdrop.related.embedding import MAX_TOKENS, MODEL_SHA256, _sha256, default_model, model_dir

# sentence-transformers' quickstart (sbert.net, "Quickstart"), all-MiniLM-L6-v2: model.similarity prints
# tensor([[1.0000, 0.6660, 0.1046], [0.6660, 1.0000, 0.1411], [0.1046, 0.1411, 1.0000]])
QUICKSTART = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
REFERENCE = {(0, 1): 0.6660, (0, 2): 0.1046, (1, 2): 0.1411}


@pytest.fixture(scope="module")
def model():
    return default_model()


def test_the_model_files_are_the_pinned_ones():
    assert _sha256(model_dir() / "model.safetensors") == MODEL_SHA256


def test_similarities_match_sentence_transformers_reference(model):
    vectors = model.embed(QUICKSTART)
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    sims = vectors @ vectors.T
    for (i, j), expected in REFERENCE.items():
        assert abs(sims[i, j] - expected) < 1e-3, (i, j, sims[i, j])


def test_batched_equals_one_at_a_time(model):
    texts = [*QUICKSTART, "A much longer sentence about the markets, " * 10, "Short."]
    batched = model.embed(texts, batch_size=8)
    alone = np.stack([model.embed([t])[0] for t in texts])
    assert np.abs(batched - alone).max() < 1e-5


def test_long_text_is_truncated_at_the_models_window(model):
    long = "word " * 1000
    assert len(model.token_ids(long)) == MAX_TOKENS
    assert len(model.token_ids(long, truncate=False)) > MAX_TOKENS
    assert np.allclose(model.embed([long])[0], model.embed([long + " and more at the end"])[0], atol=1e-6)


def test_packed_vectors_keep_the_cosines(model):
    vectors = model.embed(QUICKSTART)
    packed = [semantic.pack(v) for v in vectors]
    assert all(len(p) == 512 for p in packed)  # 384 int8, base64
    cos = semantic.cosines(packed[0], {"b": packed[1], "c": packed[2]})
    assert abs(cos["b"] - float(vectors[0] @ vectors[1])) < 2e-3
    assert abs(cos["c"] - float(vectors[0] @ vectors[2])) < 2e-3


FLOODS = {
    "flood-a": (
        "Heavy rain floods homes across the county",
        "Rivers burst their banks overnight and residents were evacuated from flooded streets.",
    ),
    "budget": (
        "Chancellor raises tax in budget",
        "The treasury announced higher borrowing and a new levy on pensions.",
    ),
    "phones": ("Smartphone sales slow as prices climb", "Handset makers shipped fewer phones this quarter."),
    "flood-b": (
        "Storm deluge leaves towns under water",
        "Torrential downpours swamped houses; emergency crews rescued families by boat.",
    ),
}


def flood_articles() -> list[Article]:
    """Two reports of one flood that share no word (once stemmed and stop words gone), and two others."""
    return [
        replace(make(slug, "budget", seed=i, hours=i), title=title, body=body, excerpt=body[:80])
        for i, (slug, (title, body)) in enumerate(FLOODS.items())
    ]


@pytest.mark.parametrize("semantic_weight", [related.SEMANTIC_WEIGHT, 0.0])
def test_two_reports_in_other_words_are_related_through_their_meaning(monkeypatch, semantic_weight):
    monkeypatch.setattr(related, "SEMANTIC_WEIGHT", semantic_weight)
    index = related.InMemoryRelatedIndex()
    for article in flood_articles():
        related.update_for_article(index, article)
    lists = {slug: [e.slug for e in related.related_for(index, slug)] for slug in FLOODS}
    if semantic_weight:  # found through the embedding buckets, admitted on meaning, offered back
        assert lists == {"flood-a": ["flood-b"], "budget": [], "phones": [], "flood-b": ["flood-a"]}
    else:  # the words alone: nothing in common, so no list at all (never filler)
        assert lists == {slug: [] for slug in FLOODS}


def test_buckets_are_fixed_and_a_query_reads_its_own(model):
    weather, sunny, _ = (semantic.pack(v) for v in model.embed(QUICKSTART))
    own = semantic.buckets(weather)
    assert len(own) == semantic.BUCKET_TABLES and all(k.startswith("~") for k in own)
    assert own == semantic.buckets(weather)  # fixed hyperplanes: a reindex files it where it was
    probes = semantic.probes(weather)
    assert len(probes) == 2 * semantic.BUCKET_TABLES and set(own) <= set(probes)


def test_the_bucket_pool_is_ranked_by_closeness_not_by_buckets_shared(model):
    """A query's probed buckets hold far more articles than it reads: the ones it takes are those whose
    signatures (stored in the bucket entries) are nearest its own, and an entry filed before signatures
    existed comes last."""
    weather, sunny, stadium = (semantic.pack(v) for v in model.embed(QUICKSTART))
    probes = semantic.probes(weather)
    # "stadium" shares every probed bucket, "sunny" only one: closeness decides, not the count
    postings = {t: [("stadium", 0.1, semantic.signature(stadium))] for t in probes}
    postings[probes[0]].append(("sunny", 0.1, semantic.signature(sunny)))
    postings[probes[1]].append(("old", 0.1))  # no signature: ranks after every signed entry
    assert semantic.bucket_neighbours(postings, probes, weather, "q", set(), 3) == ["sunny", "stadium", "old"]
    assert semantic.bucket_neighbours(postings, probes, weather, "q", {"sunny"}, 1) == ["stadium"]
    # the signature's bits agree in proportion to the vectors' angle
    bits = semantic.SIGNATURE_BITS
    sig = {name: int(semantic.signature(p), 16) for name, p in [("w", weather), ("s", sunny), ("d", stadium)]}
    assert (sig["w"] ^ sig["s"]).bit_count() < (sig["w"] ^ sig["d"]).bit_count() <= bits


def test_two_articles_whose_neighbours_mean_the_same_are_closer_expanded():
    """The stored expanded vector (``semantic.expanded``) pulls an article toward its neighbours' meaning:
    two articles far apart on their own, with neighbours alike, score closer expanded than plain; with no
    neighbours it is the article's own vector."""
    rng = np.random.default_rng(7)
    a, b, shared = (semantic.pack(v) for v in rng.standard_normal((3, 384)))
    near = [semantic.pack(semantic.unpack(shared) + 0.1 * rng.standard_normal(384)) for _ in range(3)]
    plain = semantic.cosines(a, {"b": b})["b"]
    ea, eb = semantic.expanded(a, near, None), semantic.expanded(b, near, None)
    assert semantic.expanded_cosines(ea, {"b": eb})["b"] > plain + 0.3
    alone = semantic.expanded(a, [], None)
    assert semantic.expanded_cosines(alone, {"a": a})["a"] == pytest.approx(1.0, abs=1e-3)
