"""Would the MiniLM embedding tell a wrong automatic tag from a right one? Measured on hand verdicts.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/tag_embedding.py VERDICTS.tsv ... [--smoke]

Reads verdict files written for ``bench/tag_audit.py`` (``id <TAB> tag <TAB> right|wrong <TAB> why``, its
first line naming the corpus; kept outside the repository) and the corpora in ../shared/data, in place. For
every judged (article, tag) pair it computes three cosines with all-MiniLM-L6-v2:

- ``article``: the tag's vector against the article's (the title and reader's text, first 256 tokens, as the
  related function embeds it; cached in $NEWSDROP_EMBED_CACHE like ``bench/related_quality.py``);
- ``lead``: against the title and the first two sentences;
- ``rank``: the tag's place among the article's current tags, closest to the article first.

A pair judged in several files takes the majority verdict. For each corpus it prints how well each cosine
ranks right tags above wrong ones (AUC), then, for rules "keep a tag when its cosine >= t" and "keep the k
closest", how many wrong and right tags each removes and the share right among those kept. The threshold
is then tuned on one corpus (the highest share right that removes at most a tenth of the right tags) and
checked on the other, both ways. ``--smoke`` (CI): the tags of five BBC articles, their cosines, no verdicts.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from tag_audit import CORPORA  # noqa: E402

from newsdrop.ingest.body import text_html  # noqa: E402
from newsdrop.ingest.tagging import auto_tags  # noqa: E402
from newsdrop.ingest.text import html_text  # noqa: E402

THRESHOLDS = [round(-0.05 + 0.025 * i, 3) for i in range(11)]
MAX_RIGHT_LOST = 0.10
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def read_verdicts(paths: list[Path]) -> dict[tuple[str, str, str], bool]:
    """(corpus, article id, tag) -> wrong, by majority over every file that judged the pair."""
    votes: dict[tuple[str, str, str], Counter] = {}
    for path in paths:
        lines = path.read_text(encoding="utf-8").splitlines()
        head = re.match(r"# (\w+):", lines[0]) if lines else None
        if head is None or head.group(1) not in CORPORA:
            raise SystemExit(f"{path}: the first line must be tag_audit.py's, naming the corpus")
        for line in lines[1:]:
            parts = line.split("\t")
            if len(parts) >= 3 and parts[2] in ("right", "wrong"):
                votes.setdefault((head.group(1), parts[0], parts[1]), Counter())[parts[2]] += 1
    return {key: c["wrong"] > c["right"] for key, c in votes.items()}


def rows_by_id(corpus: str, ids: set[str] | None, limit: int | None = None) -> dict[str, dict]:
    out = {}
    with CORPORA[corpus].open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                if ids is None or row["id"] in ids:
                    out[row["id"]] = row
                if limit and len(out) >= limit:
                    break
    return out


def judged_articles(paths: list[Path]) -> Iterator[tuple[str, dict[str, dict], dict[tuple[str, str], bool]]]:
    """(corpus, its judged articles by id, (article id, tag) -> wrong) for each corpus the verdict files judge."""
    verdicts = read_verdicts(paths)
    for corpus in CORPORA:
        judged = {(aid, tag): wrong for (c, aid, tag), wrong in verdicts.items() if c == corpus}
        if judged:
            yield corpus, rows_by_id(corpus, {aid for aid, _ in judged}), judged


def verdicts_main(argv: list[str] | None, doc: str, judge: Callable[[str, dict, dict], None]) -> int:
    """The command line of the benches that tag judged articles again: verdict files, or ``--smoke`` (CI: five
    BBC articles, each of their automatic tags counted right). ``judge(corpus, rows, judged)`` prints."""
    from newsdrop.ingest.body import text_html
    from newsdrop.ingest.tagging import auto_tags
    from newsdrop.ingest.text import html_text

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("verdicts", nargs="*", type=Path)
    parser.add_argument("--smoke", action="store_true", help="CI: five BBC articles, every tag counted right")
    args = parser.parse_args(argv)
    if args.smoke:
        rows = rows_by_id("bbc", None, limit=5)
        judged = {
            (aid, t.label): False
            for aid, row in rows.items()
            for t in auto_tags(row["title"], html_text(text_html(row["body"])))
        }
        judge("bbc (smoke)", rows, judged)
        return 0
    if not args.verdicts:
        parser.error("give verdict files, or --smoke")
    for corpus, rows, judged in judged_articles(args.verdicts):
        judge(corpus, rows, judged)
    return 0


def measure(corpus: str, pairs: list[tuple[str, str]], rows: dict[str, dict]) -> list[dict]:
    """The three measures for each (article id, tag)."""
    from common import cached_embeddings

    from newsdrop.related.embedding import default_model
    from newsdrop.related.semantic import embedding_text

    model = default_model()
    ids = sorted({aid for aid, _ in pairs})
    texts = {aid: html_text(text_html(rows[aid]["body"])) for aid in ids}
    articles = dict(
        zip(
            ids,
            cached_embeddings(
                [embedding_text(rows[a]["title"], texts[a]) for a in ids], CORPORA[corpus].stem
            ),
            strict=True,
        )
    )
    leads = {a: " ".join(_SENTENCE.split(" ".join(texts[a].split()))[:2]) for a in ids}
    lead_vectors = dict(zip(ids, model.embed([f"{rows[a]['title']}\n{leads[a]}" for a in ids]), strict=True))
    current = {a: [t.label for t in auto_tags(rows[a]["title"], texts[a])] for a in ids}
    labels = sorted({tag for _, tag in pairs} | {t for tags in current.values() for t in tags})
    tag_vectors = dict(zip(labels, model.embed(labels), strict=True))
    out = []
    for aid, tag in pairs:
        cosine = float(tag_vectors[tag] @ articles[aid])
        others = [float(tag_vectors[t] @ articles[aid]) for t in current[aid] if t != tag]
        out.append(
            {
                "id": aid,
                "tag": tag,
                "article": cosine,
                "lead": float(tag_vectors[tag] @ lead_vectors[aid]),
                "rank": sum(1 for c in others if c > cosine),
            }
        )
    return out


def auc(right: list[float], wrong: list[float]) -> float:
    """The chance that a right tag scores above a wrong one (0.5: no better than a coin)."""
    if not right or not wrong:
        return float("nan")
    wins = sum((r > w) + 0.5 * (r == w) for r in right for w in wrong)
    return wins / (len(right) * len(wrong))


def removed(rows: list[dict], keep) -> tuple[int, int, float]:
    gone = [r for r in rows if not keep(r)]
    kept = [r for r in rows if keep(r)]
    share = sum(not r["wrong"] for r in kept) / max(len(kept), 1)
    return sum(r["wrong"] for r in gone), sum(not r["wrong"] for r in gone), share


def tuned(rows: list[dict], measure_name: str) -> float:
    """The threshold with the highest share right among kept tags that loses at most MAX_RIGHT_LOST of the
    right ones."""
    right = sum(not r["wrong"] for r in rows)
    best = (removed(rows, lambda r: True)[2], THRESHOLDS[0] - 1)
    for t in THRESHOLDS:
        _, lost, share = removed(rows, lambda r, t=t: r[measure_name] >= t)
        if lost <= MAX_RIGHT_LOST * right and share > best[0]:
            best = (share, t)
    return best[1]


def report(by_corpus: dict[str, list[dict]]) -> None:
    for corpus, rows in by_corpus.items():
        right = [r for r in rows if not r["wrong"]]
        wrong = [r for r in rows if r["wrong"]]
        print(
            f"\n{corpus}: {len(rows)} judged tags, {len(wrong)} wrong; share right {len(right) / len(rows):.3f}"
        )
        for name in ("article", "lead"):
            print(
                f"  AUC, cosine to the {name}: {auc([r[name] for r in right], [r[name] for r in wrong]):.3f}"
            )
        print("  rule                      wrong removed  right removed  share right kept")
        for name in ("article", "lead"):
            for t in THRESHOLDS:
                w, r, share = removed(rows, lambda x, n=name, t=t: x[n] >= t)
                print(
                    f"  {name:7s} cosine >= {t:+.3f}   {w:4d}/{len(wrong):<4d}     {r:4d}/{len(right):<4d}     {share:.3f}"
                )
        for k in (1, 2, 3, 4, 5):
            w, r, share = removed(rows, lambda x, k=k: x["rank"] < k)
            print(
                f"  keep the {k} closest         {w:4d}/{len(wrong):<4d}     {r:4d}/{len(right):<4d}     {share:.3f}"
            )
    if len(by_corpus) == 2:
        print(
            f"\nTuned on one corpus (at most {MAX_RIGHT_LOST:.0%} of its right tags lost), checked on the other:"
        )
        for tune, check in (tuple(by_corpus), tuple(reversed(by_corpus))):
            for name in ("article", "lead"):
                t = tuned(by_corpus[tune], name)
                for corpus in (tune, check):
                    rows = by_corpus[corpus]
                    w, r, share = removed(rows, lambda x, n=name, t=t: x[n] >= t)
                    before = sum(not x["wrong"] for x in rows) / len(rows)
                    print(
                        f"  {name} cosine >= {t:+.3f} (tuned on {tune}) on {corpus}: removes {w} wrong, {r} right;"
                        f" share right {before:.3f} -> {share:.3f}"
                    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("verdicts", nargs="*", type=Path, help="verdict files (tag_audit.py's format)")
    parser.add_argument("--smoke", action="store_true", help="CI: five BBC articles' tags, no verdicts")
    args = parser.parse_args(argv)
    if args.smoke:
        rows = rows_by_id("bbc", None, limit=5)
        pairs = [
            (aid, t.label)
            for aid, row in rows.items()
            for t in auto_tags(row["title"], html_text(text_html(row["body"])))
        ]
        for r in measure("bbc", pairs, rows):
            print(
                f"{r['id']:20s} {r['tag']:30s} article {r['article']:+.3f} lead {r['lead']:+.3f} rank {r['rank']}"
            )
        return 0
    if not args.verdicts:
        parser.error("give verdict files, or --smoke")
    by_corpus: dict[str, list[dict]] = {}
    for corpus, rows, judged in judged_articles(args.verdicts):
        measured = measure(corpus, list(judged), rows)
        for r in measured:
            r["wrong"] = judged[(r["id"], r["tag"])]
        by_corpus[corpus] = measured
    report(by_corpus)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
