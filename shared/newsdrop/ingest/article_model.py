"""An article's fields as editors write them, read by one pydantic model: Markdown front matter, a JSON
object and an HTML page's <meta> (each found by its reader, newsdrop.ingest.readers) all go through
``ArticleFields``, whose aliases are the names editors use and whose validators are the rules of
docs/editors.md ("Fields").

Its errors become reject reasons in one place, ``rejection``: a ValidationError's first entry (fields are
validated in the model's order, which is the order the checks have always run in, so a file with two
problems is rejected for the same one as before) gives the field and the problem, the reason and the
editor's sentence ("The 'date' field ... write it like 2024-03-05"). Those sentences are the validators'
own (``PydanticCustomError``: the problem is its ``problem`` context), or, for a text too long, made from
pydantic's ``string_too_long``.

What the file cannot say is given by its reader in the validation context (``Source``): where the body
is, in which format, and, for an HTML page, its article's HTML. A file's own ``body_html`` key is never
read.
"""

# No "from __future__ import annotations": pydantic would evaluate every annotation string again (cold start).

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any, NamedTuple

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, PydanticKnownError

from newsdrop.images.refs import is_image_key, is_local_ref
from newsdrop.ingest import body as bodies
from newsdrop.ingest.decoding import SURROGATES, clean_value
from newsdrop.ingest.draft import ArticleDraft
from newsdrop.ingest.rendering import has_text, reader_html
from newsdrop.ingest.tagging import MAX_TAGS, tag_key
from newsdrop.ingest.text import slug_or_empty
from newsdrop.models import BodyFormat, RejectedInput, RejectReason

MAX_TITLE_CHARS = 300
MAX_AUTHOR_CHARS = 200
MAX_SUMMARY_CHARS = 1000
MAX_IMAGE_PATH_CHARS = 500
MAX_CAPTION_CHARS = 1000

# Where a JSON object keeps its body, first present (and not null) wins.
BODY_KEYS = ("body", "content", "text", "html")


class Source(NamedTuple):
    """What the reader of a file knows that its fields do not say: the validation context.

    ``body`` None means the fields hold it (a JSON object: ``BODY_KEYS``, its format in ``format``)."""

    title_hint: str  # how this format gives a title, for a file without one
    body: str | None = None
    body_format: BodyFormat | None = None
    body_html: str | None = None  # already made by the reader (an HTML page's article, sanitized)
    title_is_first_line: bool = False  # a .txt file: the title is its first line, named so when too long


_JSON_OBJECT = Source(title_hint='Add a "title" field, e.g. {"title": "Your headline", "body": "..."}.')


def _problem(kind: str, problem: str, field: str | None = None) -> PydanticCustomError:
    """An error whose ``problem`` completes "The '<field>' field ..." (or is the whole sentence, for the
    reasons of their own: missing_title, missing_body). A lone surrogate quoted from the file (a JSON
    "\\ud800") becomes U+FFFD: pydantic's errors are UTF-8, and so is the quarantine report."""
    problem = SURROGATES.sub("\ufffd", problem)
    return PydanticCustomError(kind, "{problem}", {"problem": problem} | ({"field": field} if field else {}))


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a yes/no value ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of key/value pairs"
    return f"a {type(value).__name__}"


def one_line(value: str) -> str:
    return " ".join(value.split())


# Characters that take no space: a title made of these and spaces is no title.
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060-\u2064\u206a-\u206f\ufeff\u00ad\u034f\u180e]+")


def text_line(value: Any) -> str | None:
    """A field as one line of text (its length is the field's constraint). Fields are text, not HTML: "Why
    x<y matters" stays whole; only a WordPress export's {"rendered": "..."} is HTML, and gives its text."""
    if value is None:
        return None
    rendered = isinstance(value, dict) and isinstance(value.get("rendered"), str)  # WordPress REST export
    if rendered:
        value = value["rendered"]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _problem("not_text", f"must be text, but it is {describe(value)}.")
    text = clean_value(str(value))
    if rendered:
        text = bodies.html_fragment_text(text)
    text = one_line(text)
    return text if _INVISIBLE.sub("", text) else None


def Line(limit: int) -> Any:  # noqa: N802 (a type)
    """One line of text, at most ``limit`` characters once cleaned, or None (absent, or only blanks)."""
    return Annotated[Annotated[str, StringConstraints(max_length=limit)] | None, BeforeValidator(text_line)]


def _name(value: Any) -> Any:
    return value.get("name") if isinstance(value, dict) else value


