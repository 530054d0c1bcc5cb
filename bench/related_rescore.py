"""Re-rank a recorded run under other scoring constants, in seconds instead of a whole run.

    .venv/bin/python bench/related_rescore.py dump --corpus PATH [--order file|shuffle] [--seed N]
                                              [--limit N] --out FILE.npz
    .venv/bin/python bench/related_rescore.py replay FILE.npz [FILE.npz ...] [--set NAME=VALUE ...]
    .venv/bin/python bench/related_rescore.py --smoke

``dump`` runs the engine in memory exactly as ``bench/related_quality.py --in-memory`` does (same articles,
order, vectors from ``$NEWSDROP_EMBED_CACHE``), and records every candidate pair it scores (at an article's
arrival and at a topic refit's refresh) with the parts of its score: plain and expanded cosines, tag, title
and topic cosines, the embedding's centred cosine and its expanded vectors' cosine, the recency bonus and whether it passed the gate.

``replay`` recomputes the scores from those parts with other weights (``--set TITLE_BONUS=0.5``; the
weights and thresholds of ``pair_score`` and its bonuses, and ``OFFER_MAX``) and replays the lists: each
arrival's own list and its offers to older lists, each refresh's new lists. Which pairs are scored, and
their parts, do not depend on the lists (candidates come from postings and buckets), so the replay is the
run's own result, except for one approximation: a refresh also re-scores a list's current entries, and an
entry that the recorded run did not hold keeps the score it came in with. With the dump's own constants
the replay gives the run's lists exactly (it prints how many are identical). Gate constants are not
replayed: the gate decides the pairs that expand a document's query, which the dump fixes.

``--smoke`` (CI) dumps 40 shuffled BBC articles and checks that the replay reproduces their lists."""

from __future__ import annotations

import argparse
import heapq
import sys
import tempfile
from array import array
from operator import mul
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import related_quality as rq  # noqa: E402
from common import BBC  # noqa: E402

from newsdrop.related import engine  # noqa: E402

PARTS = (
    "x",
    "y",
    "event",
    "plain",
    "expanded",
    "tag",
    "title",
    "topic",
    "meaning",
    "spread",
    "recency",
    "gated",
)
# the constants a replay can change, and their values in the engine
WEIGHTS = ("EXPAND_MIX", "EXPAND_TRUST", "TAG_WEIGHT", "TITLE_BONUS", "TITLE_MIN", "TOPIC_WEIGHT")
WEIGHTS += ("SEMANTIC_WEIGHT", "MEANING_EXPAND", "OFFER_MAX")


# --- recording -------------------------------------------------------------------------------------------
class Recorder:
    """Wraps ``engine._score_candidates`` (every pair scored) and ``engine._refresh_lists`` (which marks
    the pairs a refit's refresh scores)."""

    def __init__(self) -> None:
        self.parts = {p: array("d") for p in PARTS}
        self.events: list[tuple[str, int, int, int]] = []  # (kind, article, first row, end row)
        self.slugs: dict[str, int] = {}
        self.kind = "arrival"
        self._refresh = engine._refresh_lists
        engine._score_candidates = self.score
        engine._refresh_lists = self.refresh

    def number(self, slug: str) -> int:
        return self.slugs.setdefault(slug, len(self.slugs))

    def refresh(self, index, stats, docs):
        self.kind = "refresh"
        try:
            return self._refresh(index, stats, docs)
        finally:
            self.kind = "arrival"

    def score(self, x, vx, docs, stats):
        """``engine._score_candidates``, recording each candidate's parts (its result is the same)."""
        semantic = engine._semantic()
        vecs = {slug: stats.vector(doc) for slug, doc in docs.items()}
        base = {slug: engine._dot(vx, v) for slug, v in vecs.items()}
        tags = {slug: engine._tag_bonus(x, docs[slug]) for slug in docs}
        titles = {slug: engine._title_bonus(x, docs[slug], stats) for slug in docs}
        meaning = semantic.cosines(x.emb, {s: d.emb for s, d in docs.items()}, stats) if x.emb else {}
        gate = engine.SEMANTIC_MIN if semantic.centred(stats) else engine.SEMANTIC_MIN_RAW
        gated = [s for s in docs if base[s] + tags[s] >= engine.MIN_SCORE or meaning.get(s, 0.0) >= gate]
        if not x.ex:
            near = heapq.nsmallest(engine.EXPAND_NEIGHBOURS, gated, key=lambda s: (-base[s], s))
            x.ex = engine._expanded(vx, [vecs[s] for s in near]) if near else {}
        if engine.MEANING_EXPAND and x.emb and not x.exemb:
            near = heapq.nsmallest(engine.EXPAND_NEIGHBOURS, gated, key=lambda s: (-meaning.get(s, 0.0), s))
            x.exemb = semantic.expanded(x.emb, [docs[s].emb for s in near if docs[s].emb], stats)
        spread = semantic.expanded_cosines(x.exemb, {s: d.exemb for s, d in docs.items()}) if x.exemb else {}
        for slug in gated:
            titles[slug] += engine._topic_bonus(x, docs[slug], stats)
            titles[slug] += engine.SEMANTIC_WEIGHT * meaning.get(slug, 0.0)
            titles[slug] += engine.MEANING_EXPAND * spread.get(slug, 0.0)
        ex_x = x.ex or vx
        tx = stats.topic_vector(x)
        first, passed, out = len(self.parts["x"]), set(gated), {}
        for slug in sorted(docs):
            y = docs[slug]
            expanded = engine._dot(ex_x, y.ex or vecs[slug])
            ty = stats.topic_vector(y)
            row = (
                self.number(x.slug),
                self.number(slug),
                len(self.events),
                base[slug],
                expanded,
                tags[slug] / engine.TAG_WEIGHT if engine.TAG_WEIGHT else 0.0,
                engine.title_cosine(x.title, y.title, stats),
                sum(map(mul, tx, ty)) if tx and ty else 0.0,
                meaning.get(slug, 0.0),
                spread.get(slug, 0.0),
                engine._recency_bonus(x, y),
                float(slug in passed),
            )
            for name, value in zip(PARTS, row, strict=True):
                self.parts[name].append(value)
            if slug in passed:
                out[slug] = engine.pair_score(x, y, base[slug], expanded, tags[slug] + titles[slug])
        self.events.append((self.kind, self.number(x.slug), first, len(self.parts["x"])))
        return out


