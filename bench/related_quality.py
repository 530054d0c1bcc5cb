"""Related posts quality on the BBC corpus: same-category precision@5 of every article's final stored
list after ingesting the articles one by one in file order (incremental), with and without tags.

    .venv/bin/python bench/related_quality.py [--limit N] [--no-tags-only]

The corpus is read in place (copyrighted: never copied into the repo). All articles get the same
published date, so recency is neutral here (file order is grouped by category: a recency bonus on
synthetic dates would be an artefact)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import bbc_rows  # noqa: E402

from newsdrop import related  # noqa: E402
from newsdrop.models import Article, Tag  # noqa: E402

PUBLISHED = datetime(2005, 1, 1, tzinfo=UTC)


def auto_tagger():
    try:
        from newsdrop.tagging import auto_tags
    except ImportError:
        return None
    return auto_tags


def to_article(row: dict, tagger=None) -> Article:
    title, body = row["title"], row["body"]
    tags: list[Tag] = []
    if tagger is not None:
        tags = [t if isinstance(t, Tag) else Tag(key=str(t), label=str(t)) for t in tagger(title, body)]
    return Article(
        slug=row["id"].replace("/", "-"),
        title=title,
        published=PUBLISHED,
        body=body,
        body_format="text",
        excerpt=body[:200],
        word_count=len(body.split()),
        reading_minutes=1,
        auto_tags=tags,
        source_key=f"{row['id']}.txt",
        content_hash=row["id"],
    )


def precision_at_5(index: related.InMemoryRelatedIndex, category: dict[str, str]) -> tuple[float, float]:
    hits = shown = 0
    for slug, cat in category.items():
        entries = index.lists.get(slug, [])
        hits += sum(category[e.slug] == cat for e in entries)
        shown += len(entries)
    return hits / (related.LIST_SIZE * len(category)), shown / len(category)


def run(rows: list[dict], use_tags: bool) -> None:
    tagger = auto_tagger() if use_tags else None
    if use_tags and tagger is None:
        print("tags: newsdrop.tagging.auto_tags not available -> skipped")
        return
    articles = [to_article(r, tagger) for r in rows]
    category = {a.slug: r["category"] for a, r in zip(articles, rows, strict=True)}
    index = related.InMemoryRelatedIndex()
    t0 = time.perf_counter()
    for a in articles:
        related.update_for_article(index, a, use_tags=use_tags)
    elapsed = time.perf_counter() - t0
    p5, avg_len = precision_at_5(index, category)
    n = len(articles)
    print(
        f"tags={'on ' if use_tags else 'off'}  articles={n}  precision@5={p5:.4f}  avg list={avg_len:.2f}  "
        f"items/article read={index.reads / n:.1f} written={index.writes / n:.1f}  "
        f"{1000 * elapsed / n:.1f} ms/article"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int)
    ap.add_argument("--no-tags-only", action="store_true")
    args = ap.parse_args()
    rows = bbc_rows(args.limit)
    run(rows, use_tags=False)
    if not args.no_tags_only:
        run(rows, use_tags=True)


if __name__ == "__main__":
    main()
