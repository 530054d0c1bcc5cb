"""Archive import: a newsroom moves its back catalogue into the drop bucket. Every article is back-dated,
so it must be stored, published and related, and nobody may be emailed.

Drops N BBC articles (read in place from ../shared/data, never copied) with dates spread over 2005, in
shuffled order, all at once (a burst, as `aws s3 sync` makes one), with M subscribers following
everything, through the real handlers on template.yaml in moto (the template's own
RelatedRebuildDelaySeconds: the debounce is part of what is measured). Prints emails sent, articles
published, whether every related list equals a clean reindex, how many canonical rebuilds ran and what
they cost, the wall time and DynamoDB items per article.

    .venv/bin/python bench/archive_import.py [--articles 2000] [--subscribers 1000] [--seed 7]
    .venv/bin/python bench/archive_import.py --smoke     (30 articles, 50 subscribers: for CI)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BBC, DynamoDBCounter, bbc_rows  # noqa: E402

YEAR_START = datetime(2005, 1, 1, 6, 0, tzinfo=UTC)


def archive(n: int, seed: int) -> list[tuple[str, bytes]]:
    """(file name, Markdown bytes) for n articles dated evenly over 2005, in shuffled order."""
    if BBC.exists():
        rows = bbc_rows(n)
    else:  # a fresh clone without the corpus still runs (synthetic text, same shape)
        rows = [
            {"id": f"synthetic/{i:04d}", "category": "archive", "title": f"Archive story {i}",
             "body": f"Story {i} about topic {i % 17}. " + "council budget harbour election " * 40}
            for i in range(n)
        ]  # fmt: skip
    step = timedelta(days=365) / max(len(rows), 1)
    docs = []
    for i, row in enumerate(rows):
        date = (YEAR_START + step * i).strftime("%Y-%m-%dT%H:%M:%SZ")
        front = f"---\ntitle: {json.dumps(row['title'])}\ndate: {date}\ntags: [{row['category']}]\n---\n\n"
        docs.append((f"archive/{row['id'].replace('/', '-')}.md", (front + row["body"]).encode()))
    random.Random(seed).shuffle(docs)
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="the smallest size (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.articles, args.subscribers = 30, 50

    from newsdrop.ingest.store import ArticleStore
    from newsdrop.local.audience import prepare_mail, seed_subscribers
    from newsdrop.local.dispatch import Dispatcher
    from newsdrop.local.mail import sent_messages
    from newsdrop.local.pipeline import embedded_aws
    from newsdrop.local.stack import LocalStack
    from newsdrop.related.engine import InMemoryRelatedIndex, reindex_all, related_for
    from newsdrop.related.store import DynamoDBRelatedIndex

    docs = archive(args.articles, args.seed)
    with embedded_aws():
        stack = LocalStack(
            env_overrides={"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}
        )
        stack.deploy()
        prepare_mail(stack)
        seed_subscribers(stack, str(args.subscribers))
        counter = DynamoDBCounter()  # before the handlers' clients exist: counts the functions' calls only
        dispatcher = Dispatcher(stack)

        rebuild_seconds: list[float] = []  # rebuilds that ran (a deferred request is not one)
        rebuild = stack.functions["RebuildFunction"]
        real_invoke = rebuild.invoke

        def timed_invoke(event):
            started = time.perf_counter()
            result = real_invoke(event)
            if result.get("ran"):
                rebuild_seconds.append(time.perf_counter() - started)
            return result

        rebuild.invoke = timed_invoke

        s3, bucket = stack.client("s3"), stack.output("DropBucketName")
        started = time.perf_counter()
        for name, body in docs:  # the burst: every file lands before the first is processed
            s3.put_object(Bucket=bucket, Key=f"incoming/{name}", Body=body)
        dispatcher.pump()
        elapsed = time.perf_counter() - started

        ddb = stack.session.resource("dynamodb")
        store = ArticleStore(stack.resource("ArticlesTable"), ddb)
        stored = list(store.iter_articles())
        states: dict[str, int] = {}
        for article in stored:
            states[article.state] = states.get(article.state, 0) + 1
        emails = len(sent_messages(stack))

        checked = time.perf_counter()
        public = [a for a in stored if a.state == "published"]
        clean = InMemoryRelatedIndex()
        reindex_all(clean, public)
        live = DynamoDBRelatedIndex(stack.resource("RelatedTable"), ddb)
        differ = [
            a.slug
            for a in public
            if [(e.slug, e.score) for e in related_for(live, a.slug)]
            != [(e.slug, e.score) for e in related_for(clean, a.slug)]
        ]
        check_seconds = time.perf_counter() - checked

    n = len(docs)
    print(f"corpus: {'BBC ' + str(BBC) if BBC.exists() else 'synthetic'}; {n} articles dated over 2005, "
          f"shuffled (seed {args.seed}), dropped as one burst; {args.subscribers} subscribers following everything")  # fmt: skip
    print(f"emails sent: {emails}")
    print(f"articles published: {states.get('published', 0)} of {n} (states: {states})")
    print(f"related lists equal to a clean reindex: {len(public) - len(differ)}/{len(public)}"
          + (f" (differ: {differ[:5]})" if differ else ""))  # fmt: skip
    print(f"canonical rebuilds: {len(rebuild_seconds)} "
          f"({', '.join(f'{s:.1f} s' for s in rebuild_seconds) or 'none'} on moto)")  # fmt: skip
    print(f"time: {elapsed:.1f} s for the import through the handlers ({1000 * elapsed / n:.0f} ms per article, "
          f"moto in-process, this machine); the list check took {check_seconds:.1f} s more")  # fmt: skip
    print(f"DynamoDB per article (every function, rebuild included): {counter.reads / n:.1f} items read, "
          f"{counter.writes / n:.1f} written")  # fmt: skip
    print(f"invocations: {dict(sorted(dispatcher.stats.by_function.items()))}")
    print(f"DynamoDB calls: {dict(counter.calls)}")


if __name__ == "__main__":
    main()
