"""Text helpers: slugs, plain text from a body, excerpts, word counts and reading time."""

from __future__ import annotations

import html
import re
import unicodedata

from newsdrop.ingest.sanitize import html_to_text, sanitize_markdown

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

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*$", re.M)
_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_MD_REF_LINK = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_MD_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]+\]:[^\n]*$", re.M)
_MD_AUTOLINK = re.compile(r"<((?:https?|mailto):[^\s<>]+)>", re.I)
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+|[ \t]+#+[ \t]*$", re.M)
_MD_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$", re.M)
_MD_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$", re.M)
_MD_QUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+", re.M)
_MD_LIST = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+", re.M)
_MD_STAR = re.compile(r"(?<![*\\])(\*{1,3})(?=\S)(.+?)(?<=\S)\1(?!\*)", re.S)
_MD_UNDERSCORE = re.compile(r"(?<![\w\\])(_{1,3})(?=\S)(.+?)(?<=\S)\1(?!\w)", re.S)
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.S)
_MD_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_MD_TABLE_SEP = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$", re.M)
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")


def markdown_to_text(markdown: str) -> str:
    text = _FENCE.sub("", markdown)
    text = _MD_REF_DEF.sub("", text)
    text = _MD_TABLE_SEP.sub("", text)
    text = _MD_RULE.sub("", text)
    text = _MD_SETEXT.sub("", text)
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REF_LINK.sub(r"\1", text)
    text = _MD_AUTOLINK.sub(r"\1", text)
    if "<" in text:  # raw HTML inside Markdown: keep its text, drop tags and script/style content
        text = sanitize_markdown(text, keep_tags=False)
    text = _MD_HEADING.sub("", text)
    text = _MD_QUOTE.sub("", text)
    text = _MD_LIST.sub("", text)
    text = _MD_CODE.sub(r"\2", text)
    for _ in range(2):  # nested emphasis: ***a** b*
        text = _MD_STAR.sub(r"\2", text)
        text = _MD_UNDERSCORE.sub(r"\2", text)
    text = _MD_STRIKE.sub(r"\1", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    text = html.unescape(text)
    text = text.replace("|", " ") if "|" in text and _looks_like_table(markdown) else text
    return _tidy(text)


def _looks_like_table(markdown: str) -> bool:
    return _MD_TABLE_SEP.search(markdown) is not None


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def plain_text(body: str, body_format: str) -> str:
    """Readable text of a body: Markdown markers and HTML tags removed, paragraphs kept as blank lines."""
    if body_format == "html":
        return html_to_text(body)
    if body_format == "markdown":
        return markdown_to_text(body)
    return _tidy(body.replace("\r\n", "\n").replace("\r", "\n"))


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
