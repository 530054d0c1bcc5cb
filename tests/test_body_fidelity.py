"""Legitimate content an editor writes is stored and shown as meant: code shows its tags, tables stay
tables, tel:/sms:/relative/#anchor links and images survive, titles are text. Dropped through the real
ingest handler on the stack built from template.yaml; what a reader sees is checked in Chromium."""

from __future__ import annotations

import json

import pytest
from ingest_helpers import ingest_files

MARKDOWN = """---
title: "Why x<y matters & how to <b>say</b> it"
tags: ["<b>World</b>", "World", "Science"]
---
Use `<br>` for a line break; `javascript:void(0)` is a string here, not a link.

```html
<p class="lead">Hello</p>
```

    <b>indented</b> code keeps its tags

| Planet | Moons |
|--------|------:|
| Mars   | 2     |

E = mc<sup>2</sup>, H<sub>2</sub>O, ~~old~~ and <mark>marked</mark> text, <s>struck</s>.

Call [the desk](tel:+441234567890), [text us](sms:+441234567890), [mail](mailto:desk@example.org),
read [the archive](/archive/2024/) or jump to [the method](#method).

![A chart](https://img.example.org/chart.png) ![Local](images/map.png) ![Old](http://img.example.org/old.jpg)

## Method {#ignored}

Text under the method heading.
"""

PAGE = """<!doctype html><html><head><title>Lazy photos and tables | Example News</title>
<meta name="keywords" content="Data, <i>Science</i>"></head><body>
<nav><a href="/">Home</a></nav>
<article><h1>Lazy photos and tables</h1>
<p>See <a href="/world/">World</a>, <a href="#results">the results</a> or call <a href="tel:+15551234">us</a>.</p>
<figure><img class="lazy" data-src="https://img.example.org/big.jpg" alt="">
<noscript><img src="https://img.example.org/big.jpg" alt="The harbour at dawn"></noscript>
<figcaption>The harbour at dawn.</figcaption></figure>
<img src="http://img.example.org/plain.jpg" alt="plain" srcset="https://img.example.org/p1.jpg 1x, /p2.jpg 2x">
<img src="photos/relative.jpg" alt="relative">
<h2 id="results">Results</h2>
<table><thead><tr><th>Team</th><th>Points</th></tr></thead>
<tbody><tr><td>North</td><td>12</td></tr><tr><td>South</td><td>9</td></tr></tbody></table>
<p>Water is H<sub>2</sub>O; energy is mc<sup>2</sup>; <s>cancelled</s>; <del>removed</del>.</p>
<pre><code>if (a &lt; b) { return "&lt;tag&gt;"; }</code></pre>
</article><footer>(c) Example News</footer></body></html>"""

TEXT = "Prices <rise> & fall\n\nShops said <script>alert(1)</script> is not a price.\nSecond line.\n"


@pytest.fixture
def stored(stack, articles):
    prefix = stack.parameters["IncomingPrefix"]
    files = {
        prefix + "fidelity.md": MARKDOWN.encode(),
        prefix + "fidelity.html": PAGE.encode(),
        prefix + "fidelity.txt": TEXT.encode(),
        prefix + "fidelity.json": json.dumps(
            {"title": "Plain <text> body", "format": "text", "body": "a < b & c > d"}
        ).encode(),
    }
    outcomes = {o["source"].removeprefix(prefix): o for o in ingest_files(stack, files)}
    assert {o["status"] for o in outcomes.values()} == {"stored"}, outcomes
    return {name: articles.get_article(o["slug"]) for name, o in outcomes.items()}


def test_markdown_is_stored_as_written_and_rendered_as_meant(stored):
    article = stored["fidelity.md"]
    assert article.title == "Why x<y matters & how to <b>say</b> it"  # a title is text, never HTML
    assert article.slug == "why-x-y-matters-and-how-to-b-say-b-it"
    assert article.body == MARKDOWN.split("---\n", 2)[2].strip("\n")  # the source, for revisions
    assert [t.label for t in article.editor_tags] == ["World", "Science"]  # markup gone, no twin
    html = article.body_html
    assert "<code>&lt;br&gt;</code>" in html and "<code>javascript:void(0)</code>" in html
    assert '<pre><code class="language-html">&lt;p class="lead"&gt;Hello&lt;/p&gt;\n</code></pre>' in html
    assert "<pre><code>&lt;b&gt;indented&lt;/b&gt; code keeps its tags\n</code></pre>" in html
    assert "<th>Planet</th>" in html and "<td>2</td>" in html  # (alignment is a style: styles are refused)
    for kept in ("<sup>2</sup>", "<sub>2</sub>", "<s>old</s>", "<mark>marked</mark>", "<s>struck</s>"):
        assert kept in html
    for href in ("tel:+441234567890", "sms:+441234567890", "mailto:desk@example.org", "/archive/2024/"):
        assert f'href="{href}" rel="noopener noreferrer"' in html
    # no attribute syntax: the heading's id comes from its text; a link to no id is left as written
    assert 'href="#method"' in html and '<h2 id="body-method-ignored">Method {#ignored}</h2>' in html
    assert '<img src="https://img.example.org/chart.png" alt="A chart">' in html
    assert '<img src="images/map.png" alt="Local">' in html
    assert '<img src="https://img.example.org/old.jpg" alt="Old">' in html  # http: upgraded, not lost


