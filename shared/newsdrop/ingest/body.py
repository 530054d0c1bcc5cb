"""Article bodies: the reader's HTML from the editor's source (the article out of a saved HTML page is
newsdrop.ingest.html_article's).

One path for every format: Markdown is rendered by markdown-it-py (CommonMark, plus tables and
strikethrough), HTML pages are parsed by selectolax (lexbor, an HTML5 spec parser) only to find the article
in them, text is escaped into paragraphs; and whatever comes out goes through nh3 (Ammonia, on html5ever)
with one allow-list. Nothing here ever edits Markdown source text: the source is stored as the editor wrote
it and only the rendered HTML is sanitized.

The libraries are imported on first use, so importing this module (and the ingest handler) stays cheap;
no other function's code imports it.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any

# --- the allow-list ----------------------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
        "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp",
        "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
        "time", "tr", "u", "ul", "var", "wbr",
        # Only a Markdown task list's checkbox: turned into a mark by _finish, never kept (see there).
        "input",
    }
)  # fmt: skip
# Removed together with their content (every other unknown tag is unwrapped: its text stays).
REMOVED_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "iframe", "object", "embed", "applet", "svg", "math", "noembed",
        "noframes", "xmp", "textarea", "select", "button", "title", "head", "audio", "video", "canvas",
        "frameset", "frame", "plaintext", "dialog", "form",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    # Every tag: the direction and language of a passage (an Arabic quote in an English story).
    "*": {"dir", "lang"},
    "a": {"href", "title", "hreflang", "id"},  # id: a footnote reference, the target of its back-link
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    # data-src/data-srcset: lazy-loading scripts keep the real image there; _finish makes it the source.
    "img": {
        "src",
        "srcset",
        "sizes",
        "alt",
        "title",
        "width",
        "height",
        "loading",
        "data-src",
        "data-srcset",
    },
    "td": {"colspan", "rowspan", "headers", "align"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr", "align"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed", "type"},
    "li": {"value", "id"},  # id: a footnote
    "details": {"open"},
    "input": {"type", "checked"},
    "time": {"datetime"},
    "code": {"class"},  # only "language-x" (a fenced block's language, for highlighters): see the filter
    **{f"h{n}": {"id"} for n in range(1, 7)},  # targets of "#anchor" links
}
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "sms"})
# Raster formats only: an SVG data URL can carry script.
SAFE_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp|avif);base64,[a-z0-9+/=\s]*\Z", re.I)
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_URL_NOISE = re.compile(r"[\t\n\r]")  # browsers drop these anywhere in a URL ("java\tscript:")
_SAFE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_\-]{0,63}\Z")
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.\-]{1,40}\Z")
_LANG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,4}\Z")  # a BCP 47 tag's shape
_DIRECTIONS = frozenset({"ltr", "rtl", "auto"})


def _scheme(url: str) -> str | None:
    """The URL's scheme as a browser would read it, lower-cased; None for a relative URL."""
    cleaned = _URL_NOISE.sub("", url).lstrip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                              "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"
                                              "\x1d\x1e\x1f ")  # fmt: skip
    m = _SCHEME.match(cleaned)
    return m.group(1).lower() if m else None


def image_url(url: str) -> str | None:
    """An image source readers may load: https or relative; http is upgraded (as browsers do for mixed
    content anyway); data: only for base64 raster images. None for anything else."""
    scheme = _scheme(url)
    if scheme is None:
        return url  # relative, or "//host/...": the page's own scheme (https)
    if scheme == "https":
        return url
    if scheme == "http":
        return "https:" + url.split(":", 1)[1]
    if scheme == "data" and SAFE_DATA_IMAGE.match(url.strip()):
        return url
    return None


