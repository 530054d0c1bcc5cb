"""HTML sanitizing and HTML -> text, standard library only.

Why not ``html.parser``: on the Python 3.11 patch level we build with (3.11.7) it is quadratic on
unclosed tags and comments (20 KB of ``"<a\\n"`` takes ~8 s, 80 KB over two minutes), and newer patch
releases are not something a Lambda layer controls. The tokenizer below follows the HTML5 rules that
matter here (tags end at the first ``>`` outside quotes, an unfinished tag or comment runs to the end of
the input, script/style are raw text), makes one forward pass, and uses ``html.unescape`` for entities.

Everything the sanitizer outputs is re-serialized from the parsed tree: only allow-listed tags, only
allow-listed attributes with checked URLs, every text and attribute value escaped. So whatever the
input looked like, the output cannot carry script, event handlers or dangerous URLs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

# --- allow-list ---------------------------------------------------------------------------------------------

ALLOWED_BLOCK = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "figure"})
ALLOWED_BLOCK |= {"figcaption", "pre"}
ALLOWED_INLINE = frozenset({"a", "em", "strong", "b", "i", "code"})
ALLOWED_VOID = frozenset({"br", "img"})
ALLOWED_TAGS = ALLOWED_BLOCK | ALLOWED_INLINE | ALLOWED_VOID
RENAMED = {"h1": "h2"}  # the page's <h1> is the article title; another one in the body becomes a section head

# Removed together with everything inside them.
DROP_WITH_CONTENT = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript", "noembed",
        "noframes", "template", "form", "input", "button", "select", "option", "optgroup", "textarea",
        "svg", "math", "canvas", "audio", "video", "source", "track", "head", "title", "meta", "link",
        "base", "param", "map", "area", "dialog", "xmp", "plaintext", "datalist", "output", "progress",
        "meter", "portal", "slot",
    }
)  # fmt: skip
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track"}
) | {"wbr", "keygen", "frame", "basefont", "bgsound"}
# Content of these is raw text up to the matching end tag (script, style) or ignored markup.
RAW_TEXT = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea"})
RAW_TEXT |= {"title", "plaintext"}
# Block-level elements that are not kept but still separate paragraphs.
BLOCKISH = frozenset(
    {
        "address", "article", "aside", "body", "center", "dd", "details", "dir", "div", "dl", "dt",
        "fieldset", "footer", "header", "hgroup", "hr", "html", "legend", "listing", "main", "menu", "nav",
        "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "caption", "h1", "#root",
    }
) | ALLOWED_BLOCK  # fmt: skip
# Starting one of these closes an open <p>, as in HTML5.
CLOSES_P = (BLOCKISH | {"h1", "pre", "form", "figure"}) - {"body", "html", "#root"}

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"https"})
MAX_DEPTH = 200  # deeper nesting is flattened: no recursion anywhere, but trees stay reasonable


# --- a small DOM --------------------------------------------------------------------------------------------


class Element:
    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag: str, attrs: dict[str, str] | None = None, parent: Element | None = None):
        self.tag = tag
        self.attrs: dict[str, str] = attrs or {}
        self.children: list[Element | str] = []
        self.parent = parent

    def get(self, name: str, default: str = "") -> str:
        return self.attrs.get(name, default)

    def classes(self) -> str:
        return f"{self.attrs.get('class', '')} {self.attrs.get('id', '')}".lower()

    def iter(self) -> Iterator[Element]:
        """This element and all elements below it, in document order (iterative)."""
        stack: list[Element] = [self]
        pop, extend = stack.pop, stack.extend
        while stack:
            node = pop()
            yield node
            if node.children:
                extend([c for c in reversed(node.children) if c.__class__ is Element])

    def find(self, predicate: Callable[[Element], bool]) -> Element | None:
        return next((el for el in self.iter() if predicate(el)), None)

    def find_all(self, predicate: Callable[[Element], bool]) -> list[Element]:
        return [el for el in self.iter() if predicate(el)]

    def detach(self) -> None:
        if self.parent is not None:
            self.parent.children = [c for c in self.parent.children if c is not self]
            self.parent = None

    def ancestors(self) -> Iterator[Element]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def text(self) -> str:
        """Text content with whitespace collapsed (script and other dropped elements excluded)."""
        return " ".join(element_text(self).split())

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<Element {self.tag} {self.attrs!r} children={len(self.children)}>"


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_START_TAG = re.compile(r"""<([A-Za-z][^\t\n\f\r />]*+)((?:[^>"']++|"[^"]*+"|'[^']*+')*+)>""")
_END_TAG = re.compile(r"""</([A-Za-z][^\t\n\f\r />]*+)[^>]*+>""")
_ATTR = re.compile(r"""([^\s"'>/=][^\s"'>/=]*+)(?:\s*+=\s*+("[^"]*+"|'[^']*+'|[^\s>]*+))?""")


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if not raw.strip():
        return attrs
    for m in _ATTR.finditer(raw):
        name = m.group(1).lower()
        value = m.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attrs.setdefault(name, html.unescape(value))
    return attrs


_P_SCOPE_BOUNDARIES = frozenset({"button", "table", "td", "th", "caption", "object", "template", "applet"})


class MarkupTooComplex(ValueError):
    """The markup has more elements than the caller allows."""


class _TreeBuilder:
    def __init__(self, max_elements: int | None = None) -> None:
        self.root = Element("#root")
        self.stack: list[Element] = [self.root]
        self.open_count: dict[str, int] = {}
        self.remaining = max_elements

    @property
    def current(self) -> Element:
        return self.stack[-1]

    def text(self, data: str) -> None:
        if not data:
            return
        children = self.current.children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)

    def _close_until(self, tag: str) -> None:
        if not self.open_count.get(tag):
            return
        while len(self.stack) > 1:
            node = self.stack.pop()
            self.open_count[node.tag] -= 1
            if node.tag == tag:
                return

    def start(self, tag: str, attrs: dict[str, str], self_closing: bool = False) -> Element:
        if tag in CLOSES_P and self._p_in_scope():
            self._close_until("p")
        if tag == "li":
            self._close_in_list("li")
        elif tag in ("dt", "dd"):
            self._close_in_list("dt")
            self._close_in_list("dd")
        elif tag in ("td", "th", "tr"):
            for name in ("td", "th") if tag != "tr" else ("td", "th", "tr"):
                self._close_in_list(name)
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining < 0:
                raise MarkupTooComplex(tag)
        node = Element(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID_ELEMENTS and not self_closing and len(self.stack) < MAX_DEPTH:
            self.stack.append(node)
            self.open_count[tag] = self.open_count.get(tag, 0) + 1
        return node

    def _p_in_scope(self) -> bool:
        if not self.open_count.get("p"):
            return False
        for node in reversed(self.stack):
            if node.tag == "p":
                return True
            if node.tag in _P_SCOPE_BOUNDARIES:
                return False
        return False

    def _close_in_list(self, tag: str) -> None:
        if not self.open_count.get(tag):
            return
        for node in reversed(self.stack):
            if node.tag == tag:
                self._close_until(tag)
                return
            if node.tag in ("ul", "ol", "dl", "table", "tbody", "thead", "tfoot", "menu"):
                return

    def end(self, tag: str) -> None:
        if tag == "br":  # </br> is a <br> in HTML5
            self.start("br", {})
            return
        self._close_until(tag)


def parse_html(markup: str, max_elements: int | None = None) -> Element:
    """Parse ``markup`` into a tree of ``Element`` (root tag "#root"). Linear time.

    Raises MarkupTooComplex if there are more than ``max_elements`` elements; otherwise never raises.
    """
    builder = _TreeBuilder(max_elements)
    pos = 0
    length = len(markup)
    while pos < length:
        m = _TAG_START.search(markup, pos)
        if m is None:
            builder.text(html.unescape(markup[pos:]))
            break
        i = m.start()
        if i > pos:
            builder.text(html.unescape(markup[pos:i]))
        nxt = markup[i + 1]
        if nxt == "!":
            if markup.startswith("<!--", i):
                if markup.startswith("<!-->", i):
                    pos = i + 5
                    continue
                if markup.startswith("<!--->", i):
                    pos = i + 6
                    continue
                end = markup.find("-->", i + 4)
                if end < 0:  # an unclosed comment swallows the rest of the document
                    break
                pos = end + 3
                continue
            end = markup.find(">", i + 2)  # doctype, CDATA and other declarations: bogus comments
            if end < 0:
                break
            pos = end + 1
            continue
        if nxt == "?":
            end = markup.find(">", i + 2)
            if end < 0:
                break
            pos = end + 1
            continue
        if nxt == "/":
            m_end = _END_TAG.match(markup, i)
            if m_end is None:
                if markup[i + 2 : i + 3] in _ASCII_LETTERS or markup.find(">", i) < 0:
                    break  # an unfinished end tag runs to the end of the input
                pos = markup.find(">", i) + 1  # "</ x>" and similar: a bogus comment
                continue
            builder.end(m_end.group(1).lower())
            pos = m_end.end()
            continue
        m_start = _START_TAG.match(markup, i)
        if m_start is None:
            break  # an unfinished start tag (no closing ">") runs to the end of the input: drop it
        tag = m_start.group(1).lower()
        raw_attrs = m_start.group(2)
        self_closing = raw_attrs.rstrip().endswith("/")
        node = builder.start(tag, _parse_attrs(raw_attrs.rstrip().rstrip("/")), self_closing)
        pos = m_start.end()
        if tag in RAW_TEXT:
            if tag == "plaintext":
                break
            close = re.compile(r"</" + re.escape(tag) + r"(?=[\s/>])[^>]*+>?", re.I).search(markup, pos)
            content = markup[pos : close.start()] if close else markup[pos:]
            if tag in ("title", "textarea"):
                node.children.append(html.unescape(content))
            builder.end(tag)
            if close is None:
                break
            pos = close.end()
    return builder.root


# --- sanitizing ---------------------------------------------------------------------------------------------

_URL_STRIP = "".join(chr(c) for c in range(0x21)) + "\x7f"
_URL_INNER_WS = re.compile(r"[\t\n\r]")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_URL_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\s<>\"']")


def safe_url(url: str, schemes: frozenset[str] = LINK_SCHEMES, allow_relative: bool = False) -> str | None:
    """``url`` if it is absolute with one of ``schemes`` (or relative, when allowed), else None.

    Browsers ignore leading control characters and tabs/newlines anywhere in a URL, so "java\\tscript:"
    is javascript: to them; the check normalizes the same way and returns the normalized URL.
    """
    value = _URL_INNER_WS.sub("", url.strip(_URL_STRIP))
    if not value or _URL_BAD_CHARS.search(value):
        return None
    m = _URL_SCHEME.match(value)
    if m is None:
        if not allow_relative or value.startswith(("//", "\\", "/\\")) or ":" in value.split("/", 1)[0]:
            return None
        return value
    if m.group(1).lower() not in schemes:
        return None
    if m.group(1).lower() in ("http", "https") and not value[m.end() :].startswith("//"):
        return None
    return value


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _safe_start_tag(tag: str, attrs: dict[str, str]) -> str | None:
    """The start tag as we emit it, or None when the element must be unwrapped (e.g. a link without a URL)."""
    if tag == "a":
        href = safe_url(attrs.get("href", ""))
        return f'<a href="{_attr(href)}">' if href else None
    if tag == "img":
        src = safe_url(attrs.get("src", ""), IMAGE_SCHEMES)
        if not src:
            return None
        return f'<img src="{_attr(src)}" alt="{_attr(" ".join(attrs.get("alt", "").split()))}">'
    return f"<{tag}>"


def render_safe(root: Element, skip: Callable[[Element], bool] | None = None) -> str:
    """Sanitized HTML for the children of ``root``: only allow-listed tags and attributes, text escaped.

    Loose text outside any kept block (e.g. inside a <div>) is wrapped in <p>; elements left empty are
    dropped; ``skip`` can remove further elements (the article extractor uses it for boilerplate).
    """
    out: list[str] = []
    open_tags: list[tuple[str, int, int]] = []  # (tag, index of its start tag in out, content counter then)
    content = 0  # bumped for every visible thing emitted, so empty elements can be taken back out
    implicit_p = False
    pre_depth = 0
    # (action, node): _OPEN visits a node, _CLOSE_KEPT closes a kept element, _CLOSE_OTHER an unwrapped one.
    stack: list[tuple[int, Element | str]] = [(_OPEN, c) for c in reversed(root.children)]

    def open_implicit() -> None:
        nonlocal implicit_p
        if not open_tags and not implicit_p:
            out.append("<p>")
            implicit_p = True

    def close_implicit() -> None:
        nonlocal implicit_p
        if implicit_p and not open_tags:
            _rstrip_last(out)
            out.append("</p>\n")
            implicit_p = False

    while stack:
        action, node = stack.pop()
        if isinstance(node, str):
            if pre_depth == 0:
                node = _collapse(node)
            if not node.strip():
                if (open_tags and open_tags[-1][0] not in _NO_LOOSE_SPACE and not out[-1].endswith("\n")) or (
                    implicit_p and not open_tags
                ):
                    out.append(node)
                continue
            if not open_tags and not implicit_p:
                open_implicit()
                node = node.lstrip()
            content += 1
            out.append(html.escape(node, quote=False))
            continue
        tag = RENAMED.get(node.tag, node.tag)
        if action == _CLOSE_KEPT:
            _, start_index, content_at_start = open_tags.pop()
            if tag == "pre":
                pre_depth -= 1
            if content == content_at_start:
                del out[start_index:]
            elif tag in ALLOWED_BLOCK:
                if tag != "pre":
                    _rstrip_last(out)
                out.append(f"</{tag}>\n")
            else:
                out.append(f"</{tag}>")
            continue
        if action == _CLOSE_OTHER:
            if tag in BLOCKISH:
                close_implicit()
            continue
        if tag in DROP_WITH_CONTENT or (skip is not None and skip(node)):
            continue
        if tag == "br":
            if open_tags or implicit_p:
                out.append("<br>")
            continue
        start = _safe_start_tag(tag, node.attrs) if tag in ALLOWED_TAGS else None
        if tag == "img":
            if start is not None:
                open_implicit()
                out.append(start)
                content += 1
            continue
        if start is None:  # not allowed (or <a> without a safe URL): unwrap, keeping the content
            if tag in BLOCKISH:
                close_implicit()
            stack.append((_CLOSE_OTHER, node))
        else:
            if tag in ALLOWED_BLOCK:
                close_implicit()
            else:
                open_implicit()
            if tag == "pre":
                pre_depth += 1
            open_tags.append((tag, len(out), content))
            out.append(start)
            stack.append((_CLOSE_KEPT, node))
        stack.extend((_OPEN, c) for c in reversed(node.children))
    close_implicit()
    return "".join(out).strip()


_OPEN, _CLOSE_KEPT, _CLOSE_OTHER = 0, 1, 2


_NO_LOOSE_SPACE = frozenset({"ul", "ol", "figure", "blockquote"})


def _rstrip_last(out: list[str]) -> None:
    if out and out[-1].endswith((" ", "\n")) and not out[-1].endswith(">\n"):
        out[-1] = out[-1].rstrip(" \n")


_WS_RUN = re.compile(r"\s+")


def _collapse(text: str) -> str:
    return _WS_RUN.sub(" ", text)


def sanitize_html(markup: str, max_elements: int | None = None) -> str:
    """Sanitize an HTML fragment or page down to the allow-list (see module docstring)."""
    return render_safe(parse_html(markup, max_elements))


# --- HTML -> text -------------------------------------------------------------------------------------------

_TEXT_BREAKS = BLOCKISH | {"br", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "li", "figcaption"}


def element_text(root: Element, skip: Callable[[Element], bool] | None = None) -> str:
    """Readable text of ``root``: blank lines between blocks, <br> as a newline, dropped elements gone."""
    parts: list[str] = []
    stack: list[tuple[bool, Element | str]] = [(False, c) for c in reversed(root.children)]
    while stack:
        closing, node = stack.pop()
        if isinstance(node, str):
            parts.append(node)
            continue
        tag = node.tag
        if closing:
            if tag in _TEXT_BREAKS:
                parts.append("\n\n" if tag not in ("li", "br") else "\n")
            continue
        if tag in DROP_WITH_CONTENT or (skip is not None and skip(node)):
            continue
        if tag == "br":
            parts.append("\n")
            continue
        if tag in _TEXT_BREAKS and tag != "li":
            parts.append("\n\n")
        stack.append((True, node))
        stack.extend((False, c) for c in reversed(node.children))
    return _tidy_text("".join(parts))


def _tidy_text(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    """Readable plain text of an HTML fragment or page (entities decoded, script/style content removed)."""
    return element_text(parse_html(markup))


# --- raw HTML inside Markdown -------------------------------------------------------------------------------

_MD_NEXT = re.compile(r"^ {0,3}(?:`{3,}|~{3,})|`+|<(?=[A-Za-z/!?])", re.M)
_MD_TAG_WINDOW = 4096
_MD_START_TAG = re.compile(  # CommonMark's open tag grammar
    r"""<([A-Za-z][A-Za-z0-9\-]*+)((?:\s++[A-Za-z_:][A-Za-z0-9_.:\-]*+"""
    r"""(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>`]++))?+)*+)\s*+(/?)>"""
)
_MD_END_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9\-]*+)\s*+>")
_MD_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}):([^\s<>]*+)>")
_MD_EMAIL_AUTOLINK = re.compile(r"<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]++@[A-Za-z0-9](?:[A-Za-z0-9.\-]*+)>")
_MD_LINK_DEST = re.compile(r"\]\(\s*")
_MD_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]{1,999}\]:[ \t]*(?:\n[ \t]*)?", re.M)
_MD_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_BLOCK_TAG_BREAK = frozenset({"p", "div", "br", "li", "ul", "ol", "blockquote", "figure", "table", "tr"})


