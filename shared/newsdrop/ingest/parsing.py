"""Turn one dropped file (bytes + name) into an ArticleDraft, or reject it with a reason an editor can act on.

Formats: Markdown with YAML front matter, JSON, HTML pages (only the article survives) and plain text.
The format comes from the file extension; an unknown extension is sniffed from the content.
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import yaml

from newsdrop.ingest import body as bodies
from newsdrop.ingest.tagging import MAX_TAGS, tag_key
from newsdrop.ingest.text import html_text, slug_or_empty
from newsdrop.models import MAX_OBJECT_BYTES, BodyFormat, RejectedInput, RejectReason


@dataclass(kw_only=True)
class ArticleDraft:
    """What a parser extracts from one file, before identity, tagging and derived fields."""

    title: str
    body: str  # the editor's source, exactly as written (Markdown, HTML or text)
    body_html: str = ""  # what readers get: body rendered, then sanitized (newsdrop.ingest.body)
    body_format: BodyFormat
    author: str | None = None
    # Each author on their own ("author" joins them for what was stored and hashed before). Not in the
    # content hash: it only restates "author".
    authors: list[str] = field(default_factory=list)
    date: datetime | None = None
    slug: str | None = None
    summary: str | None = None
    tags: list[str] = field(default_factory=list)  # editor tags, as written
    # Editorial lifecycle (Hugo's draft/publishDate/expiryDate, Ghost's "publish and send")
    draft: bool = False
    expires: datetime | None = None
    notify: bool = True


MAX_NESTING = 20
# A real article page has a few thousand elements. HTML5 tree building (lexbor's, and html5ever's in nh3)
# walks the stack of open elements for each new block, so unclosed nesting costs depth x elements: 78,000
# nested <div>s (384 KB) took ~90 s here. Tags are counted before any parsing, and 20,000 keeps the worst
# nesting to a few seconds (bench/hostile_input.py).
MAX_HTML_ELEMENTS = 20_000
_START_TAG = re.compile(r"<[A-Za-z]")
MAX_FRONT_MATTER_CHARS = 64 * 1024
MAX_TITLE_CHARS = 300
MAX_AUTHOR_CHARS = 200
MAX_SUMMARY_CHARS = 1000
# The body as written plus its reader's HTML must fit one DynamoDB item (400 KB); the item's size is
# checked exactly before the write (newsdrop.ingest.store.item_size), this only refuses early what can
# never fit, before any rendering.
MAX_BODY_BYTES = 390 * 1024
# Markdown renders to at least about its own size in HTML, so more than half an item cannot be stored;
# refusing it before rendering also bounds markdown-it's worst inputs (a paragraph of "![" costs ~50 us a
# byte, linear): 200 KB renders in ~10 s at worst on a loaded 2-core machine, far from the 60 s timeout.
MAX_MARKDOWN_BYTES = 200 * 1024

EXTENSIONS: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
}
# Formats editors commonly try; named in the rejection so they know what to export instead.
KNOWN_UNSUPPORTED = {
    ".docx": "a Word document",
    ".doc": "a Word document",
    ".odt": "an OpenDocument text file",
    ".rtf": "a Rich Text file",
    ".pages": "a Pages document",
    ".pdf": "a PDF",
    ".zip": "a zip archive",
    ".png": "an image",
    ".jpg": "an image",
    ".jpeg": "an image",
    ".gif": "an image",
    ".webp": "an image",
    ".xlsx": "a spreadsheet",
}
MAGIC_NUMBERS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive (a .docx/.odt document is one)"),
    (b"PK\x05\x06", "a zip archive"),
    (b"%PDF", "a PDF"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Word/Office document (.doc)"),
    (b"{\\rtf", "a Rich Text (.rtf) file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"RIFF", "a media file"),
    (b"\x00\x00\x00", "a binary file"),
)
EXPORT_HINT = "Export the article as Markdown (.md), HTML (.html), JSON (.json) or plain text (.txt)."

# --- entry point --------------------------------------------------------------------------------------------


def parse_article(data: bytes, filename: str) -> ArticleDraft:
    """Parse one dropped file. Raises RejectedInput (never anything else) when it cannot become an article."""
    if len(data) > MAX_OBJECT_BYTES:
        raise RejectedInput(
            RejectReason.TOO_LARGE,
            f"The file is {len(data):,} bytes; the limit is {MAX_OBJECT_BYTES:,}. "
            "News articles are much smaller: check that this is the right file.",
        )
    if not data.strip(b" \t\r\n\x0b\x0c"):
        raise RejectedInput(RejectReason.EMPTY, "The file is empty: there is nothing to publish.")
    ext = _extension(filename)
    _reject_binary(data, ext)
    fmt = EXTENSIONS.get(ext)
    if fmt is None and not _has_text_bom(data) and b"\x00" in data[:8192]:
        raise RejectedInput(
            RejectReason.UNSUPPORTED_TYPE, f"This looks like a binary file, not an article. {EXPORT_HINT}"
        )
    text = decode_text(data)
    if not text.strip():
        raise RejectedInput(
            RejectReason.EMPTY, "The file holds only blank space: there is nothing to publish."
        )
    if fmt is None:
        fmt = _sniff(text)
    if fmt == "markdown":
        return _parse_markdown(text)
    if fmt == "json":
        return _parse_json(text)
    if fmt == "html":
        return _parse_html(text)
    return _parse_text(text)


def _extension(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _has_text_bom(data: bytes) -> bool:
    return data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def _reject_binary(data: bytes, ext: str) -> None:
    if ext in KNOWN_UNSUPPORTED:
        raise RejectedInput(
            RejectReason.UNSUPPORTED_TYPE,
            f"This is {KNOWN_UNSUPPORTED[ext]} ({ext}), which Newsdrop cannot read. {EXPORT_HINT}",
        )
    if _has_text_bom(data):
        return
    for magic, what in MAGIC_NUMBERS:
        if data.startswith(magic):
            raise RejectedInput(
                RejectReason.UNSUPPORTED_TYPE,
                f"The file ({ext or 'no extension'}) contains {what}, not an article. {EXPORT_HINT}",
            )


_HTML_START = re.compile(r"<(?:!doctype|html|head|body|article|main|div|p|h[1-6]|section|meta)\b", re.I)


def _sniff(text: str) -> str:
    head = text.lstrip()[:1024]
    if head.startswith("{"):
        return "json"
    if head.startswith("---"):
        return "markdown"
    if _HTML_START.match(head):
        return "html"
    if re.match(r"#{1,6} \S", head):
        return "markdown"
    return "text"


# --- decoding -----------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_NEWLINES = re.compile(r"\r\n?|\u2028|\u2029|\x85")


def decode_text(data: bytes) -> str:
    """Decode an editor's file: UTF-8 (BOM optional), UTF-16 with BOM, else Windows-1252.

    Newlines become "\\n" and the text is NFC-normalized. Raises RejectedInput(UNDECODABLE) for bytes
    that are none of these, or text full of control characters (a binary file with a text name).
    """
    try:
        if data.startswith(codecs.BOM_UTF8):
            text = data[3:].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise RejectedInput(
            RejectReason.UNDECODABLE,
            f"The text cannot be read (invalid byte 0x{data[exc.start]:02x} at offset {exc.start}): it is "
            "neither UTF-8 nor Windows-1252. Save the file as UTF-8 and drop it again.",
        ) from None
    text = _NEWLINES.sub("\n", text).replace("\ufeff", "")
    text = text.rstrip("\x1a")  # DOS end-of-file marker from very old editors
    controls = len(_CONTROL.findall(text))
    if controls:
        if controls > 8 or controls * 50 > len(text):
            raise RejectedInput(
                RejectReason.UNDECODABLE,
                f"The file contains {controls} control characters, so it is not readable text (is it a "
                "binary file with a text name?). Save the article as UTF-8 text and drop it again.",
            )
        text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def _clean_value(text: str) -> str:
    """Strings from JSON/YAML escapes ("\\u0000", "\\r") get the same clean-up as decoded files."""
    text = _SURROGATES.sub("\ufffd", _CONTROL.sub("", _NEWLINES.sub("\n", text)))
    return unicodedata.normalize("NFC", text)


_SURROGATES = re.compile("[\ud800-\udfff]")


# --- fields -------------------------------------------------------------------------------------------------


def _invalid(field: str, problem: str) -> RejectedInput:
    return RejectedInput(RejectReason.INVALID_FIELD, f"The '{field}' field {problem}")


def _clean_line(value: str) -> str:
    return " ".join(value.split())


# Characters that take no space: a title made of these and spaces is no title.
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060-\u2064\u206a-\u206f\ufeff\u00ad\u034f\u180e]+")


def _string_field(value: Any, field: str, limit: int) -> str | None:
    """A field as one line of text. Fields are text, not HTML: "Why x<y matters" stays whole; only a
    WordPress export's {"rendered": "..."} is HTML, and gives its text."""
    if value is None:
        return None
    rendered = isinstance(value, dict) and isinstance(value.get("rendered"), str)  # WordPress REST export
    if rendered:
        value = value["rendered"]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _invalid(field, f"must be text, but it is {_describe(value)}.")
    text = _clean_value(str(value))
    if rendered:
        text = bodies.html_fragment_text(text)
    text = _clean_line(text)
    if not _INVISIBLE.sub("", text):
        return None
    if len(text) > limit:
        raise _invalid(field, f"is {len(text)} characters long; the limit is {limit}.")
    return text or None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a yes/no value ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of key/value pairs"
    return f"a {type(value).__name__}"