def _srcset(value: str) -> str | None:
    """Every candidate of a srcset must be an acceptable image URL, else the attribute goes."""
    if "data:" in value.lower():  # data URLs hold commas, which srcset uses as a separator: refuse
        return None
    candidates = []
    for candidate in value.split(","):
        parts = candidate.split()
        if not parts:
            continue
        url = image_url(parts[0])
        if url is None:
            return None
        candidates.append(" ".join([url, *parts[1:]]))
    return ", ".join(candidates) or None


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if tag == "img":
        if attr in ("src", "data-src"):
            return image_url(value)
        if attr in ("srcset", "data-srcset"):
            return _srcset(value)
    if attr == "dir":
        return value.lower() if value.lower() in _DIRECTIONS else None
    if attr == "lang":
        return value if _LANG.match(value) else None
    if tag == "input" and attr == "type":
        return value if value.lower() == "checkbox" else None
    if attr in ("href", "cite"):  # Ammonia checks href's scheme, but not cite's: both are checked here
        scheme = _scheme(value)
        return value if scheme is None or scheme in LINK_SCHEMES else None
    if attr == "id":
        return value if _SAFE_ID.match(value) else None
    if attr == "class":
        kept = [c for c in value.split() if _LANGUAGE_CLASS.match(c)]
        return " ".join(kept) or None
    return value


# An "&" that cannot start a character reference (not followed by a letter, a digit or "#" and a digit)
# is a literal "&" to every HTML parser. html5ever slows down on long runs of them (2 MiB of "&" or "&#"
# would take minutes), so they are written as "&amp;" first: the same document, parsed fast.
_BARE_AMPERSAND = re.compile(r"&(?![A-Za-z0-9]|#[0-9]|#[xX][0-9A-Fa-f])")