def dump(corpus: Path, order: str, seed: int, limit: int | None, out: Path) -> float:
    recorder = Recorder()
    rows = rq.accepted(rq.read_corpus(corpus, order, seed, limit))
    articles = rq.ingest_articles(rows)
    category = {a.slug: r["category"] for a, r in zip(articles, rows, strict=True)}
    rq.use_cached_embeddings(articles, corpus.stem)
    for a in articles:
        recorder.number(a.slug)
    lists, seconds, _ = rq.run_in_memory(articles)
    p5 = rq.report("Newsdrop in-memory (recorded)", lists, category, seconds)
    slugs = sorted(recorder.slugs, key=recorder.slugs.__getitem__)
    names = sorted(set(category.values()))
    held = np.empty(len(slugs), dtype=object)  # lists may be short: one Python list per article
    for i, s in enumerate(slugs):
        held[i] = [recorder.slugs[e.slug] for e in lists.get(s, [])]
    np.savez_compressed(
        out,
        **{name: np.frombuffer(values, dtype=np.float64) for name, values in recorder.parts.items()},
        event_kind=np.array([e[0] for e in recorder.events]),
        event_rows=np.array([e[1:] for e in recorder.events], dtype=np.int64).reshape(-1, 3),
        slugs=np.array(slugs),
        category=np.array([names.index(category[s]) for s in slugs]),
        lists=held,
        constants=np.array([float(getattr(engine, name)) for name in WEIGHTS]),
        p5=p5,
    )
    print(f"recorded {len(recorder.parts['x'])} scored pairs, {len(recorder.events)} scorings: {out}")
    return p5


