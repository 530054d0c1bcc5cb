"""Related posts quality on any {id, category, title, body} JSONL corpus: same-category precision@5 of
every article's final stored list after ingesting the articles one at a time (incremental), next to
peers computed on the same articles in the same run.

    .venv/bin/python bench/related_quality.py [--corpus PATH] [--order file|shuffle] [--seed N]
                                              [--in-memory] [--limit N] [--smoke]
                                              [--set NAME=VALUE ...] [--no-peers] [--recall]

``--corpus`` defaults to ../shared/data/bbc-news.jsonl (read in place: third-party text, never copied into
the repo); ``../shared/data/20news-train.jsonl`` is the second visible corpus. ``--order shuffle --seed N``
ingests in a seeded random order (``--limit`` then keeps the first N of that order, so a subset mixes the
categories); ``file`` keeps the file's order.

Default mode: ``template.yaml`` deployed into in-process moto (``LocalStack``); each article is put as
Markdown with YAML front matter under ``incoming/`` in the drop bucket and ``Dispatcher.pump()`` drives the
ingest function (S3 event) and the related function (DynamoDB stream) exactly as the template wires them,
one article at a time; the lists are read back from the related table and compared with the in-memory
run's. ``--in-memory`` skips moto: each article is built with the ingest's own code (``parse_article`` +
``build_article``: the same plain text, excerpt and real auto tags) from the same bytes and fed to
``related.update_for_article`` on ``InMemoryRelatedIndex`` (the tests hold that this gives the same lists).

Peers, batch (they see the whole corpus at once, which the incremental path never does), on the same
title + plain text, top 5 by cosine, no threshold:

- random: 5 other articles drawn with the seed;
- TF-IDF cosine (scikit-learn ``TfidfVectorizer``, English stop words, sublinear tf);
- the same with the title repeated 3 times;
- LSA-100: truncated SVD of that TF-IDF matrix to 100 dimensions, cosine.

scikit-learn is the bench's own optional dependency (``pip install -e '.[bench]'``); without it the peers
are skipped with a note. Dates are 2005-01-01 plus i seconds in ingest order, so the recency bonus stays
neutral. The last line printed is ``P@5 <value>`` for Newsdrop (incremental, tags on).

Tuning: ``--set CANDIDATES=60`` (repeatable) runs the engine with a constant changed, and ``--no-peers``
skips the peers, so one change is measured in minutes with the same articles and path as the table.

``--recall`` (in memory) also prints the semantic index's recall: of each article's 5 nearest neighbours by
the engine's centred cosine among all the indexed articles (brute force, at the end of the run), how many
its probed buckets hand it as candidates.

Diagnosis: ``--hindsight-topics`` (in memory) first runs the articles without topics, fits the topic model
on all of them with the engine's code, and then runs them again with every fit returning that model: the
lists as they would be if the model had seen every subject from the start. No product path can do this;
it tells a narrow model apart from everything else."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from common import BBC, add_engine_settings, apply_engine_settings  # noqa: E402

from newsdrop.models import Article, RelatedEntry, Tag  # noqa: E402
from newsdrop.related import engine as related  # noqa: E402

START = datetime(2005, 1, 1, tzinfo=UTC)
PIPELINE = {"IngestFunction", "RelatedFunction"}
ENV = {"POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true"}
SMOKE_LIMIT = 40


def read_corpus(
    path: Path, order: str = "file", seed: int = 0, limit: int | None = None, sample: int | None = None
) -> list[dict]:
    """The corpus rows in ingest order (read in place). ``sample``: only the first N of the seed-0
    shuffle, kept in file order, so that every order and seed runs on the same articles."""
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if sample:
        keep = list(range(len(rows)))
        random.Random(0).shuffle(keep)
        rows = [rows[i] for i in sorted(keep[:sample])]
    if order == "shuffle":
        random.Random(seed).shuffle(rows)
    return rows[:limit] if limit else rows


def object_key(row: dict) -> str:
    return "incoming/" + "".join(ch if ch.isalnum() else "-" for ch in row["id"]) + ".md"


def markdown(row: dict, i: int) -> bytes:
    date = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    title = row["title"].strip() or "(untitled)"
    return f"---\ntitle: {json.dumps(title)}\ndate: {date}\n---\n{row['body']}\n".encode()


def auto_tagger():
    """``newsdrop.ingest.tagging.auto_tags`` (bench/related_cost.py tags every article with it)."""
    from newsdrop.ingest.tagging import auto_tags

    return auto_tags


def to_article(row: dict, tagger=None) -> Article:
    """A plain-text article straight from a row (bench/related_cost.py's fast path)."""
    title, body = row["title"], row["body"]
    tags: list[Tag] = list(tagger(title, body)) if tagger is not None else []
    return Article(
        slug=row["id"].replace("/", "-").replace(".", "-"),
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


def accepted(rows: list[dict]) -> list[dict]:
    """The rows the ingest accepts (a post with no body or control characters is quarantined there)."""
    from newsdrop.ingest.parsing import parse_article
    from newsdrop.models import RejectedInput

    out = []
    for i, row in enumerate(rows):
        try:
            parse_article(markdown(row, i), object_key(row))
        except RejectedInput:
            continue
        out.append(row)
    return out


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


def precision(lists: dict[str, list], category: dict[str, str]) -> tuple[float, float, float]:
    """precision@5 (an empty slot counts as a miss), mean list length, share of empty lists.

    ``lists`` maps a slug to its related entries (RelatedEntry or plain slugs)."""
    hits = shown = empty = 0
    for slug, cat in category.items():
        entries = [getattr(e, "slug", e) for e in lists.get(slug, [])][: related.LIST_SIZE]
        hits += sum(category.get(e) == cat for e in entries)
        shown += len(entries)
        empty += not entries
    n = len(category) or 1
    return hits / (related.LIST_SIZE * n), shown / n, empty / n


def report(label: str, lists, category, seconds: float | None = None, extra: str = "") -> float:
    p5, avg_len, empty = precision(lists, category)
    n = len(category)
    timing = f"  {seconds:.0f} s ({1000 * seconds / n:.1f} ms/article)" if seconds is not None else ""
    print(
        f"{label:<28} articles={n}  P@5={p5:.4f}  mean list={avg_len:.2f}  empty={100 * empty:.1f}%"
        f"{timing}{extra}",
        flush=True,
    )
    return p5


def run_in_memory(
    articles: list[Article], use_tags: bool = True
) -> tuple[dict, float, related.InMemoryRelatedIndex]:
    index = related.InMemoryRelatedIndex()
    t0 = time.perf_counter()
    for a in articles:
        related.update_for_article(index, a, use_tags=use_tags)
    return dict(index.lists), time.perf_counter() - t0, index


def semantic_recall(index: related.InMemoryRelatedIndex, limit: int = 1000) -> None:
    """How many of each article's 5 nearest neighbours by the engine's centred cosine (brute force over
    every indexed article) the semantic index hands it (``SEMANTIC_CANDIDATES`` from its probed buckets),
    at the end of the run, for the first ``limit`` articles; and the bucket items each article reads and
    writes."""
    import numpy as np

    from newsdrop.related import semantic

    stats = related.current_stats(index)
    docs = [d for d in index.docs.values() if d.emb]
    if len(docs) < 6:
        return
    slugs = [d.slug for d in docs]
    vectors = np.stack([semantic.unpack(d.emb) for d in docs])
    centre = semantic._centre(stats)
    if centre is not None:
        vectors = vectors - centre
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    found = 0
    queries = docs[:limit]
    for i, doc in enumerate(queries):
        sims = vectors @ vectors[i]
        sims[i] = -np.inf
        truth = {slugs[j] for j in np.argpartition(-sims, 5)[:5]}
        probes = semantic.probes(doc.emb)
        plists = {t: index.postings.get(t, []) for t in probes}
        got = semantic.bucket_neighbours(
            plists, probes, doc.emb, doc.slug, set(), related.SEMANTIC_CANDIDATES
        )
        found += len(truth & set(got))
    print(
        f"semantic index: recall@5 {found / (5 * len(queries)):.3f} of the centred-cosine 5 nearest among "
        f"{len(docs)} articles ({len(queries)} queries, {related.SEMANTIC_CANDIDATES} candidates from "
        f"{len(semantic.probes(docs[0].emb))} buckets read, {len(semantic.buckets(docs[0].emb))} written per article)",
        flush=True,
    )


def by_arrival(articles: list[Article], lists: dict, category: dict[str, str]) -> None:
    """P@5 of each tenth of the articles in arrival order, and how many of their entries arrived after
    them: whether early articles' lists miss the neighbours that came later (they are only offered)."""
    position = {a.slug: i for i, a in enumerate(articles)}
    n = len(articles)
    for tenth in range(10):
        part = articles[tenth * n // 10 : (tenth + 1) * n // 10]
        own = {a.slug: [getattr(e, "slug", e) for e in lists.get(a.slug, [])] for a in part}
        later = sum(position[e] > position[s] for s, entries in own.items() for e in entries)
        hits = sum(
            category[e] == category[s] for s, entries in own.items() for e in entries[: related.LIST_SIZE]
        )
        p5 = hits / (related.LIST_SIZE * max(1, len(part)))
        print(
            f"arrivals {10 * tenth:>2}-{10 * tenth + 10:>3}%: P@5 {p5:.4f}, "
            f"{later / max(1, len(part)):.2f} entries a list from later arrivals",
            flush=True,
        )


def hindsight_topics(articles: list[Article]) -> None:
    """From the first fit on, every fit returns the model of all the articles of the run (fitted by the
    engine's own ``fit_topics``; a fold reads only the last ``TOPIC_FIT_DOCS``: in a sorted file, the last
    sections only)."""
    index = related.InMemoryRelatedIndex()
    first_fit, related.TOPIC_FIRST_FIT = related.TOPIC_FIRST_FIT, 10**9
    try:
        for a in articles:
            related.update_for_article(index, a)
    finally:
        related.TOPIC_FIRST_FIT = first_fit
    stats = related.current_stats(index)
    docs = [index.docs[a.slug] for a in articles if a.slug in index.docs]
    model = related.fit_topics([related._unigram_vector(d.tf, stats) for d in docs])
    related.fit_topics = lambda vectors: model


# --- peers ------------------------------------------------------------------------------------------------
def _top_k(matrix, k: int) -> list[list[int]]:
    """Row-wise top-k cosine neighbours of L2-normalised rows (self excluded), in chunks."""
    import numpy as np

    n = matrix.shape[0]
    out: list[list[int]] = []
    for start in range(0, n, 500):
        block = matrix[start : start + 500] @ matrix.T
        block = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
        for i in range(block.shape[0]):
            block[i, start + i] = -np.inf
        k_eff = min(k, n - 1)
        if k_eff <= 0:
            out.extend([] for _ in range(block.shape[0]))
            continue
        part = np.argpartition(-block, k_eff - 1, axis=1)[:, :k_eff]
        for i, idx in enumerate(part):
            out.append([int(j) for j in sorted(idx, key=lambda j: (-block[i, j], j))])
    return out


def peers(articles: list[Article], seed: int, embeddings=None) -> dict[str, dict[str, list[str]]] | None:
    try:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize
    except ImportError:
        print("(peers skipped: scikit-learn is not installed; pip install -e '.[bench]')", flush=True)
        return None
    slugs = [a.slug for a in articles]
    texts = [related.article_text(a) for a in articles]
    k = related.LIST_SIZE
    rng = random.Random(seed)
    out: dict[str, dict[str, list[str]]] = {
        "random": {s: rng.sample([o for o in slugs if o != s], min(k, len(slugs) - 1)) for s in slugs}
    }
    if len(articles) < 3:
        return out

    def vectorize(title_times: int):
        vec = TfidfVectorizer(stop_words="english", sublinear_tf=True)
        return vec.fit_transform(
            [(a.title + "\n") * title_times + t for a, t in zip(articles, texts, strict=True)]
        )

    plain = vectorize(1)
    out["TF-IDF cosine"] = {slugs[i]: [slugs[j] for j in nn] for i, nn in enumerate(_top_k(plain, k))}
    titled = vectorize(3)
    out["TF-IDF, title x3"] = {slugs[i]: [slugs[j] for j in nn] for i, nn in enumerate(_top_k(titled, k))}
    dims = min(100, plain.shape[1] - 1, len(articles) - 1)
    lsa = normalize(TruncatedSVD(n_components=dims, random_state=seed).fit_transform(plain))
    out["LSA-100 (batch)"] = {slugs[i]: [slugs[j] for j in nn] for i, nn in enumerate(_top_k(lsa, k))}
    if embeddings is not None:
        out["MiniLM alone"] = {slugs[i]: [slugs[j] for j in nn] for i, nn in enumerate(_top_k(embeddings, k))}
        # the sum of the two cosines: the concatenation of the two unit vectors, whose dot product it is
        from scipy.sparse import csr_matrix, hstack

        hybrid = hstack([titled, csr_matrix(embeddings)]).tocsr()
        out["hybrid MiniLM + title x3"] = {
            slugs[i]: [slugs[j] for j in nn] for i, nn in enumerate(_top_k(hybrid, k))
        }
    return out


def compare_with_peers(
    articles: list[Article], category: dict[str, str], seed: int, embeddings=None
) -> float | None:
    t0 = time.perf_counter()
    peer_lists = peers(articles, seed, embeddings)
    if peer_lists is None:
        return None
    best = 0.0
    for label, lists in peer_lists.items():
        p5 = report(f"peer: {label}", lists, category)
        if label != "random":
            best = max(best, p5)
    print(
        f"(peers computed in {time.perf_counter() - t0:.0f} s; best non-random peer P@5 {best:.4f})",
        flush=True,
    )
    return best


def use_cached_embeddings(articles: list[Article], name: str):
    """Every article's vector, computed once per text (bench/common.py's cache), and the engine reading
    them from there instead of running the model again. Prints what packing them to int8 costs."""
    import numpy as np
    from common import cached_embeddings

    from newsdrop.related import semantic

    texts = [semantic.embedding_text(a.title, related.article_text(a)) for a in articles]
    vectors = cached_embeddings(texts, name)
    by_text = dict(zip(texts, vectors, strict=True))
    semantic.vector_source = lambda text: by_text[text] if text in by_text else semantic.model_vector(text)
    if len(vectors) > 1:
        pairs = np.random.default_rng(0).integers(0, len(vectors), size=(2000, 2))
        exact = np.einsum("ij,ij->i", vectors[pairs[:, 0]], vectors[pairs[:, 1]])
        packed = [semantic.unpack(semantic.pack(v)) for v in vectors]
        approx = np.array([packed[i] @ packed[j] for i, j in pairs])
        err = np.abs(exact - approx)
        print(f"int8 vectors: cosine error mean {err.mean():.5f}, max {err.max():.5f} (2,000 random pairs)")
    return vectors


# --- the real handlers --------------------------------------------------------------------------------------
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=BBC, help="JSONL of {id, category, title, body}")
    ap.add_argument("--order", choices=("file", "shuffle"), default="file")
    ap.add_argument("--seed", type=int, default=0, help="shuffle seed (and the random peer's)")
    ap.add_argument("--limit", type=int, help="only the first N articles of the chosen order")
    ap.add_argument("--sample", type=int, help="only a fixed random N articles (the same in every order)")
    ap.add_argument("--lexical", action="store_true", help="also report the engine without embeddings")
    ap.add_argument("--in-memory", action="store_true", help="skip moto: the fast tuning mode")
    ap.add_argument("--no-tags", action="store_true", help="also report Newsdrop without tags (in memory)")
    ap.add_argument("--with-notifications", action="store_true", help="also drive notify/fanout (slow)")
    ap.add_argument(
        "--smoke", action="store_true", help=f"CI: {SMOKE_LIMIT} shuffled articles through the handlers"
    )
    add_engine_settings(ap)
    ap.add_argument("--no-peers", action="store_true", help="skip the peers (tuning)")
    ap.add_argument("--recall", action="store_true", help="the semantic index's recall against brute force")
    ap.add_argument("--by-arrival", action="store_true", help="Newsdrop's P@5 by tenth of the arrival order")
    ap.add_argument(
        "--hindsight-topics",
        action="store_true",
        help="diagnosis: one topic model fitted on the whole corpus",
    )
    args = ap.parse_args(argv)
    if args.hindsight_topics and not args.in_memory:
        ap.error("--hindsight-topics is a diagnosis of the in-memory path: add --in-memory")
    apply_engine_settings(ap, args.set)
    if args.smoke:
        args.order, args.limit = "shuffle", min(args.limit or SMOKE_LIMIT, SMOKE_LIMIT)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    read = read_corpus(args.corpus, args.order, args.seed, args.limit, args.sample)
    rows = accepted(read)
    print(
        f"corpus {args.corpus.name}: {len(rows)} articles ({len(read) - len(rows)} rejected by the ingest), "
        f"order={args.order} seed={args.seed}",
        flush=True,
    )
    articles = ingest_articles(rows)
    category = {a.slug: r["category"] for a, r in zip(articles, rows, strict=True)}
    embeddings = use_cached_embeddings(articles, args.corpus.stem) if related.SEMANTIC_WEIGHT else None
    if not args.no_peers:
        compare_with_peers(articles, category, args.seed, embeddings)
    if args.lexical:
        weight, related.SEMANTIC_WEIGHT = related.SEMANTIC_WEIGHT, 0.0
        lists, seconds, index = run_in_memory(articles)
        n = len(articles)
        cost = f"  items/article read={index.reads / n:.1f} written={index.writes / n:.1f}"
        report("lexical engine (no MiniLM)", lists, category, seconds, cost)
        related.SEMANTIC_WEIGHT = weight
    n = len(articles)
    if args.hindsight_topics:
        hindsight_topics(articles)
        print(
            "topic model: fitted once on the whole corpus, in force from the first fit (diagnosis)",
            flush=True,
        )
    if args.no_tags:
        lists, seconds, index = run_in_memory(articles, use_tags=False)
        report("Newsdrop in-memory tags=off", lists, category, seconds)
    lists, seconds, index = run_in_memory(articles)
    cost = f"  items/article read={index.reads / n:.1f} written={index.writes / n:.1f}"
    p5 = report("Newsdrop in-memory", lists, category, seconds, cost)
    if args.recall and related.SEMANTIC_WEIGHT:
        semantic_recall(index)
    if args.by_arrival:
        by_arrival(articles, lists, category)
    if not args.in_memory:
        moto_lists, moto_category, moto_seconds = through_handlers(rows, args.with_notifications)
        p5 = report("Newsdrop handlers on moto", moto_lists, moto_category, moto_seconds)
        same = sum(lists.get(a.slug, []) == moto_lists.get(a.slug, []) for a in articles)
        print(f"in-memory lists identical to the moto run's: {same}/{n}")
    print(f"P@5 {p5:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
