"""Related posts' text features: the words an article is compared on (light-stemmed unigrams without
stop words, adjacent bigrams, the title counted ``TITLE_WEIGHT`` times) and its plain text and excerpt."""

from __future__ import annotations

import re

from newsdrop.models import Article

TITLE_WEIGHT = 2.0
BIGRAM_WEIGHT = 0.5
EXCERPT_CHARS = 240

_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*[a-z0-9]|[a-z0-9]")
_words = str.split  # word lists below, written as prose
STOP_WORDS = frozenset(
    _words(
        """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just let me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those through
    to too under until up very was we were what when where which while who whom why will with would you
    your yours yourself yourselves said says say mr mrs ms one two three four five new year years told
    people last first time make made many much well get got going go like since still may might must us
    back even way take however yet around another per cent week day month monday tuesday wednesday thursday
    friday saturday sunday"""
    )
)
# Words of discussion threads that say nothing of the subject ("Re: ...", "thanks, anyone know?").
FORUM_STOP = frozenset(
    _words(
        """re fw fwd writes wrote article articles post posted posting thanks thank anyone anybody know
    think thing things want need really something anything nothing someone everyone everything good
    use used using also could would should ask asked question questions answer please hi hello dear
    sure seem seems though although without within whether either neither every whole else often
    quite rather almost already always never sometimes together us put see seen look looks looking
    find found give given done point right actually probably maybe perhaps etc ie eg"""
    )
)
STOP_WORDS = STOP_WORDS | FORUM_STOP
_SUFFIXES = (
    ("ational", "ate"),
    ("ization", "ize"),
    ("iveness", "ive"),
    ("fulness", "ful"),
    ("ousness", "ous"),
    ("sses", "ss"),
    ("ies", "y"),
    ("ing", ""),
    ("edly", ""),
    ("ed", ""),
    ("ly", ""),
    ("es", ""),
    ("s", ""),
)


def stem(word: str) -> str:
    """A tiny suffix stripper: enough to join plural/tense variants, not a linguistic stemmer."""
    if len(word) <= 3:
        return word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            word = word[: -len(suffix)] + repl
            if suffix in ("ing", "ed") and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            return word
    return word


def tokens(text: str) -> list[str]:
    out = []
    for raw in _WORD.findall(text.lower().replace("\u2019", "'")):
        word = raw.strip("'-")
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) < 2 or word in STOP_WORDS or word.isdigit():
            continue
        out.append(stem(word))
    return out


def term_frequencies(title: str, text: str) -> dict[str, float]:
    """Raw (title-boosted) frequencies of unigrams and adjacent bigrams (joined with '_')."""
    tf: dict[str, float] = {}
    for toks, weight in ((tokens(text), 1.0), (tokens(title), TITLE_WEIGHT)):
        for tok in toks:
            tf[tok] = tf.get(tok, 0.0) + weight
        for a, b in zip(toks, toks[1:], strict=False):
            if a != b:
                key = f"{a}_{b}"
                tf[key] = tf.get(key, 0.0) + weight * BIGRAM_WEIGHT
    return tf


def excerpt_of(article: Article) -> str:
    text = (article.excerpt or "").strip()
    if len(text) > EXCERPT_CHARS:
        text = text[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "\u2026"
    return text


def article_text(article: Article) -> str:
    """The article's plain text, from the reader's HTML stored at ingest (standard library only: this
    function does not carry ingest's Markdown and HTML libraries)."""
    from newsdrop.ingest.text import html_text

    if article.body_html:
        return html_text(article.body_html)
    if article.body_format == "text":  # stored before body_html existed
        return article.body
    return html_text(re.sub(r"[#*_`>\[\]()]", " ", article.body))