def _one_author(value: Any) -> str | None:
    return text_line(value["name"] if isinstance(value, dict) and "name" in value else value)


def _byline_names(value: Any) -> list[str]:
    """Each author on their own: a list of names or {"name": ...} objects, or one of them."""
    if isinstance(value, list):
        return [n for n in (text_line(_name(v)) for v in value) if n]
    single = _one_author(value)
    return [single] if single else []


def _byline(value: Any) -> str | None:
    """The authors joined with commas, as stored and hashed before co-authors had a field of their own."""
    if isinstance(value, list):
        return ", ".join(_byline_names(value)) or None
    return _one_author(value)


def _tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    else:
        raise _problem(
            "not_tags", f'must be a list like [Politics, Venezuela] or text like "Politics, Venezuela", '
            f"but it is {describe(value)}."
        )  # fmt: skip
    tags: list[str] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise _problem(
                "not_tags", f"must hold only words or short phrases, but one entry is {describe(item)}."
            )
        tag = clean_value(str(item))
        if "<" in tag:  # "<b>World</b>": a tag is a word, so its markup goes and its text stays
            tag = bodies.html_fragment_text(tag)
        tag = one_line(tag)
        if _INVISIBLE.sub("", tag):
            tags.append(tag)
    distinct = {tag_key(t.lstrip("#")) for t in tags} - {""}
    if len(distinct) > MAX_TAGS:
        # Cutting would silently drop topics readers follow: the editor chooses which ones stay.
        raise _problem(
            "too_many_tags", f"has {len(distinct)} different tags; the limit is {MAX_TAGS}. Keep the "
            f"{MAX_TAGS} that matter most (automatic tags add the people and places named in the story)."
        )  # fmt: skip
    return tags


_JEKYLL_OFFSET = re.compile(r"^(.*\d)\s+([+-]\d{2}:?\d{2}|Z|UTC|GMT)$")


