"""The windowed reindex (newsdrop.related.windows): its statistics are the exact replay's at every window
start, its folds and fits fall where the replay's do, and with one window it is the replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import bbc_articles

from newsdrop.models import Article, Tag
from newsdrop.related import engine, windows
from newsdrop.related.store import canonical_items

N = 330


@pytest.fixture(scope="module")
def replayed():
    """N BBC articles replayed exactly, with the snapshot after every fold; fits read 60 articles (not
    3,000), so that both ways a seed reaches a fit happen within N."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "SEMANTIC_WEIGHT", 0.0)  # the lexical replay: the moto test covers the rest
        mp.setattr(engine, "TOPIC_FIT_DOCS", 60)
        start = datetime(2005, 1, 1, tzinfo=UTC)
        articles = [
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
            for i, row in enumerate(bbc_articles(N))
        ]
        index = engine.InMemoryRelatedIndex()
        snapshots: dict[int, engine.TermStats] = {}  # fold position -> the snapshot after that fold
        for i, article in enumerate(articles):
            before = index.head.version
            engine.update_for_article(index, article)
            if index.head.version != before:
                snapshots[i] = index.stats[index.head.version]
        yield articles, index, snapshots, mp


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