def test_an_html_page_keeps_its_links_images_tables_and_marks(stored):
    article = stored["fidelity.html"]
    assert article.body == PAGE  # the page as dropped
    assert [t.label for t in article.editor_tags] == ["Data", "Science"]
    html = article.body_html
    # the page's ids are namespaced (no body can take "main"), and its own links follow them
    assert 'href="/world/"' in html and 'href="#body-results"' in html and 'href="tel:+15551234"' in html
    assert '<img src="https://img.example.org/big.jpg" alt="The harbour at dawn">' in html  # from <noscript>
    assert "<figcaption>The harbour at dawn.</figcaption>" in html
    assert (
        '<img src="https://img.example.org/plain.jpg" alt="plain" '
        'srcset="https://img.example.org/p1.jpg 1x, /p2.jpg 2x">'
    ) in html
    assert '<img src="photos/relative.jpg" alt="relative">' in html
    assert '<h2 id="body-results">Results</h2>' in html
    assert "<thead><tr><th>Team</th><th>Points</th></tr></thead>" in html
    assert "<tr><td>North</td><td>12</td></tr>" in html
    for kept in ("H<sub>2</sub>O", "mc<sup>2</sup>", "<s>cancelled</s>", "<del>removed</del>"):
        assert kept in html
    assert "Home" not in html and "(c) Example News" not in html


def test_text_bodies_are_escaped_into_paragraphs(stored):
    article = stored["fidelity.txt"]
    assert article.title == "Prices <rise> & fall"
    assert article.body_html == (
        "<p>Shops said &lt;script&gt;alert(1)&lt;/script&gt; is not a price.<br>\nSecond line.</p>"
    )
    assert stored["fidelity.json"].body_html == "<p>a &lt; b &amp; c &gt; d</p>"


def test_a_reader_sees_the_code_the_editor_wrote(stored, browser, tmp_path):
    page = tmp_path / "fidelity.html"
    bodies = "".join(f"<section id='{n}'>{a.body_html}</section>" for n, a in enumerate(stored.values()))
    page.write_text(f"<!doctype html><meta charset=utf-8><title>t</title>{bodies}", encoding="utf-8")
    browser.get(page.as_uri())
    codes = [el.text for el in browser.find_elements("css selector", "code")]
    assert "<br>" in codes and 'if (a < b) { return "<tag>"; }' in codes
    assert '<p class="lead">Hello</p>' in codes
    text = browser.find_element("tag name", "body").text
    assert "Shops said <script>alert(1)</script> is not a price." in text
    assert "a < b & c > d" in text
    cells = [el.text for el in browser.find_elements("css selector", "td")]
    assert cells[:2] == ["Mars", "2"] and "North" in cells


def test_the_related_function_reads_stored_text_without_ingests_libraries():
    """Only ingest carries markdown-it-py, nh3 and selectolax (functions/ingest/requirements.txt): the
    related and rebuild functions must work from the stored body_html with the standard library."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = """
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("nh3", "markdown_it", "mdurl", "selectolax"):
            raise ImportError(name + " is not deployed with this function")
sys.meta_path.insert(0, Absent())
sys.path[:0] = ["functions/related", "functions/rebuild", "shared"]
from datetime import datetime, UTC
from newsdrop.models import Article
from newsdrop.related.engine import article_text, InMemoryRelatedIndex, update_for_article, related_for
import newsdrop.ingest.store, newsdrop.related.store
def article(slug, html):
    return Article(slug=slug, title=slug.title(), published=datetime(2026, 1, 1, tzinfo=UTC), body="source",
                   body_format="markdown", body_html=html, excerpt="", word_count=3, reading_minutes=1,
                   source_key=slug, content_hash=slug)
a = article("harbour-crane", "<p>The <b>harbour</b> crane &amp; the dock strike.</p><ul><li>cranes</li></ul>")
print(repr(article_text(a)))
index = InMemoryRelatedIndex()
update_for_article(index, a)
update_for_article(index, article("dock-strike", "<p>Dock strike at the harbour: cranes idle.</p>"))
print([e.slug for e in related_for(index, "dock-strike")])
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    text, related = out.stdout.strip().split("\n")
    assert text == repr("The harbour crane & the dock strike.\n\ncranes")
    assert related == "['harbour-crane']"
