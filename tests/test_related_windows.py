"""The windowed reindex (newsdrop.related.windows): its statistics are the exact replay's at every window
start, its folds and fits fall where the replay's do, and with one window it is the replay."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from conftest import bbc_articles

from newsdrop.models import Article, Tag
from newsdrop.related import engine, semantic, windows
from newsdrop.related.store import canonical_items

N = 330
SEMANTIC_WEIGHT = engine.SEMANTIC_WEIGHT  # as shipped (the module's fixture turns it off)


@pytest.fixture(scope="module")
def replayed():
    """N BBC articles replayed exactly, with the snapshot after every fold; fits read 60 articles (not
    3,000), so that both ways a seed reaches a fit happen within N."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "SEMANTIC_WEIGHT", 0.0)  # the lexical replay: the moto test covers the rest
        mp.setattr(engine, "TOPIC_FIT_DOCS", 60)
        articles = bbc(N)
        index = engine.InMemoryRelatedIndex()
        snapshots: dict[int, engine.TermStats] = {}  # fold position -> the snapshot after that fold
        for i, article in enumerate(articles):
            before = index.head.version
            engine.update_for_article(index, article)
            if index.head.version != before:
                snapshots[i] = index.stats[index.head.version]
        yield articles, index, snapshots, mp


def bbc(n: int) -> list[Article]:
    start = datetime(2005, 1, 1, tzinfo=UTC)
    return [
        Article(
            slug=f"bbc-{i:04d}",
            title=row["title"],
            published=start + timedelta(hours=i),
            body=row["body"],
            body_format="text",
            excerpt=row["body"][:200],
            word_count=len(row["body"].split()),
            reading_minutes=1,
            editor_tags=[Tag(key=row["category"], label=row["category"])],
            source_key=f"bbc-{i:04d}.json",
            content_hash=f"{i}",
        )
        for i, row in enumerate(bbc_articles(n))
    ]


def test_folds_and_fits_fall_where_the_replay_makes_them(replayed):
    _, _, snapshots, _ = replayed
    folds = windows.fold_positions(N)
    assert folds[1:] == sorted(snapshots)
    fits = sorted({s.topics_fit for s in snapshots.values() if s.topics_fit})
    assert windows.fit_positions(folds) == fits and len(fits) >= 2


@pytest.mark.parametrize("target", [1, 120, 250, 320])
def test_a_window_starts_from_the_replays_exact_statistics(replayed, target):
    """At 250 the seed's walk passes the last fit; at 320 that fit is further back than the 60 articles
    a fit reads, and is rebuilt by a walk of its own."""
    articles, _, snapshots, _ = replayed
    p = max(f for f in windows.fold_positions(N) if f <= target)
    stats, docs = windows.seed(windows.in_memory_source(articles), p)
    assert stats == snapshots[p]  # version, N, every DF, the topic model, the recent articles
    assert sorted(docs) == sorted(snapshots[p].recent)


def test_one_window_is_the_replay_and_more_keep_statistics_and_postings_exact(replayed):
    """Only the lists may differ with more windows: bench/archive_windows.py measures by how much."""
    articles, index, _, _ = replayed
    assert canonical_items(windows.windowed_reindex(articles, size=N)) == canonical_items(index)
    windowed = windows.windowed_reindex(articles, size=100, warmup=40)
    assert windowed.postings == index.postings
    assert windowed.stats[windowed.head.version] == index.stats[index.head.version]
    assert {s: d.tf for s, d in windowed.docs.items()} == {s: d.tf for s, d in index.docs.items()}


def _word_vectors(text: str) -> np.ndarray:
    """A stand-in for the model: a fixed random vector a word, summed (topical, and quick)."""
    acc = np.zeros(384, dtype=np.float32)
    for word in text.split():
        acc += np.random.default_rng(zlib.crc32(word.encode())).standard_normal(384).astype(np.float32)
    return acc / (np.linalg.norm(acc) or 1.0)


def test_a_window_starts_from_the_replays_centre_of_the_embeddings(monkeypatch):
    """The centred cosine's centre (the folded articles' summed embeddings, rounded at each fold) is the
    replay's at every window start, so the windows gate and rank pairs on the same centre."""
    monkeypatch.setattr(engine, "SEMANTIC_WEIGHT", SEMANTIC_WEIGHT)
    monkeypatch.setattr(semantic, "vector_source", _word_vectors)
    monkeypatch.setattr(semantic, "_known", {})
    monkeypatch.setattr(engine, "TOPIC_FIT_DOCS", 60)
    articles = bbc(80)
    index = engine.InMemoryRelatedIndex()
    snapshots: dict[int, engine.TermStats] = {}
    for i, article in enumerate(articles):
        before = index.head.version
        engine.update_for_article(index, article)
        if index.head.version != before:
            snapshots[i] = index.stats[index.head.version]
    source = windows.in_memory_source(articles)
    for p in windows.fold_positions(len(articles))[1:]:
        stats, _ = windows.seed(source, p)
        assert stats.centre_n == snapshots[p].centre_n == p and stats.centre_sum == snapshots[p].centre_sum
        assert stats == snapshots[p]
    windowed = windows.windowed_reindex(articles, size=50, warmup=30)
    assert windowed.stats[windowed.head.version] == index.stats[index.head.version]