def _author(value: Any) -> str | None:
    if isinstance(value, list):
        names = [_string_field(_name(v), "author", MAX_AUTHOR_CHARS) for v in value]
        value = ", ".join(n for n in names if n) or None
    elif isinstance(value, dict) and "name" in value:
        value = value["name"]
    return _string_field(value, "author", MAX_AUTHOR_CHARS)


def _authors(value: Any) -> list[str]:
    if isinstance(value, list):
        return [n for n in (_string_field(_name(v), "author", MAX_AUTHOR_CHARS) for v in value) if n]
    single = _author(value)
    return [single] if single else []


def _name(value: Any) -> Any:
    return value.get("name") if isinstance(value, dict) else value


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise _invalid(
            "tags", f'must be a list like [Politics, Venezuela] or text like "Politics, Venezuela", '
            f"but it is {_describe(value)}."
        )  # fmt: skip
    tags: list[str] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise _invalid(
                "tags", f"must hold only words or short phrases, but one entry is {_describe(item)}."
            )
        tag = _clean_value(str(item))
        if "<" in tag:  # "<b>World</b>": a tag is a word, so its markup goes and its text stays
            tag = bodies.html_fragment_text(tag)
        tag = _clean_line(tag)
        if _INVISIBLE.sub("", tag):
            tags.append(tag)
    distinct = {tag_key(t.lstrip("#")) for t in tags} - {""}
    if len(distinct) > MAX_TAGS:
        # Cutting would silently drop topics readers follow: the editor chooses which ones stay.
        raise _invalid(
            "tags", f"has {len(distinct)} different tags; the limit is {MAX_TAGS}. Keep the {MAX_TAGS} that "
            "matter most (automatic tags add the people and places named in the story)."
        )  # fmt: skip
    return tags


