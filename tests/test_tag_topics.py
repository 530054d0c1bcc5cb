"""Topic keywords are found word by word (tag_lexicon.topic_hits) exactly where the one regular expression of
all of them, which it replaced, found them: the same topic for the same word, in the same order."""

import re
from pathlib import Path

from newsdrop.ingest.tag_lexicon import _TOPICS, topic_hits

DATA = Path(__file__).resolve().parent / "data"


def _pattern(word: str) -> str:
    return re.escape(word[:-1]) + r"\w*" if word.endswith("*") else re.escape(word)


def _one_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """The expression topic_hits replaced: every keyword of every topic, in one alternation, the keywords of
    two words ("interest_rate*": "interest rates") first."""
    owner: dict[str, str] = {}
    parts: list[str] = []
    for index, (topic, words) in enumerate(_TOPICS.items()):
        phrases = [w for w in words.split() if "_" in w]
        if phrases:
            owner[f"p{index}"] = topic
            alternatives = (re.escape(w.split("_")[0]) + r"\s+" + _pattern(w.split("_")[1]) for w in phrases)
            parts.insert(0, f"(?P<p{index}>" + "|".join(alternatives) + ")")
    for index, (topic, words) in enumerate(_TOPICS.items()):
        owner[f"t{index}"] = topic
        alternatives = sorted((_pattern(w) for w in words.split() if "_" not in w), key=len, reverse=True)
        parts.append(f"(?P<t{index}>" + "|".join(alternatives) + ")")
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b"), owner


def _by_pattern(text: str) -> list[tuple[str, str]]:
    pattern, owner = _one_pattern()
    return [(owner[m.lastgroup or ""], m.group(0)) for m in pattern.finditer(text)]


def test_every_keyword_with_every_ending_is_found_as_the_one_pattern_found_it():
    words = [w.rstrip("*").replace("_", " ") for ws in _TOPICS.values() for w in ws.split()]
    variants = [
        f"{pre}{w}{end}" for w in words for pre in ("", "un", "_") for end in ("", "s", "ing", "_x", "2", "é")
    ]
    text = " ".join(variants) + " " + ", ".join(words) + " " + "-".join(words) + " " + "".join(words)
    found = list(topic_hits(text))
    assert found == _by_pattern(text)
    assert ("Politics", "elections") in found and ("Economy", "economs") in found  # keyword endings
    assert ("Business", "bank") in found  # Business comes before Economy: a word both name is Business's
    assert ("Sport", "world cup") in found and ("Economy", "interest rates") in found  # keywords of two words
    assert ("Sport", "world") not in found  # ... whose words alone are nothing


def test_prose_gives_the_same_hits():  # the CommonMark spec, README, XSS vectors: a few thousand lines
    files = sorted(p for p in DATA.rglob("*") if p.is_file())
    texts = [p.read_text(encoding="utf-8", errors="replace").lower() for p in files]
    texts = [" ".join(t.split()) for t in texts if t.strip()]
    assert texts
    for text in texts:
        assert list(topic_hits(text)) == _by_pattern(text)