class _Finder:
    """``re.search`` with a memory, so repeated searches for a missing terminator stay linear."""

    def __init__(self, text: str):
        self.text = text
        self.memo: dict[object, tuple[int, int, int]] = {}  # key -> (searched from, match start, match end)

    def find(self, pattern: re.Pattern[str], start: int) -> tuple[int, int]:
        memo = self.memo.get(pattern)
        if memo is not None and memo[0] <= start and (memo[1] < 0 or memo[1] >= start):
            return memo[1], memo[2]
        m = pattern.search(self.text, start)
        result = (m.start(), m.end()) if m else (-1, -1)
        self.memo[pattern] = (start, *result)
        return result


_COMMENT_END = re.compile("-->")
_GT = re.compile(">")


def sanitize_markdown(markdown: str, keep_tags: bool = True) -> str:
    """Markdown with its raw HTML sanitized; the Markdown itself is left as written.

    Allowed tags are re-emitted in canonical form with checked attributes; script/style/iframe/... are
    removed with their content; other tags are removed, keeping their text; comments are removed; a "<"
    that does not start a complete tag is escaped as "&lt;". Inside code spans and fenced code, tags are
    escaped (shown literally) instead of interpreted. Link and image destinations with a scheme other
    than http/https/mailto become "#". With ``keep_tags=False`` every tag is removed (for plain text).
    """
    out: list[str] = []
    pos = 0
    length = len(markdown)
    finder = _Finder(markdown)
    while pos < length:
        m = _MD_NEXT.search(markdown, pos)
        if m is None:
            out.append(markdown[pos:])
            break
        i = m.start()
        out.append(markdown[pos:i])
        token = m.group(0)
        if token.lstrip(" ").startswith(("```", "~~~")) and (i == 0 or markdown[i - 1] == "\n"):
            end = _fence_end(markdown, m, finder)
            if end is not None:
                out.append(_escape_tags(markdown[i:end]) if keep_tags else markdown[i:end])
                pos = end
                continue
            token = token.lstrip(" ")
            out.append(markdown[i : m.end() - len(token)])
            i = m.end() - len(token)
        if token.startswith("`"):
            close = re.compile(r"(?<!`)" + re.escape(token) + r"(?!`)")
            line_end = markdown.find("\n", i)
            line_end = length if line_end < 0 else line_end
            c = close.search(markdown, i + len(token), min(line_end, i + _MD_TAG_WINDOW))
            if c is None:
                out.append(token)
                pos = i + len(token)
            else:
                out.append(_escape_tags(markdown[i : c.end()]) if keep_tags else markdown[i : c.end()])
                pos = c.end()
            continue
        pos = _markdown_html(markdown, i, out, keep_tags, finder)
    result = "".join(out)
    return _fix_link_destinations(result)


