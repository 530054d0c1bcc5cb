"""Topic tags against each corpus's own sections: BBC's five categories and the newsgroups of 20 Newsgroups.

    .venv/bin/python bench/tag_sections.py [--limit N]

Reads ../shared/data/bbc-news.jsonl and 20news-train.jsonl in place and tags every article through the ingest
path's own steps (plain-text drop, the reader's text, ``auto_tags``). A section is not a topic tag's truth (a
business story about a football club may be Sport too), but a topic that keeps landing outside its section is
a misfire to look at. Prints, per corpus:

- fit: the share of topic tags that are their article's section's topic;
- found: the share of articles whose section's topic is among their tags;
- per section, the topics given outside it, most frequent first.

20NG newsgroups map to topics only where one plainly fits (comp.* Technology, rec.sport.* Sport,
talk.politics.* Politics or World, sci.med Health or Science, other sci.* Science or Technology,
misc.forsale Business); the other groups (religion, autos, motorcycles...) are counted apart.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from tag_audit import CORPORA, tagged  # noqa: E402
from tagging import SECTION_TOPICS  # noqa: E402

from newsdrop.ingest.tag_lexicon import TOPICS  # noqa: E402

# bench/tagging.py's sections; the entertainment section's theatre, books and art stories are Culture's too
BBC_SECTIONS = {**SECTION_TOPICS, "entertainment": SECTION_TOPICS["entertainment"] | {"Culture"}}


def newsgroup_topics(group: str) -> set[str] | None:
    if group.startswith("comp."):
        return {"Technology"}
    if group.startswith("rec.sport."):
        return {"Sport"}
    if group.startswith("talk.politics."):
        return {"Politics", "World"}
    if group == "sci.med":
        return {"Health", "Science"}
    if group.startswith("sci."):
        return {"Science", "Technology"}
    if group == "misc.forsale":
        return {"Business"}
    return None


def measure(path: Path, limit: int | None) -> None:
    totals: Counter = Counter()
    outside: dict[str, Counter] = defaultdict(Counter)
    for row, _, labels in tagged(path, limit):
        if path.stem.startswith("bbc"):
            section, expected = row["category"], BBC_SECTIONS.get(row["category"])
        else:
            group = row["id"].split("/")[1]  # train/<newsgroup>/<number>
            section, expected = group.split(".")[0], newsgroup_topics(group)
        topics = [label for label in labels if label in TOPICS]
        if expected is None:
            totals["unmapped articles"] += 1
            totals["unmapped topic tags"] += len(topics)
            continue
        totals["articles"] += 1
        totals["topic tags"] += len(topics)
        totals["fit"] += sum(t in expected for t in topics)
        totals["found"] += bool(set(topics) & expected)
        outside[section].update(t for t in topics if t not in expected)
    print(
        f"{path.stem}: {totals['articles']} articles, {totals['topic tags']} topic tags; "
        f"fit {totals['fit'] / max(totals['topic tags'], 1):.1%}, found {totals['found'] / max(totals['articles'], 1):.1%}"
        f" ({totals['unmapped articles']} articles of other sections, {totals['unmapped topic tags']} topic tags)"
    )
    for section in sorted(outside):
        given = ", ".join(f"{topic} {count}" for topic, count in outside[section].most_common(6))
        print(f"  {section:14s} {given}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N articles of each corpus")
    parser.add_argument("--smoke", action="store_true", help="200 articles of each corpus (CI)")
    args = parser.parse_args(argv)
    limit = 200 if args.smoke else args.limit
    for path in CORPORA.values():
        measure(path, limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
