"""Text helpers: slugs, plain text of the reader's HTML, excerpts, word counts and reading time.

Standard library only: the related function imports this module too."""

from __future__ import annotations

import html
import re
import unicodedata

SLUG_MAX = 80
WORDS_PER_MINUTE = 230
ELLIPSIS = "\u2026"

# Letters that NFKD does not decompose into ASCII, plus a small Cyrillic table so Russian and Ukrainian
# names do not all collapse to the fallback slug.
_TRANSLIT = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "Th",
        "ı": "i",
        "ħ": "h",
        "Ħ": "H",
        "&": " and ",
        "'": "",
        "\u2019": "",
        "а": "a",
        "б": "b",
        "в": "v",
        "г": "g",
        "ґ": "g",
        "д": "d",
        "е": "e",
        "ё": "yo",
        "є": "ye",
        "ж": "zh",
        "з": "z",
        "и": "i",
        "і": "i",
        "ї": "yi",
        "й": "y",
        "к": "k",
        "л": "l",
        "м": "m",
        "н": "n",
        "о": "o",
        "п": "p",
        "р": "r",
        "с": "s",
        "т": "t",
        "у": "u",
        "ф": "f",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "",
        "ы": "y",
        "ь": "",
        "э": "e",
        "ю": "yu",
        "я": "ya",
    }
)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def to_ascii(text: str) -> str:
    """Transliterate to ASCII: accents dropped ("café" -> "cafe"), a few special letters spelled out."""
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLIT)
    # Cyrillic capitals: lower-case them through the table as well.
    text = "".join(ch.lower().translate(_TRANSLIT) if 0x400 <= ord(ch) <= 0x4FF else ch for ch in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


# What XML 1.0 cannot carry at all (C0 controls but tab and newlines, U+FFFE, U+FFFF, lone surrogates):
# one such character in a title makes every feed and sitemap that lists the article ill-formed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters no XML document may hold (invisible anyway)."""
    return _XML_INVALID.sub("", text)


def slug_or_empty(text: str, max_len: int = SLUG_MAX) -> str:
    """Like slugify, but returns "" when nothing usable is left."""
    slug = _NON_ALNUM.sub("-", to_ascii(text).lower()).strip("-")
    if len(slug) > max_len:
        cut = slug.rfind("-", 0, max_len + 1)
        slug = slug[:cut] if cut > 0 else slug[:max_len]
    return slug.strip("-")


def slugify(title: str) -> str:
    """URL slug: ASCII, lowercase, hyphen-separated, at most 80 characters cut at a hyphen, never empty."""
    return slug_or_empty(title) or "article"


# --- plain text -------------------------------------------------------------------------------------------

# The reader's HTML is nh3's output: well-formed, attribute values double-quoted, every "<" in text escaped.
# So one regex pass over its tags is exact, and linear (possessive quantifiers: no backtracking).
_TAG = re.compile(r"""<!--.*?-->|<(/?)([a-zA-Z][a-zA-Z0-9]*+)(?:[^>"']++|"[^"]*+"|'[^']*+')*+/?>""", re.S)
_BLOCKS = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre", "table",
        "thead", "tbody", "tfoot", "tr", "figure", "figcaption", "dl", "dt", "dd", "hr", "caption",
    }
)  # fmt: skip
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_text(body_html: str) -> str:
    """Readable text of the reader's HTML: tags removed, blocks separated by blank lines, entities decoded.

    Standard library only, so the related function (which has no HTML library) reads stored articles the
    way ingest does.
    """

    def replace(m: re.Match[str]) -> str:
        name = (m.group(2) or "").lower()
        if name == "br" or name == "li" and not m.group(1):
            return "\n"
        if name in _BLOCKS:
            return "\n\n"
        if name in ("td", "th"):
            return " "
        return ""

    return _tidy(html.unescape(_TAG.sub(replace, body_html)))


# --- excerpts and counts ----------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_TRAILING_PUNCT = " \t,;:-\u2013\u2014([{\"'\u201c\u2018/"


def make_excerpt(text: str, limit: int = 160) -> str:
    """At most ``limit`` characters of ``text``, whitespace collapsed, cut between words, "…" when cut.

    A first word longer than the limit (a pasted URL, say) is the one case that is cut inside a word.
    """
    text = _WS.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    limit = max(limit, 2)
    head = text[: limit - 1]  # leave room for the ellipsis
    cut = len(head) if text[limit - 1] == " " else head.rfind(" ")  # a space right at the limit is a boundary
    if cut <= 0:
        return head + ELLIPSIS
    head = head[:cut].rstrip(_TRAILING_PUNCT + ".!?")
    if not head:
        return text[: limit - 1] + ELLIPSIS
    return head + ELLIPSIS


_WORD = re.compile(r"[^\W_]+(?:['\u2019.\-][^\W_]+)*")


def word_count(text: str) -> int:
    """Number of words: "don't", "U.S." and "1.5bn" count once each."""
    return sum(1 for _ in _WORD.finditer(text))


def reading_minutes(words: int) -> int:
    """Minutes to read ``words`` words at about 230 words a minute, at least 1."""
    return max(1, int(words / WORDS_PER_MINUTE + 0.5))
