"""How often hand-judged names are right by where the text first says them: the opening a name the title does
not use must be named in (``tag_candidates.OPENING_SENTENCES``) and the score it needs (``UNTITLED_SCORE``).

    .venv/bin/python bench/tag_position.py VERDICTS.tsv ... [--smoke]

Reads verdict files written for ``bench/tag_audit.py`` (kept outside the repository) and the corpora in
../shared/data, in place. Every judged article is tagged again with the current code but with both rules
lifted (and a letter's read as an article's), so each judged name gets its score and the sentence it is first
said in. For the names the title does not use, it prints per corpus the share right by that sentence and by
score band, then, for each rule "first said within N sentences and scoring S", the share right and the share
of those judged names kept. ``--smoke`` (CI): five BBC articles, every tag counted right.
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT / "bench"))

from tag_embedding import verdicts_main  # noqa: E402

from newsdrop.ingest import tag_candidates  # noqa: E402
from newsdrop.ingest.body import text_html  # noqa: E402
from newsdrop.ingest.tag_text import post_text  # noqa: E402
from newsdrop.ingest.text import html_text  # noqa: E402

SENTENCES = [1, 2, 3, 4]
SCORES = [3.0, 4.0, 5.0]


def judged_names(rows: dict[str, dict], judged: dict[tuple[str, str], bool]) -> list[tuple[int, float, bool]]:
    """(sentence first said in, score, right) for each judged name the title does not use."""
    out = []
    saved = tag_candidates.OPENING_SENTENCES, tag_candidates.UNTITLED_SCORE
    try:
        for aid, row in rows.items():
            text = html_text(text_html(row["body"]))
            post = post_text(text)
            tag_candidates.OPENING_SENTENCES, tag_candidates.UNTITLED_SCORE = 10**6, tag_candidates.MIN_SCORE
            entities = tag_candidates.scored_entities(row["title"], post.prose, post.voices, post.signers)
            title_l = row["title"].lower()
            ends = list(tag_candidates.sentence_ends(post.prose))  # as the tagger splits the sentences
            for score, first, label in entities:
                wrong = judged.get((aid, label))
                if wrong is None or tag_candidates._titled(title_l, label):
                    continue
                out.append((bisect_right(ends, first), score, not wrong))  # 0: the first sentence
    finally:
        tag_candidates.OPENING_SENTENCES, tag_candidates.UNTITLED_SCORE = saved
    return out


def report(corpus: str, names: list[tuple[int, float, bool]]) -> None:
    def share(rows: list[tuple[int, float, bool]]) -> str:
        return f"{len(rows)}, {sum(ok for *_, ok in rows) / max(len(rows), 1):.1%} right"

    print(f"# {corpus}: {len(names)} judged names the title does not use: {share(names)}")
    for n in (0, 1, 2):
        print(f"  first said in sentence {n + 1}: {share([x for x in names if x[0] == n])}")
    print(f"  first said later: {share([x for x in names if x[0] > 2])}")
    for low, high in ((3.0, 4.0), (4.0, 5.0), (5.0, float("inf"))):
        print(f"  scoring {low}-{high}: {share([x for x in names if low <= x[1] < high])}")
    for n in SENTENCES:
        for s in SCORES:
            kept = [x for x in names if x[0] < n and x[1] >= s]
            print(
                f"  within {n} sentences, score {s}: {share(kept)}, {len(kept) / max(len(names), 1):.0%} kept"
            )


def main(argv: list[str] | None = None) -> int:
    return verdicts_main(
        argv, __doc__, lambda corpus, rows, judged: report(corpus, judged_names(rows, judged))
    )


if __name__ == "__main__":
    raise SystemExit(main())
