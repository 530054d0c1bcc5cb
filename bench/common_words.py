"""The tagger's list of everyday English words (shared/newsdrop/data/common_words.txt): make it, or check it.

    .venv/bin/pip install -e ".[bench]" -c shared/constraints.txt   # wordfreq and english-words
    .venv/bin/python bench/common_words.py --write                     # remake the file
    .venv/bin/python bench/common_words.py [--smoke]                   # check the file, print its figures

A word is everyday when wordfreq's English frequency is at least Zipf 3.0 (log10 of uses per billion
words) AND Webster's Second (web2, in english-words) lists it in lowercase. wordfreq folds case, so famous
names are frequent too; web2 capitalizes proper nouns, so "chelsea" and "microsoft" are not in the list
while "corner", "covenant" and "apple" are. A plural counts when web2 has its singular. The tagger reads the
file as it is (``newsdrop.ingest.tag_lexicon.ordinary``); neither library is needed at run time.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

from newsdrop.ingest import tag_lexicon  # noqa: E402

OUT = tag_lexicon._COMMON_WORDS
MIN_ZIPF = 3.0
HEADER = """\
# Everyday English words and their Zipf frequency (log10 of uses per billion words), lowercase: the words
# of wordfreq's English list with Zipf >= 3.0 that Webster's Second International (web2) lists in lowercase
# (web2 capitalizes proper nouns, so 'chelsea' and 'microsoft' are not here; a plural counts when web2 has
# its singular).
# Sources: wordfreq 3.1.1 (https://github.com/rspeer/wordfreq), language 'en': data under CC BY-SA 4.0
# (https://creativecommons.org/licenses/by-sa/4.0/), by Robyn Speer, from Google Books Ngrams, Wikipedia,
# OpenSubtitles, SUBTLEX, Reddit, Twitter and others (see wordfreq's README); web2 from english-words 2.0.2
# (https://github.com/mwiens91/english-words-py, MIT; the word list is in the public domain).
# This file is shared under CC BY-SA 4.0, as the wordfreq data it is made from.
# Made by bench/common_words.py --write.
"""


def make() -> list[str]:
    from english_words import get_english_words_set
    from wordfreq import top_n_list, zipf_frequency

    web2 = get_english_words_set(["web2"], lower=False)

    def in_web2(word: str) -> bool:
        singulars = [word]
        if word.endswith("ies"):
            singulars.append(word[:-3] + "y")
        if word.endswith("es"):
            singulars.append(word[:-2])
        if word.endswith("s"):
            singulars.append(word[:-1])
        return any(s in web2 for s in singulars)

    lines = []
    for word in top_n_list("en", 100_000):
        if (
            re.fullmatch(r"[a-z][a-z'-]*", word)
            and (z := zipf_frequency(word, "en")) >= MIN_ZIPF
            and in_web2(word)
        ):
            lines.append(f"{word} {z:.2f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="remake the file (needs the bench extra)")
    parser.add_argument("--smoke", action="store_true", help="check the committed file only (CI)")
    args = parser.parse_args(argv)
    if args.write:
        OUT.write_text(HEADER + "\n".join(make()) + "\n", encoding="utf-8")
    table = tag_lexicon._zipf()
    everyday = sum(1 for z in table.values() if z >= tag_lexicon.ORDINARY_ZIPF)
    print(f"words in the list        {len(table)}")
    print(f"everyday (Zipf >= {tag_lexicon.ORDINARY_ZIPF})   {everyday}")
    for word in ("corner", "covenant", "apple", "chelsea", "microsoft"):
        print(f"  {word:22s} {'everyday' if tag_lexicon.ordinary(word) else 'not everyday'}")
    if len(table) < 10_000 or not tag_lexicon.ordinary("corner") or tag_lexicon.ordinary("chelsea"):
        print("the list looks wrong: remake it with --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
