"""Hand audit of automatic tags: a seeded random sample of (article, automatic tag) pairs, printed to judge.

    .venv/bin/python bench/tag_audit.py --corpus bbc|20news --seed N [--tags 100]
    .venv/bin/python bench/tag_audit.py --score VERDICTS.tsv

Reads ../shared/data/bbc-news.jsonl or 20news-train.jsonl in place (third-party text: printed to the
terminal for a person to judge, never written into the repository). Every article goes through the ingest
path's own steps: the body as a plain-text drop (``text_html``), the reader's text (``html_text``), then
``auto_tags``. All (article, tag) pairs are listed, and ``--tags`` of them are drawn with ``--seed``, so
each tag in the corpus has the same chance. For each: article id, title, the start of its text, the tag.

Verdicts are kept outside the repository (``/work/cache/tags/``), one line per tag,
``id <TAB> tag <TAB> right|wrong <TAB> why``; ``--score`` counts them, with the reasons of the wrong ones.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from newsdrop.ingest.body import text_html  # noqa: E402
from newsdrop.ingest.tagging import auto_tags  # noqa: E402
from newsdrop.ingest.text import html_text  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CORPORA = {"bbc": DATA / "bbc-news.jsonl", "20news": DATA / "20news-train.jsonl"}


def tagged(path: Path, limit: int | None = None) -> list[tuple[dict, str, list[str]]]:
    """(row, reader's text, tag labels) for every article of the corpus, as ingest would tag it."""
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            text = html_text(text_html(row["body"]))
            out.append((row, text, [t.label for t in auto_tags(row["title"], text)]))
            if limit and len(out) >= limit:
                break
    return out


def mentions(text: str, label: str) -> int:
    """How often the text names the tag (its label, or a gazetteer alias of it), to help the judge."""
    from newsdrop.ingest.tag_candidates import aliases_lower

    forms = {label.lower(), *aliases_lower(label)}
    if " " in label and not aliases_lower(label):
        forms.add(label.rsplit(" ", 1)[1].lower())  # "Mr Blair" names "Tony Blair"
    pattern = r"\b(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + r")\b"
    return len(re.findall(pattern, text.lower()))


def score(path: Path) -> int:
    verdicts = Counter()
    reasons = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        verdicts[parts[2]] += 1
        if parts[2] == "wrong":
            reasons[parts[3].split(":")[0].strip() if len(parts) > 3 else "?"] += 1
    total = sum(verdicts.values())
    print(f"{path.name}: {verdicts['right']}/{total} right")
    for reason, n in reasons.most_common():
        print(f"  wrong, {reason}: {n}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="bbc")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tags", type=int, default=100)
    parser.add_argument("--chars", type=int, default=300, help="characters of the text shown per article")
    parser.add_argument("--score", type=Path, help="count a verdicts file instead of sampling")
    parser.add_argument("--smoke", action="store_true", help="30 articles, 5 tags (CI)")
    args = parser.parse_args(argv)
    if args.score:
        return score(args.score)
    path = CORPORA[args.corpus]
    if not path.exists():
        print(f"{path} not found: the corpora live beside the checkout", file=sys.stderr)
        return 1
    limit = 30 if args.smoke else None
    if args.smoke:
        args.tags = 5
    start = time.process_time()
    rows = tagged(path, limit)
    cpu = time.process_time() - start
    pairs = [(row, text, tags, tag) for row, text, tags in rows for tag in tags]
    sample = random.Random(args.seed).sample(pairs, min(args.tags, len(pairs)))
    print(
        f"# {args.corpus}: {len(rows)} articles, {len(pairs)} automatic tags "
        f"({len(pairs) / max(len(rows), 1):.2f} per article, "
        f"{sum(1 for _, _, tags in rows if not tags) / max(len(rows), 1):.1%} of articles with none, "
        f"{cpu / max(len(rows), 1) * 1000:.2f} ms CPU each); "
        f"{len(sample)} drawn with seed {args.seed}"
    )
    for n, (row, text, tags, tag) in enumerate(sample, 1):
        head = " ".join(text.split())[: args.chars]
        others = ", ".join(t for t in tags if t != tag)
        tag = f"{tag}  [{mentions(text, tag)}x in text]"
        print(
            f"\n[{n}] {row['id']}  | {row['title']}\n    {head}\n    TAG: {tag}    (its other tags: {others})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