def _fence_end(markdown: str, m: re.Match[str], finder: _Finder) -> int | None:
    """End offset of the fenced code block opened at ``m``, or None if the line is not a valid fence."""
    fence = m.group(0).lstrip(" ")
    line_end = markdown.find("\n", m.end())
    line_end = len(markdown) if line_end < 0 else line_end
    info = markdown[m.end() : line_end]
    if fence[0] == "`" and "`" in info:
        return None  # CommonMark: a backtick fence's info string cannot contain backticks
    closing = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$", re.M)
    _, end = finder.find(closing, line_end)
    return len(markdown) if end < 0 else end


_TAGLIKE = re.compile(r"<(?=[A-Za-z/!?])")


def _escape_tags(code: str) -> str:
    return _TAGLIKE.sub("&lt;", code)


def _markdown_html(markdown: str, i: int, out: list[str], keep_tags: bool, finder: _Finder) -> int:
    """Handle the "<" at ``i``; append what to keep to ``out`` and return where to continue."""
    window_end = min(len(markdown), i + _MD_TAG_WINDOW)
    if markdown.startswith("<!--", i):
        _, end = finder.find(_COMMENT_END, i + 4)
        if end >= 0:
            return end
        out.append("&lt;")
        return i + 1
    if markdown.startswith(("<!", "<?"), i):
        end = markdown.find(">", i + 2, window_end)
        if end >= 0 and "\n\n" not in markdown[i:end]:
            return end + 1
        out.append("&lt;")
        return i + 1
    m = _MD_AUTOLINK.match(markdown, i, window_end)
    if m:
        if keep_tags and safe_url(f"{m.group(1)}:{m.group(2)}"):
            out.append(m.group(0))
        elif not keep_tags:
            out.append(m.group(0)[1:-1] if safe_url(f"{m.group(1)}:{m.group(2)}") else "")
        return m.end()
    m = _MD_EMAIL_AUTOLINK.match(markdown, i, window_end)
    if m:
        out.append(m.group(0) if keep_tags else m.group(0)[1:-1])
        return m.end()
    m = _MD_END_TAG.match(markdown, i, window_end)
    if m:
        tag = RENAMED.get(m.group(1).lower(), m.group(1).lower())
        if keep_tags and tag in ALLOWED_TAGS and tag not in ALLOWED_VOID:
            out.append(f"</{tag}>")
        elif not keep_tags and tag in _BLOCK_TAG_BREAK:
            out.append("\n")
        return m.end()
    m = _MD_START_TAG.match(markdown, i, window_end)
    if m is None:
        out.append("&lt;")
        return i + 1
    tag = m.group(1).lower()
    if tag in DROP_WITH_CONTENT and tag not in VOID_ELEMENTS:
        _, end = finder.find(re.compile(r"</" + re.escape(tag) + r"\s*>", re.I), m.end())
        return end if end >= 0 else m.end()
    tag = RENAMED.get(tag, tag)
    if not keep_tags:
        if tag in _BLOCK_TAG_BREAK:
            out.append("\n")
        elif tag == "img":
            out.append(_parse_attrs(m.group(2)).get("alt", ""))
        return m.end()
    if tag in ALLOWED_TAGS:
        start = _safe_start_tag(tag, _parse_attrs(m.group(2)))
        if start is not None:
            out.append(start)
    return m.end()