# --- replaying -------------------------------------------------------------------------------------------
class Recording:
    def __init__(self, path: Path) -> None:
        with np.load(path, allow_pickle=True) as z:
            self.parts = {name: z[name] for name in PARTS}
            self.kinds = z["event_kind"].tolist()
            self.rows = z["event_rows"].tolist()
            self.slugs = z["slugs"].tolist()
            self.category = z["category"]
            self.lists = [list(entries) for entries in z["lists"]]
            self.constants = dict(zip(WEIGHTS, z["constants"].tolist(), strict=True))
            self.p5 = float(z["p5"])
        self.x = self.parts["x"].astype(np.int64)
        self.y = self.parts["y"].astype(np.int64)

    def scores(self, c: dict[str, float]) -> np.ndarray:
        """``engine.pair_score`` of every recorded pair under the constants ``c``."""
        p = self.parts
        trust = np.minimum(1.0, p["plain"] / c["EXPAND_TRUST"]) if c["EXPAND_TRUST"] > 0 else 1.0
        ramp = (p["title"] - c["TITLE_MIN"]) / (1.0 - c["TITLE_MIN"])
        title = np.where(p["title"] > c["TITLE_MIN"], c["TITLE_BONUS"] * ramp, 0.0)
        score = (
            (1 - c["EXPAND_MIX"]) * p["plain"]
            + c["EXPAND_MIX"] * p["expanded"] * trust
            + c["TAG_WEIGHT"] * p["tag"]
            + title
            + c["TOPIC_WEIGHT"] * p["topic"]
            + c["SEMANTIC_WEIGHT"] * p["meaning"]
            + c["MEANING_EXPAND"] * p["spread"]
            + p["recency"]
        )
        return np.round(score, engine.SCORE_DIGITS)

    def replay(self, c: dict[str, float]) -> tuple[dict[int, list[tuple[float, int]]], int]:
        """The lists under ``c``, and how many refreshed entries kept their old score (the approximation)."""
        score, gated, slugs = self.scores(c), self.parts["gated"] > 0, self.slugs
        lists: dict[int, list[tuple[float, int]]] = {}
        kept = 0

        def rank(entries):
            return sorted(entries, key=lambda e: (-e[0], slugs[e[1]]))[: engine.LIST_SIZE]

        for kind, (x, a, b) in zip(self.kinds, self.rows, strict=True):
            scored = [
                (float(s), int(y)) for s, y, ok in zip(score[a:b], self.y[a:b], gated[a:b], strict=True) if ok
            ]
            if kind == "refresh":
                seen = set(self.y[a:b].tolist())
                stale = [e for e in lists.get(x, []) if e[1] not in seen]
                kept += len(stale)
                lists[x] = rank([*scored, *stale])
                continue
            lists[x] = rank(scored)
            for s, y in heapq.nsmallest(int(c["OFFER_MAX"]), scored, key=lambda e: (-e[0], slugs[e[1]])):
                entries = [e for e in lists.get(y, []) if e[1] != x]
                if len(entries) >= engine.LIST_SIZE:
                    last = entries[engine.LIST_SIZE - 1]
                    if (-s, slugs[x]) >= (-last[0], slugs[last[1]]):
                        continue
                lists[y] = rank([*entries, (s, x)])
        return lists, kept

    def precision(self, lists: dict[int, list[tuple[float, int]]]) -> float:
        cat = self.category
        hits = sum(cat[y] == cat[x] for x in range(len(self.slugs)) for _, y in lists.get(x, []))
        return hits / (engine.LIST_SIZE * len(self.slugs))


def replay(paths: list[Path], changes: dict[str, float]) -> list[tuple[float, int]]:
    out = []
    for path in paths:
        recording = Recording(path)
        constants = {**recording.constants, **changes}
        lists, kept = recording.replay(constants)
        same = sum(
            [y for _, y in lists.get(x, [])] == recording.lists[x] for x in range(len(recording.slugs))
        )
        p5 = recording.precision(lists)
        changed = " ".join(f"{k}={v:g}" for k, v in changes.items()) or "the run's constants"
        print(
            f"{path.name}: P@5 {p5:.4f} with {changed} (recorded run {recording.p5:.4f}, "
            f"{100 * (p5 - recording.p5):+.2f} pt); lists identical to the run's {same}/{len(recording.slugs)}; "
            f"{kept} refreshed entries kept their old score",
            flush=True,
        )
        out.append((p5, same))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="CI: 40 shuffled BBC articles, dumped and replayed")
    sub = ap.add_subparsers(dest="command")
    d = sub.add_parser("dump", help="run the engine in memory and record every scored pair")
    d.add_argument("--corpus", type=Path, default=BBC)
    d.add_argument("--order", choices=("file", "shuffle"), default="file")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--limit", type=int)
    d.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("replay", help="the lists of recorded runs under other constants")
    r.add_argument("recordings", type=Path, nargs="+")
    r.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help=", ".join(WEIGHTS))
    args = ap.parse_args(argv)
    if args.smoke:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "smoke.npz"
            dump(BBC, "shuffle", 0, rq.SMOKE_LIMIT, out)
            [(_, same)] = replay([out], {})
        return 0 if same == rq.SMOKE_LIMIT else 1
    if args.command == "dump":
        dump(args.corpus, args.order, args.seed, args.limit, args.out)
        return 0
    if args.command == "replay":
        changes = {}
        for item in args.set:
            name, _, value = item.partition("=")
            if name not in WEIGHTS:
                ap.error(f"--set {item}: a replay changes only {', '.join(WEIGHTS)}")
            changes[name] = float(value)
        replay(args.recordings, changes)
        return 0
    ap.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
