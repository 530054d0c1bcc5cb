"""The CommonMark spec's examples (tests/data/bodies: spec 0.31.2) through our wrapper.

Of the examples markdown-it-py renders exactly as the spec expects, each must come out of Newsdrop's
Markdown path (markdown-it-py, then nh3) the same, compared as parsed HTML trees, so serialization details
("<br />" or "<br>", entity spellings) and the rel="noopener noreferrer" that the sanitizer adds to links
do not count. The only differences allowed are the sanitizer's own (with its heading ids and levels): where the spec's expected HTML holds
something our allow-list refuses (raw HTML examples with unknown tags, attributes or schemes), ours must
equal the spec's expected HTML put through the same sanitizer. Examples whose output our extensions
(tables, ~~strikethrough~~) change are set aside.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from selectolax.lexbor import LexborHTMLParser

from newsdrop.ingest.body import markdown_html, render_markdown, sanitize

SPEC = Path(__file__).parent / "data" / "bodies" / "commonmark-spec-0.31.2.txt"
FENCE = "`" * 32


def spec_examples() -> list[tuple[int, str, str]]:
    examples, lines, number = [], SPEC.read_text(encoding="utf-8").split("\n"), 0
    i = 0
    while i < len(lines):
        if lines[i] == FENCE + " example":
            j = lines.index(".", i + 1)
            k = lines.index(FENCE, j + 1)
            number += 1
            markdown = "\n".join(lines[i + 1 : j]) + "\n" if j > i + 1 else ""
            html = "\n".join(lines[j + 1 : k]) + "\n" if k > j + 1 else ""
            examples.append((number, markdown.replace("\u2192", "\t"), html.replace("\u2192", "\t")))
            i = k
        i += 1
    return examples


def tree(html: str) -> list[Any]:
    """The HTML as a parser sees it: elements with their attributes (rel aside), and text."""
    body = LexborHTMLParser(f"<body>{html.strip()}</body>").body  # (the sanitizer trims the ends)
    out: list[Any] = []
    for node in body.traverse(include_text=True) if body is not None else []:
        if node.tag == "-text":
            out.append(node.text_content)
        elif node.tag != "body":
            attrs = sorted((k, v or "") for k, v in node.attributes.items() if k != "rel")
            out.append((node.tag, attrs))
    return out


def test_the_spec_examples_markdown_it_passes_pass_through_our_wrapper():
    examples = spec_examples()
    assert len(examples) == 655  # spec 0.31.2
    reference = MarkdownIt("commonmark")
    passing = [(n, md, html) for n, md, html in examples if reference.render(md) == html]
    assert len(passing) >= 0.95 * len(examples)

    untouched, sanitized, extensions, failures = 0, 0, 0, []
    for number, markdown, expected in passing:
        if render_markdown(markdown) != expected:
            extensions += 1  # tables or strikethrough changed this example: not CommonMark's concern
            continue
        ours = tree(markdown_html(markdown))
        if tree(sanitize(expected)) == tree(expected):
            untouched += ours == tree(expected)
            if ours != tree(expected):
                failures.append(number)
        else:
            sanitized += ours == tree(sanitize(expected))
            if ours != tree(sanitize(expected)):
                failures.append(number)
    assert failures == []
    # Most examples carry nothing the sanitizer changes (the rest are raw HTML examples, and headings,
    # which gain an id and, beside an h1, a level); few are set aside.
    assert untouched >= 0.8 * len(passing) and extensions <= 0.02 * len(passing)