_JEKYLL_OFFSET = re.compile(r"^(.*\d)\s+([+-]\d{2}:?\d{2}|Z|UTC|GMT)$")


def parse_date(value: Any, field: str = "date") -> datetime | None:
    """A publication date from ISO 8601 ("2024-03-05", "2024-03-05T09:30:00Z", Jekyll's "2024-03-05 09:30:00
    +0100") or RFC 2822 text. Dates without a time zone are taken as UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, str):
        parsed = _parse_date_text(value.strip())
    else:
        raise _invalid(field, f"must be a date written like 2024-03-05 or 2024-03-05T09:30:00Z, "
                       f"but it is {_describe(value)}.")  # fmt: skip
    if parsed is None:
        raise _invalid(field, f"'{str(value)[:60]}' is not a date Newsdrop understands; write it like "
                       "2024-03-05 or 2024-03-05T09:30:00Z.")  # fmt: skip
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1900 <= parsed.year <= 2200:
        raise _invalid(field, f"'{str(value)[:60]}' is outside the years 1900-2200; check for a typo.")
    return parsed


def _parse_date_text(text: str) -> datetime | None:
    m = _JEKYLL_OFFSET.match(text)
    candidate = f"{m.group(1)}{'+00:00' if m.group(2) in ('Z', 'UTC', 'GMT') else m.group(2)}" if m else text
    for attempt in (candidate, candidate.replace(" ", "T", 1)):
        try:
            return datetime.fromisoformat(attempt)
        except ValueError:
            pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _title(value: Any, hint: str) -> str:
    title = _string_field(value, "title", MAX_TITLE_CHARS)
    if not title:
        blank = isinstance(value, str) and value != ""
        what = "only spaces or invisible characters" if blank else "no title"
        raise RejectedInput(
            RejectReason.MISSING_TITLE,
            f"The article has {what}{' as its title' if blank else ''}. {hint}",
        )
    return title


def _draft(
    fields: dict[str, Any], body: str, body_format: BodyFormat, title_hint: str, body_html: str | None = None
) -> ArticleDraft:
    title = _title(fields.get("title"), title_hint)
    if body_html is None:
        body_html = reader_html(body, body_format)
    if not _has_text(body_html):
        raise RejectedInput(
            RejectReason.MISSING_BODY,
            f"The article '{title[:80]}' has a title but no body text. Add the story below the title.",
        )
    slug = _string_field(fields.get("slug"), "slug", MAX_TITLE_CHARS)
    return ArticleDraft(
        title=title,
        body=body,
        body_html=body_html,
        body_format=body_format,
        author=_author(fields.get("author")),
        authors=_authors(fields.get("author")),
        date=parse_date(fields.get("date")),
        slug=slug_or_empty(slug) or None if slug else None,
        summary=_string_field(fields.get("summary"), "summary", MAX_SUMMARY_CHARS),
        tags=_tags(fields.get("tags")),
        draft=_yes_no(fields.get("draft"), "draft", default=False),
        expires=parse_date(fields.get("expires"), "expires"),
        notify=_yes_no(fields.get("notify"), "notify", default=True),
    )


_YES = frozenset({"true", "yes", "on", "1"})
_NO = frozenset({"false", "no", "off", "0"})


def _yes_no(value: Any, field: str, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise _invalid(field, f"must be true or false, but it is {_describe(value)}.")


def reader_html(source: str, body_format: BodyFormat) -> str:
    """The reader's HTML of a body, from the editor's source: rendered, then sanitized (never the source
    itself: Markdown is not edited as text)."""
    size = len(source.encode("utf-8", "replace"))
    limit = MAX_MARKDOWN_BYTES if body_format == "markdown" else MAX_BODY_BYTES
    if size > limit:
        # It could not be stored (a DynamoDB item holds 400 KB), so it is not worth rendering either.
        raise RejectedInput(RejectReason.TOO_LARGE, body_too_large(size, limit))
    if body_format != "text":
        _refuse_too_many_tags(source)
    if body_format == "markdown":
        return bodies.markdown_html(source)
    if body_format == "html":
        return bodies.sanitize(source)
    return bodies.text_html(source)


def _refuse_too_many_tags(source: str) -> None:
    tags = sum(1 for _ in _START_TAG.finditer(source))
    if tags > MAX_HTML_ELEMENTS:
        raise RejectedInput(
            RejectReason.TOO_COMPLEX,
            f"The HTML has {tags:,} tags, more than {MAX_HTML_ELEMENTS:,}. Export just the article, not a "
            "whole site page or feed.",
        )


def body_too_large(size: int, limit: int = MAX_BODY_BYTES) -> str:
    return (
        f"The article body is {size:,} bytes; the limit is {limit:,}: an article is stored in one database "
        "item (400 KB) together with its reader's HTML. Split the story, or move tables and embedded images "
        "out of it."
    )


def _has_text(body_html: str) -> bool:
    return any(ch.isalnum() for ch in html_text(body_html))


# Accepted spellings of each field (keys are compared lower-cased).
FIELD_ALIASES = {
    "title": ("title", "headline"),
    "author": ("author", "authors", "byline"),
    "date": ("date", "published", "publishdate", "published_at", "pubdate"),
    "slug": ("slug",),
    "summary": ("summary", "description", "excerpt", "standfirst"),
    "tags": ("tags", "keywords"),
    # the editorial lifecycle: Hugo's names are aliases
    "draft": ("draft",),
    "expires": ("expires", "expirydate", "expiry_date", "expires_at", "expiration"),
    "notify": ("notify",),
}


def _fields(mapping: dict[Any, Any]) -> dict[str, Any]:
    lowered = {str(k).strip().lower(): v for k, v in mapping.items()}
    return {
        field: next((lowered[a] for a in names if a in lowered), None)
        for field, names in FIELD_ALIASES.items()
    }


# --- Markdown -----------------------------------------------------------------------------------------------


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases (billion-laughs), limits nesting, and keeps scalars as text.

    Only null and true/false are resolved; dates, numbers and YAML 1.1 yes/no stay strings, so "title: No"
    and "date: 2024-02-30" reach our own validation instead of surprising conversions or crashes.
    """

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _TooComplex("it uses YAML aliases (*name), which Newsdrop does not accept")
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise _TooComplex("it uses YAML anchors (&name), which Newsdrop does not accept")
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise _TooComplex(f"it is nested more than {MAX_NESTING} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_FrontMatterLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_FrontMatterLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _TooComplex(Exception):
    pass


_FRONT_MATTER_OPEN = re.compile(r"\A\s*---[ \t]*\n")
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_ATX_H1 = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*(?:\n|\Z)")
_SETEXT_H1 = re.compile(r"\A\s*([^\n]+)\n=+[ \t]*(?:\n|\Z)")

MD_TITLE_HINT = (
    "Start the file with front matter such as:\n---\ntitle: Your headline\nauthor: Your name\n---\n"
    "or make the first line a heading: # Your headline"
)


def _parse_markdown(text: str) -> ArticleDraft:
    fields: dict[str, Any] = {}
    body = text
    opening = _FRONT_MATTER_OPEN.match(text)
    if opening:
        closing = _FRONT_MATTER_CLOSE.search(text, opening.end())
        if closing is None:
            raise RejectedInput(
                RejectReason.BAD_FRONT_MATTER,
                "The front matter starts with '---' but never ends: add a line with just '---' after the "
                "last field (title, author, date, tags...).",
            )
        raw = text[opening.end() : closing.start()]
        body = text[closing.end() :]
        fields = _fields(_load_front_matter(raw))
    body = body.strip("\n")
    if not fields.get("title"):
        heading = _ATX_H1.match(body) or _SETEXT_H1.match(body)
        if heading:
            fields["title"] = heading.group(1)
            body = body[heading.end() :]
    else:
        heading = _ATX_H1.match(body)
        if heading and _clean_line(heading.group(1)) == _clean_line(str(fields["title"])):
            body = body[heading.end() :]  # the same headline repeated as the first line
    return _draft(fields, body.strip("\n"), "markdown", MD_TITLE_HINT)


def _load_front_matter(raw: str) -> dict[Any, Any]:
    if len(raw) > MAX_FRONT_MATTER_CHARS:
        raise RejectedInput(
            RejectReason.TOO_COMPLEX,
            f"The front matter is {len(raw):,} characters; the limit is {MAX_FRONT_MATTER_CHARS:,}. "
            "Keep it to the article's fields and put the story below the closing '---'.",
        )
    loader: _FrontMatterLoader | None = None
    try:
        loader = _FrontMatterLoader(raw)
        data = loader.get_single_data()
    except _TooComplex as exc:
        raise RejectedInput(RejectReason.TOO_COMPLEX, f"The front matter is too complex: {exc}.") from None
    except yaml.MarkedYAMLError as exc:
        where = f" on line {exc.problem_mark.line + 2}" if exc.problem_mark else ""
        raise RejectedInput(
            RejectReason.BAD_FRONT_MATTER,
            f"The front matter is not valid YAML{where}: {exc.problem or exc.context}. Check for a missing "
            "colon, a stray quote or bad indentation; quote titles that contain a colon.",
        ) from None
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise RejectedInput(
            RejectReason.BAD_FRONT_MATTER, f"The front matter is not valid YAML ({type(exc).__name__})."
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RejectedInput(
            RejectReason.BAD_FRONT_MATTER,
            "The front matter must be 'field: value' lines (title: ..., author: ...), "
            f"but it is {_describe(data) if not isinstance(data, str) else 'a single line of text'}.",
        )
    return data


# --- JSON ---------------------------------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


def _json_depth_exceeds(text: str, limit: int) -> bool:
    """True if brackets (outside strings) nest deeper than ``limit``; no recursion, stops early."""
    depth = 0
    for m in _JSON_BRACKETS.finditer(_JSON_STRING.sub("", text)):
        if m.group(0) in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


JSON_TITLE_HINT = 'Add a "title" field, e.g. {"title": "Your headline", "body": "..."}.'


_BODY_KEYS = ("body", "content", "text", "html")


def _parse_json(text: str) -> ArticleDraft:
    if _json_depth_exceeds(text, MAX_NESTING):
        raise RejectedInput(
            RejectReason.TOO_COMPLEX, f"The JSON is nested more than {MAX_NESTING} levels deep; an article "
            "needs only a flat object of fields."
        )  # fmt: skip
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RejectedInput(
            RejectReason.BAD_JSON,
            f"The JSON is not valid at line {exc.lineno}, column {exc.colno}: {exc.msg}. "
            "Check for a missing comma or quote.",
        ) from None
    except RecursionError:
        raise RejectedInput(RejectReason.TOO_COMPLEX, "The JSON is nested too deeply.") from None
    except ValueError as exc:  # e.g. integers with more than 4300 digits
        raise RejectedInput(RejectReason.BAD_JSON, f"The JSON cannot be read: {exc}.") from None
    if not isinstance(data, dict):
        raise RejectedInput(
            RejectReason.BAD_JSON,
            f'The JSON must be one object like {{"title": ..., "body": ...}}, but it is {_describe(data)}.',
        )
    lowered = {str(k).strip().lower(): v for k, v in data.items()}
    raw_body = next((lowered[k] for k in _BODY_KEYS if lowered.get(k) is not None), None)
    if isinstance(raw_body, dict) and isinstance(raw_body.get("rendered"), str):
        raw_body = raw_body["rendered"]
        declared = "html"
    else:
        declared = str(lowered.get("format") or lowered.get("body_format") or "").strip().lower()
    if raw_body is not None and not isinstance(raw_body, str):
        raise _invalid("body", f"must be the article text, but it is {_describe(raw_body)}.")
    body_text = _clean_value(raw_body or "").strip()
    body_format: BodyFormat
    if declared in ("html", "text", "markdown"):
        body_format = declared  # type: ignore[assignment]
    elif declared in ("md", "commonmark", "gfm"):
        body_format = "markdown"
    elif declared in ("plain", "txt", "plaintext"):
        body_format = "text"
    elif _looks_like_html(body_text):
        body_format = "html"
    else:
        body_format = "markdown"
    return _draft(_fields(data), body_text, body_format, JSON_TITLE_HINT)


_HTML_BLOCK = re.compile(r"<(p|div|h[1-6]|ul|ol|blockquote|figure|article|section|br)\b[^>]*>", re.I)


def _looks_like_html(text: str) -> bool:
    return text.startswith("<") and _HTML_BLOCK.search(text[:2000]) is not None


# --- HTML pages ---------------------------------------------------------------------------------------------

HTML_TITLE_HINT = "Give the page an <h1> headline (or a <title>) for the article."


def _parse_html(text: str) -> ArticleDraft:
    if len(text.encode("utf-8", "replace")) > MAX_BODY_BYTES:
        raise RejectedInput(RejectReason.TOO_LARGE, body_too_large(len(text.encode("utf-8", "replace"))))
    _refuse_too_many_tags(text)
    page = bodies.parse_page(text, MAX_HTML_ELEMENTS)
    if page.elements > MAX_HTML_ELEMENTS:
        raise RejectedInput(
            RejectReason.TOO_COMPLEX,
            f"The HTML has {page.elements:,} elements, more than {MAX_HTML_ELEMENTS:,}. Export just the "
            "article, not a whole site page or feed.",
        )
    fields = {
        "title": page.title,
        "author": page.author,
        "date": page.published,
        "tags": page.tags,
        "summary": page.summary,
        "expires": page.expires,
    }
    # The page as dropped is the editor's source; readers get only its article, sanitized.
    return _draft(fields, text, "html", HTML_TITLE_HINT, body_html=bodies.sanitize(page.article_html))


# --- plain text ---------------------------------------------------------------------------------------------

_TEXT_BYLINE = re.compile(r"^(?:By|BY|Author:)\s+((?:[A-Z][\w.'\u2019-]*\s*){1,5})$")


def _parse_text(text: str) -> ArticleDraft:
    lines = text.strip("\n").split("\n")
    index = next((i for i, line in enumerate(lines) if line.strip()), 0)
    title = lines[index].strip().lstrip("#").strip() if lines else ""
    rest = lines[index + 1 :]
    author = None
    first = next((i for i, line in enumerate(rest) if line.strip()), None)
    if first is not None:
        m = _TEXT_BYLINE.match(rest[first].strip())
        if m:
            author = m.group(1).strip()
            rest = rest[first + 1 :]
    body = "\n".join(line.rstrip() for line in rest).strip("\n")
    hint = "In a .txt file the first line is the headline and the story follows it."
    if len(title) > MAX_TITLE_CHARS:
        raise _invalid(
            "title",
            f"(the first line of a .txt file) is {len(title):,} characters long; the limit is "
            f"{MAX_TITLE_CHARS}. {hint} Put a short headline on its own line at the top, then a blank line.",
        )
    return _draft({"title": title, "author": author}, body, "text", hint)