def sanitize(fragment: str) -> str:
    """The reader's HTML: only the allow-list survives, URLs checked, rel="noopener noreferrer" on links."""
    import nh3

    cleaned = nh3.clean(
        _BARE_AMPERSAND.sub("&amp;", fragment),
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes=set(LINK_SCHEMES | {"data"}),  # data: is narrowed to raster images by the filter
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()
    return _finish(cleaned) if cleaned else cleaned


# Every id in a body starts with this, so no body can take an id of the page around it ("main",
# "subscribe-email"), and links within the body ("#methods", footnotes) are rewritten to match.
BODY_ID_PREFIX = "body-"
_PLACEHOLDER = re.compile(r"data:|about:blank", re.I)


def _finish(fragment: str) -> str:
    """What the allow-list cannot say, on nh3's output: a body's headings start at h2 (the page's title
    is its one h1), every heading has a namespaced id, in-body links follow the ids, a link whose target
    was refused is plain text, a lazy image's real source is its source, a task list's checkbox is a mark
    (no form control in an article), and <details> always has a <summary>."""
    from selectolax.lexbor import LexborHTMLParser

    from newsdrop.ingest.text import slug_or_empty

    doc = LexborHTMLParser(f"<body>{fragment}</body>")
    body = doc.body
    if body is None:
        return fragment
    for wrapper in body.css("div, span"):
        if not wrapper.attrs:  # kept only to carry dir/lang
            wrapper.unwrap()
    for box in body.css("input"):
        if box.attrs.get("type") == "checkbox" and box.parent is not None and box.parent.tag == "li":
            mark = "\u2611" if "checked" in box.attrs else "\u2610"
            box.insert_before(doc.create_node("span"))
            box.prev.attrs["class"] = "task"
            box.prev.insert_child(mark)
            parent_list = box.parent.parent
            if parent_list is not None and parent_list.tag == "ul":
                parent_list.attrs["class"] = "task-list"
        box.decompose()
    for img in body.css("img[data-src], img[data-srcset]"):
        attrs = img.attrs
        for lazy, real in (("data-src", "src"), ("data-srcset", "srcset")):
            if lazy in attrs:
                if not attrs.get(real) or _PLACEHOLDER.match(attrs.get(real) or ""):
                    attrs[real] = attrs[lazy]
                del attrs[lazy]
    renamed: dict[str, str] = {}
    taken: set[str] = set()

    tried: dict[str, int] = {}  # base -> the last suffix tried: 20,000 equal headings stay linear

    def claim(base: str) -> str:
        base = base.removeprefix(BODY_ID_PREFIX)  # already namespaced: sanitizing twice changes nothing
        candidate, n = BODY_ID_PREFIX + base, tried.get(base, 1)
        if n > 1:
            candidate = f"{BODY_ID_PREFIX}{base}-{n}"
        while candidate in taken:
            n += 1
            candidate = f"{BODY_ID_PREFIX}{base}-{n}"
        tried[base] = n
        taken.add(candidate)
        return candidate

    for node in body.css("[id]"):
        old = node.attrs.get("id") or ""
        if node.tag not in _HEADINGS:
            renamed.setdefault(old, claim(old))
            node.attrs["id"] = renamed[old]
    headings = body.css(",".join(_HEADINGS))
    shift = 1 if any(h.tag == "h1" for h in headings) else 0
    for heading in headings:
        base = heading.attrs.get("id") or slug_or_empty(heading.text(deep=True), 60) or "section"
        new_id = claim(base)
        renamed.setdefault(base, new_id)  # "#methods" finds "## Methods", as on GitHub
        heading.attrs["id"] = new_id
        level = min(int(heading.tag[1]) + shift, 6)
        if heading.tag != f"h{level}":
            _rename(doc, heading, f"h{level}")
    for link in body.css("a"):
        href = link.attrs.get("href")
        if href is None:
            link.unwrap()  # its target was refused: "<a rel>" alone is no link
        elif href.startswith("#") and href[1:] in renamed:
            link.attrs["href"] = "#" + renamed[href[1:]]
    for details in body.css("details"):
        first = details.first_child
        while first is not None and first.is_text_node and not (first.text_content or "").strip():
            first = first.next
        if first is None or first.tag != "summary":
            summary = doc.create_node("summary")
            summary.insert_child("Details")
            if details.first_child is not None:
                details.first_child.insert_before(summary)
            else:
                details.insert_child(summary)
    return body.inner_html or ""


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _rename(doc: Any, node: Any, tag: str) -> None:
    """``node`` becomes a ``tag`` element: same attributes, its children moved."""
    new = doc.create_node(tag)
    for name, value in node.attrs.items():
        new.attrs[name] = value
    child = node.first_child
    while child is not None:
        following = child.next
        new.insert_child(child)
        child = following
    node.replace_with(new)


# --- Markdown ----------------------------------------------------------------------------------------------


@cache
def _markdown() -> Any:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.tasklists import tasklists_plugin

    # "html": editors' raw HTML (tables, <sup>...) is rendered, then held to the allow-list by nh3.
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.use(footnote_plugin).use(tasklists_plugin)


def render_markdown(source: str) -> str:
    """CommonMark (plus GFM tables, ~~strikethrough~~, footnotes and task lists) rendered to HTML, not
    yet sanitized."""
    return _markdown().render(source)


def markdown_html(source: str) -> str:
    return sanitize(render_markdown(source))


# --- plain text --------------------------------------------------------------------------------------------

_BLANK = re.compile(r"\n[ \t]*\n")


def text_html(text: str) -> str:
    """A text body as HTML: escaped, blank lines make paragraphs, single newlines line breaks."""
    paragraphs = [p.strip("\n") for p in _BLANK.split(text.strip())]
    return "\n".join(
        "<p>" + "<br>\n".join(html.escape(line, quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
        if p.strip()
    )


# --- reader's HTML to text ---------------------------------------------------------------------------------


def node_text(node: Any) -> str:
    """An element's text, its whitespace collapsed."""
    return " ".join(node.text(deep=True, separator=" ").split())


def html_fragment_text(fragment: str) -> str:
    """The text of an HTML fragment (a tag written with markup, a WordPress "rendered" title)."""
    from selectolax.lexbor import LexborHTMLParser

    node = LexborHTMLParser(f"<body>{fragment}</body>").body
    return node_text(node) if node is not None else ""
