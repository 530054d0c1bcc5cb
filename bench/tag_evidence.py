"""How often hand-judged automatic tags are right, by the evidence the tagger holds for each: the bar a name
must pass (``tag_candidates.MIN_SCORE``) chosen on one corpus and checked on the other.

    .venv/bin/python bench/tag_evidence.py VERDICTS.tsv ... [--smoke]

Reads verdict files written for ``bench/tag_audit.py`` (kept outside the repository) and the corpora in
../shared/data, in place. Every judged article is tagged again with the current code, but with the bar
lowered to 2.0 (the bar before the third round), and each judged tag it still emits gets its score: one
point a mention, half a point more when the lead names it, two when the title does (topics have none). It
prints, per corpus, the share of judged tags that are right in each score band, then for each bar the
share right and the share of judged tags kept. Only pairs that some audit drew have verdicts: check a new
bar on a fresh draw too. ``--smoke`` (CI): five BBC articles, every tag counted right.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from tag_embedding import verdicts_main  # noqa: E402

from newsdrop.ingest import tag_candidates  # noqa: E402
from newsdrop.ingest.body import text_html  # noqa: E402
from newsdrop.ingest.tag_text import hard_wrapped, post_text  # noqa: E402
from newsdrop.ingest.tagging import auto_tags  # noqa: E402
from newsdrop.ingest.text import html_text  # noqa: E402

LOWEST_BAR = 2.0
BARS = [2.0, 2.5, 3.0, 3.5, 4.0]
BANDS = [(2.0, 2.5), (2.5, 3.0), (3.0, 4.0), (4.0, 6.0), (6.0, float("inf"))]


def scored(rows: dict[str, dict], judged: dict[tuple[str, str], bool]) -> list[tuple[float | None, bool]]:
    """(score or None for a topic, right) for each judged tag that the lowest bar emits."""
    out = []
    kept, tag_candidates.MIN_SCORE = tag_candidates.MIN_SCORE, LOWEST_BAR
    try:
        for aid, row in rows.items():
            text = html_text(text_html(row["body"]))
            post = post_text(text)
            scores = {
                label: score
                for score, _, label in tag_candidates.scored_entities(
                    row["title"], post.prose, post.voices, post.signers, hard_wrapped(text)
                )
            }
            for tag in auto_tags(row["title"], text):
                wrong = judged.get((aid, tag.label))
                if wrong is not None:
                    out.append((scores.get(tag.label), not wrong))
    finally:
        tag_candidates.MIN_SCORE = kept
    return out


def report(corpus: str, tags: list[tuple[float | None, bool]]) -> None:
    right = sum(ok for _, ok in tags)
    print(
        f"# {corpus}: {len(tags)} judged tags emitted with the bar at {LOWEST_BAR}, {right / len(tags):.1%} right"
    )
    topics = [ok for score, ok in tags if score is None]
    print(f"  topics: {len(topics)}, {sum(topics) / max(len(topics), 1):.1%} right")
    for low, high in BANDS:
        band = [ok for score, ok in tags if score is not None and low <= score < high]
        print(f"  names scoring {low}-{high}: {len(band)}, {sum(band) / max(len(band), 1):.1%} right")
    for bar in BARS:
        kept = [ok for score, ok in tags if score is None or score >= bar]
        print(
            f"  bar {bar}: {sum(kept) / max(len(kept), 1):.1%} right, "
            f"{len(kept) / max(len(tags), 1):.0%} of judged tags kept"
        )


def main(argv: list[str] | None = None) -> int:
    return verdicts_main(
        argv, __doc__, lambda corpus, rows, judged: report(corpus, scored(rows, judged) or [(None, True)])
    )


if __name__ == "__main__":
    raise SystemExit(main())