def _fix_link_destinations(markdown: str) -> str:
    """Replace Markdown link/image destinations whose scheme is not http/https/mailto with "#"."""
    if "](" not in markdown and "]:" not in markdown:
        return markdown
    pieces: list[str] = []
    pos = 0
    for m in _iter_destinations(markdown):
        start, end = m
        dest = markdown[start:end]
        if _dest_is_dangerous(dest):
            pieces.append(markdown[pos:start])
            pieces.append("#")
            pos = end
    pieces.append(markdown[pos:])
    return "".join(pieces)


def _iter_destinations(markdown: str) -> Iterator[tuple[int, int]]:
    spans = [(m.end(), True) for m in _MD_LINK_DEST.finditer(markdown)]
    spans += [(m.end(), False) for m in _MD_REF_DEF.finditer(markdown)]
    spans.sort()
    last_end = -1
    for start, inline in spans:
        if start < last_end:
            continue
        end = _destination_end(markdown, start, inline)
        if end > start:
            last_end = end
            yield start, end


def _destination_end(markdown: str, start: int, inline: bool) -> int:
    if markdown.startswith("<", start):
        end = markdown.find(">", start)
        newline = markdown.find("\n", start)
        return start if end < 0 or (0 <= newline < end) else end + 1
    depth = 0
    i = start
    length = len(markdown)
    while i < length:
        ch = markdown[i]
        if ch == "\\" and i + 1 < length:
            i += 2
            continue
        if ch.isspace() or ord(ch) < 0x20:
            break
        if inline and ch == "(":
            depth += 1
        elif inline and ch == ")":
            if depth == 0:
                break
            depth -= 1
        i += 1
    return i


def _dest_is_dangerous(dest: str) -> bool:
    value = dest[1:-1] if dest.startswith("<") and dest.endswith(">") else dest
    value = html.unescape(_MD_ESCAPED.sub(r"\1", value))
    value = "".join(ch for ch in value if ord(ch) > 0x20 and ch != "\x7f")
    m = _URL_SCHEME.match(value)
    return m is not None and m.group(1).lower() not in LINK_SCHEMES
