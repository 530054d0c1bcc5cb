"""Related posts quality on the BBC corpus: same-category precision@5 of every article's final stored
list after ingesting the articles one at a time in file order (incremental), with and without tags.

    .venv/bin/python bench/related_quality.py [--limit N]              # default: the real handlers on moto
    .venv/bin/python bench/related_quality.py --in-memory [--limit N]  # fast, for tuning

Default mode: ``template.yaml`` deployed into in-process moto (``LocalStack``); each article is put as
Markdown with YAML front matter under ``incoming/`` in the drop bucket and ``Dispatcher.pump()`` drives
the ingest function (S3 event) and the related function (DynamoDB stream) exactly as the template wires
them, one article at a time. The lists are then read back from the related table (what the page reads)
and mapped to BBC categories through each stored article's ``source_key``. That run scores with tags (the
handler always uses them); the no-tags figure comes from the in-memory mode, run in the same process on
the same articles, which also reports how many lists are identical to the moto run's.

``--in-memory`` builds each article with the ingest's own code (``parse_article`` + ``build_article``:
the same plain text, excerpt and real auto tags from ``newsdrop.ingest.tagging``) from the same bytes, and feeds
it to ``related.update_for_article`` on ``InMemoryRelatedIndex``.

Dates are 2005-01-01 plus i SECONDS in file order, so ordering is file order while the recency bonus stays
neutral (file order is grouped by category: a recency bonus that favoured neighbours in the file would
be an artefact). The corpus is read in place (copyrighted: never copied into the repo)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import bbc_rows  # noqa: E402

from newsdrop.models import Article, RelatedEntry, Tag  # noqa: E402
from newsdrop.related import engine as related  # noqa: E402

START = datetime(2005, 1, 1, tzinfo=UTC)
PIPELINE = {"IngestFunction", "RelatedFunction"}
ENV = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}


def object_key(row: dict) -> str:
    return f"incoming/bbc-{row['id'].replace('/', '-')}.md"


def markdown(row: dict, i: int) -> bytes:
    date = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"---\ntitle: {json.dumps(row['title'])}\ndate: {date}\n---\n{row['body']}\n".encode()


def auto_tagger():
    """Kept for bench/related_cost.py: ``newsdrop.ingest.tagging.auto_tags`` (None if absent)."""
    try:
        from newsdrop.ingest.tagging import auto_tags
    except ImportError:
        return None
    return auto_tags


def to_article(row: dict, tagger=None) -> Article:
    """A plain-text article straight from a row (bench/related_cost.py's fast path)."""
    title, body = row["title"], row["body"]
    tags: list[Tag] = list(tagger(title, body)) if tagger is not None else []
    return Article(
        slug=row["id"].replace("/", "-"),
        title=title,
        published=START,
        body=body,
        body_format="text",
        excerpt=body[:200],
        word_count=len(body.split()),
        reading_minutes=1,
        auto_tags=tags,
        source_key=f"{row['id']}.txt",
        content_hash=row["id"],
    )


def ingest_articles(rows: list[dict]) -> list[Article]:
    """What the ingest handler would store for each row, built with its own code (slugs included)."""
    from newsdrop.ingest.ingestor import build_article
    from newsdrop.ingest.parsing import parse_article
    from newsdrop.ingest.text import slugify

    taken: set[str] = set()
    out = []
    for i, row in enumerate(rows):
        key = object_key(row)
        draft = parse_article(markdown(row, i), key)
        base = slugify(draft.title)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        out.append(build_article(draft, slug=slug, source_key=key, previous=None, now=START))
    return out


def precision(lists: dict[str, list[RelatedEntry]], category: dict[str, str]) -> tuple[float, float, float]:
    """precision@5 (an empty slot counts as a miss), average list length, share of empty lists."""
    hits = shown = empty = 0
    for slug, cat in category.items():
        entries = lists.get(slug, [])
        hits += sum(category.get(e.slug) == cat for e in entries)
        shown += len(entries)
        empty += not entries
    n = len(category)
    return hits / (related.LIST_SIZE * n), shown / n, empty / n


def report(label: str, lists, category, seconds: float, extra: str = "") -> None:
    p5, avg_len, empty = precision(lists, category)
    n = len(category)
    print(
        f"{label:<26} articles={n}  precision@5={p5:.4f}  avg list={avg_len:.2f}  empty={100 * empty:.1f}%  "
        f"{seconds:.0f} s ({1000 * seconds / n:.1f} ms/article){extra}",
        flush=True,
    )


def run_in_memory(
    articles: list[Article], use_tags: bool
) -> tuple[dict, float, related.InMemoryRelatedIndex]:
    index = related.InMemoryRelatedIndex()
    t0 = time.perf_counter()
    for a in articles:
        related.update_for_article(index, a, use_tags=use_tags)
    return dict(index.lists), time.perf_counter() - t0, index


def in_memory(rows: list[dict], articles: list[Article], tags: tuple[bool, ...] = (False, True)) -> dict:
    category = {a.slug: r["category"] for a, r in zip(articles, rows, strict=True)}
    results = {}
    n = len(articles)
    for use_tags in tags:
        lists, seconds, index = run_in_memory(articles, use_tags)
        cost = f"  items/article read={index.reads / n:.1f} written={index.writes / n:.1f}"
        report(f"in-memory tags={'on' if use_tags else 'off'}", lists, category, seconds, cost)
        results[use_tags] = lists
    return results


def through_handlers(
    rows: list[dict], notifications: bool = False
) -> tuple[dict[str, list[RelatedEntry]], dict[str, str], float]:
    """Every article through the real ingest and related handlers on moto, one at a time."""
    from newsdrop.ingest.store import ArticleStore
    from newsdrop.local.dispatch import Dispatcher
    from newsdrop.local.pipeline import embedded_aws
    from newsdrop.local.stack import LocalStack
    from newsdrop.related.store import DynamoDBRelatedIndex

    key_category = {object_key(r): r["category"] for r in rows}
    with embedded_aws():
        stack = LocalStack(ROOT, env_overrides=ENV).deploy()
        if not notifications:  # the notify -> fanout chain: ~85 invocations per article, unrelated here
            for source in stack.event_sources:
                if source.function not in PIPELINE:
                    source.props["Enabled"] = False
        dispatcher = Dispatcher(stack)
        s3 = stack.client("s3")
        bucket = stack.output("DropBucketName")
        t0 = time.perf_counter()
        for i, row in enumerate(rows):
            s3.put_object(Bucket=bucket, Key=object_key(row), Body=markdown(row, i))
            dispatcher.pump()
            if (i + 1) % 250 == 0:
                rate = (time.perf_counter() - t0) / (i + 1)
                print(
                    f"  ... {i + 1}/{len(rows)} ({1000 * rate:.0f} ms/article)", file=sys.stderr, flush=True
                )
        seconds = time.perf_counter() - t0
        dynamodb = stack.session.resource("dynamodb")
        store = ArticleStore(stack.resource("ArticlesTable"), dynamodb)
        category = {a.slug: key_category[a.source_key] for a in store.iter_articles()}
        index = DynamoDBRelatedIndex(stack.resource("RelatedTable"), dynamodb)
        lists = {slug: index.related_for(slug) for slug in category}
        print(f"  dispatcher: {dispatcher.stats}", file=sys.stderr)
    return lists, category, seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int)
    ap.add_argument("--in-memory", action="store_true", help="skip moto: the fast tuning mode")
    ap.add_argument("--smoke", action="store_true", help="40 articles through the handlers (CI)")
    ap.add_argument(
        "--with-notifications", action="store_true", help="also drive the notify/fanout functions (slow)"
    )
    args = ap.parse_args()
    if args.smoke:
        args.limit = 40
    rows = bbc_rows(args.limit)
    articles = ingest_articles(rows)
    if args.in_memory:
        in_memory(rows, articles)
        return
    lists, category, seconds = through_handlers(rows, args.with_notifications)
    report("handlers on moto tags=on", lists, category, seconds)
    mem = in_memory(rows, articles)
    same = sum(mem[True].get(a.slug, []) == lists.get(a.slug, []) for a in articles)
    print(f"in-memory tags=on lists identical to the moto run's: {same}/{len(articles)}")
    print("(tags=off: in-memory only; the handler always scores with tags)")


if __name__ == "__main__":
    main()