def parse_date(value: Any) -> datetime | None:
    """A moment from ISO 8601 ("2024-03-05", "2024-03-05T09:30:00Z", Jekyll's "2024-03-05 09:30:00 +0100")
    or RFC 2822 text. Without a time zone it is UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, str):
        parsed = _parse_date_text(value.strip())
    else:
        raise _problem("not_a_date", "must be a date written like 2024-03-05 or 2024-03-05T09:30:00Z, "
                       f"but it is {describe(value)}.")  # fmt: skip
    if parsed is None:
        raise _problem("not_a_date", f"'{str(value)[:60]}' is not a date Newsdrop understands; write it like "
                       "2024-03-05 or 2024-03-05T09:30:00Z.")  # fmt: skip
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1900 <= parsed.year <= 2200:
        raise _problem("not_a_date", f"'{str(value)[:60]}' is outside the years 1900-2200; check for a typo.")
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


def _beside_the_article(image: str | None) -> None:
    if image and not (is_local_ref(image) and is_image_key(image)):
        raise _problem(
            "not_an_image", f"'{image[:80]}' is not an image file beside the article: name a .jpg, .png, "
            ".webp or .gif dropped in the same folder, like 'image: harbour.jpg'.", field="image"
        )  # fmt: skip


_YES = frozenset({"true", "yes", "on", "1"})
_NO = frozenset({"false", "no", "off", "0"})

Moment = Annotated[datetime | None, BeforeValidator(parse_date)]
TitleLine = Line(MAX_TITLE_CHARS)
AuthorLine = Line(MAX_AUTHOR_CHARS)
SummaryLine = Line(MAX_SUMMARY_CHARS)
CaptionLine = Line(MAX_CAPTION_CHARS)
ImageLine = Line(MAX_IMAGE_PATH_CHARS)
Slug = Annotated[TitleLine, AfterValidator(lambda s: slug_or_empty(s) or None if s else None)]
AuthorName = Annotated[str, StringConstraints(max_length=MAX_AUTHOR_CHARS)]


def _aliases(*names: str) -> Any:
    """The names editors use for a field (keys are compared lower-cased); the first present wins."""
    return Field(None, validation_alias=AliasChoices(*names))


class ArticleFields(BaseModel):
    """An article's fields, in the order they are checked: the first error is the file's reject."""

    # Built at import: the ingest function reads a file on its first invocation anyway (docs/validation.md).
    model_config = ConfigDict(loc_by_alias=False)

    # JSON only (a reader gives the others'); before the title, as a JSON body that is not text always was.
    body: str = Field("", validation_alias=AliasChoices(*BODY_KEYS))
    body_format: BodyFormat = Field(
        None, validation_alias=AliasChoices("format", "body_format"), validate_default=True
    )
    title: TitleLine = Field(None, validation_alias=AliasChoices("title", "headline"), validate_default=True)
    # The reader's HTML, rendered here so that a file without a title is refused before its body is
    # rendered, and one without a body before its other fields are read.
    body_html: str = Field(None, validate_default=True)
    slug: Slug = _aliases("slug")
    # Each name is checked before the joined byline (which has the same limit).
    authors: Annotated[list[AuthorName], BeforeValidator(_byline_names)] = Field(
        None, validation_alias=AliasChoices("author", "authors", "byline"), validate_default=True
    )
    author: Annotated[AuthorLine, BeforeValidator(_byline)] = _aliases("author", "authors", "byline")
    date: Moment = _aliases("date", "published", "publishdate", "published_at", "pubdate")
    summary: SummaryLine = _aliases("summary", "description", "excerpt", "standfirst")
    tags: Annotated[list[str], BeforeValidator(_tags)] = Field(
        None, validation_alias=AliasChoices("tags", "keywords"), validate_default=True
    )
    # the editorial lifecycle: Hugo's names are aliases
    draft: bool = Field(False, validation_alias=AliasChoices("draft"))
    expires: Moment = _aliases("expires", "expirydate", "expiry_date", "expires_at", "expiration")
    notify: bool = Field(True, validation_alias=AliasChoices("notify"))
    # the lead photo (newsdrop.images)
    image: ImageLine = _aliases("image", "featured_image", "cover")
    image_alt: CaptionLine = Field(
        None, validation_alias=AliasChoices("image_alt", "alt"), validate_default=True
    )
    image_caption: CaptionLine = _aliases("image_caption", "caption")
    image_credit: AuthorLine = _aliases("image_credit", "credit")

    @model_validator(mode="before")
    @classmethod
    def _as_editors_write_them(cls, data: Any, info: ValidationInfo) -> Any:
        """Keys compared lower-cased; what the reader found stands over the file's own keys."""
        if not isinstance(data, dict):
            return data
        source: Source = info.context or _JSON_OBJECT
        fields = editor_keys(data)
        fields.pop("body_html", None)
        if source.body is not None:
            fields |= {"body": source.body, "format": source.body_format}
        else:
            for key in BODY_KEYS:  # a JSON body is the first one present and not null
                if fields.get(key) is None:
                    fields.pop(key, None)
            key = next((k for k in BODY_KEYS if k in fields), None)
            raw = fields.get(key) if key else None
            if isinstance(raw, dict) and isinstance(raw.get("rendered"), str):  # WordPress REST export
                fields |= {key: raw["rendered"], "format": "html"}
            elif not fields.get("format"):
                fields.pop("format", None)
        if source.body_html is not None:
            fields["body_html"] = source.body_html
        return fields

    @field_validator("body", mode="before")
    @classmethod
    def _body(cls, body: Any, info: ValidationInfo) -> Any:
        if (info.context or _JSON_OBJECT).body is not None:
            return body  # the reader's, exactly as the editor wrote it
        if not isinstance(body, str):
            raise _problem("not_text", f"must be the article text, but it is {describe(body)}.")
        return clean_value(body).strip()

    @field_validator("body_format", mode="before")
    @classmethod
    def _body_format(cls, declared: Any, info: ValidationInfo) -> Any:
        if (info.context or _JSON_OBJECT).body is not None:
            return declared
        declared = str(declared or "").strip().lower()
        if declared in ("html", "text", "markdown"):
            return declared
        if declared in ("md", "commonmark", "gfm"):
            return "markdown"
        if declared in ("plain", "txt", "plaintext"):
            return "text"
        return "html" if _looks_like_html(info.data.get("body", "")) else "markdown"

    @field_validator("title", mode="wrap")
    @classmethod
    def _title_required(cls, value: Any, handler: Any, info: ValidationInfo) -> str:
        source: Source = info.context or _JSON_OBJECT
        if source.title_is_first_line and isinstance(value, str) and len(value) > MAX_TITLE_CHARS:
            # A .txt file's first line counts as written: a story pasted without line breaks is all of it.
            raise PydanticKnownError("string_too_long", {"max_length": MAX_TITLE_CHARS})
        title = handler(value)
        if not title:
            blank = isinstance(value, str) and value != ""
            what = "only spaces or invisible characters" if blank else "no title"
            hint = source.title_hint
            raise _problem(
                "missing_title", f"The article has {what}{' as its title' if blank else ''}. {hint}"
            )
        return title

    @field_validator("body_html", mode="before")
    @classmethod
    def _reader_html(cls, html: str | None, info: ValidationInfo) -> str:
        data = info.data
        if not {"body", "body_format", "title"} <= data.keys():
            return ""  # the file is refused for an earlier field
        if html is None:
            html = reader_html(data["body"], data["body_format"])
        if not has_text(html):
            raise _problem(
                "missing_body",
                f"The article '{data['title'][:80]}' has a title but no body text. Add the story below the title.",
            )
        return html

    @field_validator("draft", "notify", mode="before")
    @classmethod
    def _yes_no(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return cls.model_fields[str(info.field_name)].default
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower() if isinstance(value, str | int) else None
        if word in _YES:
            return True
        if word in _NO:
            return False
        raise _problem("not_yes_no", f"must be true or false, but it is {describe(value)}.")

    @field_validator("image_alt")
    @classmethod
    def _alt_with_image(cls, alt: str | None, info: ValidationInfo) -> str | None:
        if "image" not in info.data:
            return alt  # the image is refused
        _beside_the_article(info.data["image"])  # after the alt text's own checks, as they always ran
        if info.data["image"] and not alt:
            raise _problem(
                "alt_required", "is required when 'image' is set: describe the photo in a sentence for readers "
                "who cannot see it (image_alt: Fishing boats moored in the harbour at dawn)."
            )  # fmt: skip
        return alt if info.data["image"] else None

    def draft_of(self) -> ArticleDraft:
        return ArticleDraft(**self.model_dump())


_HTML_BLOCK = re.compile(r"<(p|div|h[1-6]|ul|ol|blockquote|figure|article|section|br)\b[^>]*>", re.I)


def _looks_like_html(text: str) -> bool:
    return text.startswith("<") and _HTML_BLOCK.search(text[:2000]) is not None


def editor_keys(fields: dict[Any, Any]) -> dict[str, Any]:
    """Keys as the model compares them: ``publishDate``, ``PublishDate`` and ``publishdate`` are one key
    (the last written wins)."""
    return {str(k).strip().lower(): v for k, v in fields.items()}


def field_value(fields: dict[Any, Any], name: str) -> Any:
    """What the model reads for ``name`` from a file's fields (its aliases, keys lower-cased)."""
    lowered = editor_keys(fields)
    aliases = ArticleFields.model_fields[name].validation_alias
    choices = aliases.choices if isinstance(aliases, AliasChoices) else [name]
    return next((lowered[a] for a in choices if isinstance(a, str) and a in lowered), None)


def read_article(fields: dict[Any, Any], source: Source = _JSON_OBJECT) -> ArticleDraft:
    """The draft of a file's fields, or RejectedInput with the reason and sentence of its first error."""
    try:
        return ArticleFields.model_validate(fields, context=source).draft_of()
    except ValidationError as error:
        raise rejection(error, source) from None


# The reasons that are not "a field is wrong" (their sentence is the validator's whole problem).
_OWN_REASONS = {"missing_title": RejectReason.MISSING_TITLE, "missing_body": RejectReason.MISSING_BODY}
# Field names as editors know them: co-authors are the 'author' field.
_EDITOR_NAMES = {"authors": "author"}


def rejection(error: ValidationError, source: Source) -> RejectedInput:
    """The one mapping from the model's errors (loc, type) to the reject reasons of docs/editors.md."""
    first = error.errors(include_url=False)[0]
    kind, ctx = first["type"], first.get("ctx") or {}
    if kind in _OWN_REASONS:
        return RejectedInput(_OWN_REASONS[kind], str(ctx["problem"]))
    field = str(first["loc"][0]) if first["loc"] else "fields"
    field = str(ctx.get("field") or _EDITOR_NAMES.get(field, field))
    if kind == "string_too_long":
        size, limit = len(first["input"]), ctx["max_length"]
        if field == "title" and source.title_is_first_line:
            problem = (
                f"(the first line of a .txt file) is {size:,} characters long; the limit is {limit}. "
                f"{source.title_hint} Put a short headline on its own line at the top, then a blank line."
            )
        else:
            problem = f"is {size} characters long; the limit is {limit}."
    elif "problem" in ctx:
        problem = str(ctx["problem"])
    else:  # a check of pydantic's own, should one be added without a sentence of ours
        problem = f"is not valid: {first['msg']}."
    return RejectedInput(RejectReason.INVALID_FIELD, f"The '{field}' field {problem}")
