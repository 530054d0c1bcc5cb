"""The article out of a saved HTML page (the HTML reader's, newsdrop.ingest.readers.html_page): its title,
byline, date, tags and summary, and its own markup without the page's navigation, sidebars, subscribe boxes,
footers and forms. Parsed by selectolax (lexbor), imported on first use; this module itself is imported with
the first HTML file (``read_html``), not with the ingest handler: Markdown files never need it
(docs/benchmarks.md, cold start).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from newsdrop.ingest.body import node_text as _text

_BOILERPLATE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|sidebar|side-bar|subscribe|subscription|newsletter|signup|"
    r"sign-up|share|sharing|social|related|recommended|comments?|advert|advertisement|ads?|ad-slot|promo|"
    r"cookie|cookies|banner|breadcrumbs?|popup|modal|footer|masthead|paywall|sponsored|outbrain|taboola|"
    r"most-read|trending|skip-link|toolbar)(?:$|[\s_-])"
)
_BOILERPLATE_ROLES = frozenset({"navigation", "complementary", "contentinfo", "banner", "search", "dialog"})
_ALWAYS_REMOVED = frozenset({"nav", "aside", "footer", "form", "header", "menu", "button", "input", "select"})
_CALL_TO_ACTION = re.compile(
    r"\b(?:subscribe|sign up|newsletter|join (?:over |more than )?\d[\d,.]*\s*k?\+?\s*(?:people|readers|"
    r"subscribers|others)|get (?:our|the) (?:daily|weekly)|follow us|share this)\b",
    re.I,
)
_CTA_START = re.compile(
    r"^\W*(?:subscribe|sign up|join|get (?:our|the)|follow us|share this|newsletter)", re.I
)
_FORM_CONTROLS = frozenset({"form", "input", "button", "select", "textarea"})
_NOT_TEXT = frozenset({"script", "style", "template", "head", "title", "-comment", "-doctype"})
_BYLINE_CLASS = re.compile(r"byline|author")
_BY_PREFIX = re.compile(r"^\s*(?:by|written by|words by|von|por|par)\s*:?\s+", re.I)
_SHORT = 400  # blocks with less text than this are candidates for "subscribe" boxes


@dataclass
class Page:
    """What an HTML page says about its article; ``article_html`` is not sanitized yet."""

    title: str = ""
    author: str | None = None
    published: str | None = None
    expires: str | None = None
    tags: list[str] = field(default_factory=list)
    summary: str | None = None
    article_html: str = ""
    elements: int = 0


def _attr(node: Any, name: str) -> str:
    value = node.attributes.get(name)
    return value if isinstance(value, str) else ""


def _classes(node: Any) -> str:
    return f"{_attr(node, 'class')} {_attr(node, 'id')}".lower()


class _Facts:
    """Per-element facts computed once, children before parents, so boilerplate checks stay linear."""

    def __init__(self, root: Any):
        self.order: list[Any] = [n for n in root.traverse(include_text=False) if n.tag not in _NOT_TEXT]
        self.text_len: dict[int, int] = {}
        self.short_text: dict[int, str] = {}
        self.has_controls: dict[int, bool] = {}
        self.memo: dict[int, bool] = {}
        self.inside: dict[int, bool] | None = None
        for node in reversed(self.order):
            length, controls, pieces = 0, node.tag in _FORM_CONTROLS, []
            child = node.child
            while child is not None:
                if child.tag == "-text":
                    value = child.text_content or ""
                    length += len(value)
                    pieces.append(value)
                elif child.mem_id in self.text_len:
                    key = child.mem_id
                    length += self.text_len[key]
                    controls = controls or self.has_controls[key]
                    pieces.append(self.short_text.get(key, ""))
                child = child.next
            key = node.mem_id
            self.text_len[key] = length
            self.has_controls[key] = controls
            if length < _SHORT:
                self.short_text[key] = " ".join(" ".join(pieces).split())

    def is_boilerplate(self, node: Any) -> bool:
        key = node.mem_id
        if key not in self.memo:
            self.memo[key] = self._is_boilerplate(node)
        return self.memo[key]

    def _is_boilerplate(self, node: Any) -> bool:
        tag = node.tag
        if tag in _ALWAYS_REMOVED:
            return True
        attrs = node.attributes  # built anew on every access: read it once

        def attr(name: str) -> str:
            value = attrs.get(name)
            return value if isinstance(value, str) else ""

        if attr("role").lower() in _BOILERPLATE_ROLES or "hidden" in attrs:
            return True
        if attr("aria-hidden").lower() == "true":
            return True
        if "display:none" in attr("style").replace(" ", "").lower():
            return True
        if _BOILERPLATE.search(f"{attr('class')} {attr('id')}".lower()):
            return True
        key = node.mem_id
        if tag in ("div", "section", "aside", "span", "ul", "p", "table") and key in self.short_text:
            if self.has_controls.get(key):
                return True
            text = self.short_text[key]
            if tag == "p":
                return _CTA_START.search(text) is not None and _CALL_TO_ACTION.search(text) is not None
            return len(text) < 200 and _CALL_TO_ACTION.search(text) is not None
        return False

    def in_boilerplate(self, node: Any) -> bool:
        """Whether an ancestor is boilerplate: one flag per element, inherited top-down (walking the
        ancestors of every element would be quadratic on deeply nested markup)."""
        if self.inside is None:
            self.inside = {}
            for el in self.order:  # document order: parents first
                parent = el.parent
                key = parent.mem_id if parent is not None else None
                self.inside[el.mem_id] = key in self.inside and (
                    self.inside[key] or self.is_boilerplate(parent)
                )
        return self.inside.get(node.mem_id, False)

    def content_root(self, doc: Any) -> Any:
        articles = [n for n in self.order if n.tag == "article" and not self.in_boilerplate(n)]
        if articles:
            return max(articles, key=lambda n: self.text_len.get(n.mem_id, 0))
        for node in self.order:
            if node.tag == "main" or _attr(node, "role").lower() == "main":
                return node
        return self.largest_block(doc)

    def largest_block(self, doc: Any) -> Any:
        """Readability-style fallback: the element whose paragraphs hold the most text."""
        scores: dict[int, float] = {}
        nodes: dict[int, Any] = {}
        for node in self.order:
            if node.tag != "p" or self.in_boilerplate(node):
                continue
            length = self.text_len.get(node.mem_id, 0)
            if length < 25:
                continue
            parent = node.parent
            for ancestor, weight in ((parent, 1.0), (parent.parent if parent is not None else None, 0.5)):
                if ancestor is not None:
                    scores[ancestor.mem_id] = scores.get(ancestor.mem_id, 0) + length * weight
                    nodes[ancestor.mem_id] = ancestor
        if not scores:
            return doc.body or doc.root
        return nodes[max(scores, key=lambda key: scores[key])]


def _find_byline(facts: _Facts, scope: Any) -> Any | None:
    nodes = [n for n in scope.traverse(include_text=False)]
    for node in nodes:
        if "author" in _attr(node, "rel").lower().split() and _text(node):
            return node
    for node in nodes:
        if node.tag in ("body", "article", "main", "html") or not _BYLINE_CLASS.search(_classes(node)):
            continue
        if 2 <= facts.text_len.get(node.mem_id, 0) <= 400 and 2 <= len(_text(node)) <= 120:
            return node
    return None


def _byline_name(node: Any) -> str | None:
    clone = node.clone() if hasattr(node, "clone") else node
    for time_el in clone.css("time"):
        time_el.decompose()
    text = _BY_PREFIX.sub("", _text(clone))
    text = re.split(r"\s*(?:[|\u00b7\u2022,;]|\s-\s|\s\u2013\s|\n)\s*", text)[0].strip()
    return text or None


_TITLE_SEPARATORS = re.compile(r"\s+(?:\||\u2013|\u2014|::|\u00b7|-)\s+")


def _page_title(doc: Any) -> str:
    title_el = doc.css_first("title")
    title = _text(title_el) if title_el is not None else ""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1 and len(parts[0].split()) >= 3:
        return parts[0]  # "Headline | Site name"
    return title


def _outermost(root: Any, tag: str) -> list[Any]:
    """The `tag` elements under root that are not inside another one (one walk, no ancestor lookups)."""
    found, stack = [], [root.child]
    while stack:
        node = stack.pop()
        while node is not None:
            if node.tag == tag:
                found.append(node)
            elif node.child is not None:
                stack.append(node.child)
            node = node.next
    return found


def parse_page(source: str, max_elements: int | None = None) -> Page:
    """The article of a saved page: title, byline, date, tags, summary and the article's own markup, with
    navigation, sidebars, subscribe boxes, footers and forms left out. Linear in the page's size."""
    from selectolax.lexbor import LexborHTMLParser

    doc = LexborHTMLParser(source)
    page = Page()
    meta: dict[str, list[str]] = {}
    for el in doc.css("meta"):
        key = (_attr(el, "property") or _attr(el, "name") or _attr(el, "itemprop")).strip().lower()
        value = " ".join(_attr(el, "content").split())
        if key and value:
            meta.setdefault(key, []).append(value)

    def first(*keys: str) -> str | None:
        return next((meta[k][0] for k in keys if k in meta), None)

    root_node = doc.root
    if root_node is None:
        return page
    facts = _Facts(root_node)
    page.elements = len(facts.order)
    if max_elements is not None and page.elements > max_elements:
        return page  # the caller refuses it: no need to look for the article
    root = facts.content_root(doc)

    h1 = root.css_first("h1")
    if h1 is None:
        h1 = next((n for n in facts.order if n.tag == "h1" and not facts.in_boilerplate(n)), None)
    page.title = _text(h1) if h1 is not None else ""
    if not page.title:
        page.title = first("og:title") or _page_title(doc)

    byline = _find_byline(facts, root) or _find_byline(facts, root_node)
    page.author = (_byline_name(byline) if byline is not None else None) or first("author")

    page.published = first("article:published_time", "date")
    if not page.published:
        times = [n for n in root.css("time[datetime]") if _attr(n, "datetime").strip()]
        times = times or [n for n in doc.css("time[datetime]") if _attr(n, "datetime").strip()]
        page.published = _attr(times[0], "datetime") if times else None

    page.expires = first("article:expiration_time")

    keywords = first("keywords") or ""
    page.tags = [t for t in keywords.split(",") if t.strip()] + meta.get("article:tag", [])
    page.summary = first("description", "og:description")

    # Decide everything before changing the tree (the facts are keyed by node), and remove only the
    # outermost of what goes: a node inside a removed one is gone with it.
    dropped = {n.mem_id for n in (h1, byline) if n is not None}
    doomed, stack = [], [root.child]
    while stack:
        node = stack.pop()
        while node is not None:
            if node.tag != "-text" and (
                node.mem_id in dropped or (node.mem_id in facts.text_len and facts.is_boilerplate(node))
            ):
                doomed.append(node)
            elif node.child is not None:
                stack.append(node.child)
            node = node.next
    for node in doomed:
        node.decompose()
    # Pages that load photos lazily ship the real <img> in <noscript>; parsed with scripting off (as
    # here), its content is markup: keep it, without the wrapper (nh3 parses <noscript> as raw text).
    # Only the outermost: unwrapping nested ones one by one is quadratic in lexbor, and real pages do not
    # nest them (an inner one stays, and is shown as text by the sanitizer).
    for wrapper in _outermost(root, "noscript"):
        wrapper.unwrap()
    page.article_html = root.inner_html or ""
    return page
