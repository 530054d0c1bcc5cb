"""How fast automatic tagging is, and how often it finds the article's section, on the BBC corpus.

    .venv/bin/python bench/tagging.py [--sample 500]

Reads ../shared/data/bbc-news.jsonl in place, tags a seeded random sample through ``newsdrop.ingest.tagging``
(the ingest path's own function) and prints ms per article, ms per 500 words, and the share of articles
whose tags include their section's topic (business -> Business/Economy, sport -> Sport, ...)."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from newsdrop.ingest.tagging import auto_tags  # noqa: E402

BBC = ROOT.parent / "shared" / "data" / "bbc-news.jsonl"
SECTION_TOPICS = {
    "business": {"Business", "Economy"},
    "sport": {"Sport"},
    "tech": {"Technology"},
    "politics": {"Politics"},
    "entertainment": {"Entertainment"},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=500)
    parser.add_argument("--smoke", action="store_true", help="20 articles (CI)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sample = 20
    rows = [json.loads(line) for line in BBC.read_text(encoding="utf-8").splitlines() if line.strip()]
    sample = random.Random(42).sample(rows, min(args.sample, len(rows)))
    auto_tags(sample[0]["title"], sample[0]["body"])  # first call loads the gazetteer: not per-article cost
    words = with_topic = tag_count = 0
    start = time.perf_counter()
    for row in sample:
        tags = auto_tags(row["title"], row["body"])
        words += len(row["body"].split())
        tag_count += len(tags)
        with_topic += bool({t.label for t in tags} & SECTION_TOPICS[row["category"]])
    elapsed = time.perf_counter() - start
    print(f"articles tagged          {len(sample)}")
    print(f"ms per article           {elapsed / len(sample) * 1000:.2f}")
    print(f"ms per 500 words         {elapsed / words * 500 * 1000:.2f}")
    print(f"tags per article         {tag_count / len(sample):.2f}")
    print(f"section topic found      {with_topic / len(sample):.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
