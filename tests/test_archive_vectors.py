"""The archive replay's sentence embeddings computed on worker processes: the same vectors, bit for bit, as
the replay computes one article at a time in its own process, so the lists do not depend on the cores."""

from __future__ import annotations

import numpy as np
import pytest
from test_related import make

from newsdrop.archive.vectors import Embedder
from newsdrop.related import semantic, windows
from newsdrop.related.engine import TermStats, doc_from_article


@pytest.fixture
def articles():
    return [make(f"a{i}", topic, i, hours=i) for i, topic in enumerate(["football", "budget", "phones"] * 2)]


def test_worker_processes_give_the_vectors_the_replay_computes_itself(articles, monkeypatch):
    monkeypatch.setattr(semantic, "_known", {})
    with Embedder(workers=2) as embedder:
        from_workers = embedder.vectors(articles)
        assert embedder.workers == 2  # the pool really ran (it falls back to one process where it cannot)
    semantic.model_vector.cache_clear()
    in_process = windows.embeddings(articles)  # what the replay's doc_from_article computes, one by one
    assert from_workers == in_process and len(from_workers) == len(articles)


def test_remembered_vectors_are_what_the_replay_then_uses(articles, monkeypatch):
    monkeypatch.setattr(semantic, "_known", {})
    with Embedder(workers=2) as embedder:
        embedder.remember(articles[:2])
    computed = []
    monkeypatch.setattr(semantic, "model_vector", lambda text: computed.append(text))
    docs = [doc_from_article(a, TermStats()) for a in articles[:2]]
    assert computed == [] and all(d.emb for d in docs)  # the replay ran no model: every vector was known


def test_a_stand_in_for_the_model_stays_in_this_process(articles, monkeypatch):
    monkeypatch.setattr(semantic, "_known", {})
    monkeypatch.setattr(semantic, "vector_source", lambda text: np.ones(384, dtype=np.float32))
    with Embedder(workers=2) as embedder:
        vectors = embedder.vectors(articles[:2])
        assert embedder._pool is None  # a worker would not have the stand-in
    assert set(vectors.values()) == {semantic.pack(np.ones(384, dtype=np.float32))}
    assert windows.embeddings(articles[:2]) == vectors


def test_without_worker_processes_the_vectors_are_computed_here(articles, monkeypatch):
    from newsdrop.archive import vectors as module

    def no_shared_memory(*args, **kwargs):  # what multiprocessing's locks raise on Lambda
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(semantic, "_known", {})
    monkeypatch.setattr(module, "ProcessPoolExecutor", no_shared_memory)
    with Embedder(workers=2) as embedder:
        vectors = embedder.vectors(articles[:2])
        assert embedder.workers == 1
    assert vectors == windows.embeddings(articles[:2]) and len(vectors) == 2


def test_the_replay_takes_the_articles_piece_by_piece_in_order_each_with_its_vectors(articles, monkeypatch):
    monkeypatch.setattr(semantic, "_known", {})
    model = semantic.model_vector
    computed = []
    with Embedder(workers=2) as embedder:
        handle = embedder.submit(articles)
        monkeypatch.setattr(semantic, "model_vector", lambda text: computed.append(text))  # here only
        pieces = list(embedder.in_order(handle))
        found = [windows.embeddings(piece) for piece in pieces]  # what the replay reads, piece by piece
    assert computed == []  # each piece's vectors were remembered before the piece was given
    assert len(pieces) > 1  # the replay starts before the last piece's vectors are there
    assert [a for piece in pieces for a in piece] == articles  # in the replay's order, each once
    monkeypatch.setattr(semantic, "model_vector", model)
    model.cache_clear()
    monkeypatch.setattr(semantic, "_known", {})
    assert {k: v for f in found for k, v in f.items()} == windows.embeddings(articles)
