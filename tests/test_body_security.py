"""Hostile article bodies, attacked as an editor would: every vector of our corpus (tests/data/bodies/
xss_vectors.jsonl: script, event handlers, javascript:/vbscript:/data: URLs, obfuscated schemes, reference
definitions that do not start a line, mutation-XSS through foreign content and raw-text elements) is
dropped as a Markdown, HTML page, JSON or text file into the stack built from template.yaml, ingested by
the real handler, and the stored `body_html` is loaded in headless Chromium, where any script that runs is
recorded and the DOM is searched for handlers and dangerous URLs."""

from __future__ import annotations

import json
from pathlib import Path

from ingest_helpers import ingest_files

VECTORS = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "bodies" / "xss_vectors.jsonl").read_text().splitlines()
    if line.strip()
]

# Every way a page could run script reports here; the scan then looks for what could run later (a click).
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>body</title><script>
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print", "eval", "open"]) {
  window[name] = function () { window.__xss.push(name + "(" + [...arguments].join(",") + ")"); };
}
</script></head><body><main id="article">%s</main></body></html>"""

SCAN = """
const done = arguments[arguments.length - 1];
setTimeout(() => {
  const found = [...window.__xss];
  const safeData = /^data:image\\/(png|jpeg|jpg|gif|webp|avif);base64,/;
  const article = document.getElementById("article");
  const elements = article ? article.querySelectorAll("*") : [];
  for (const el of elements) {
    const tag = el.tagName.toLowerCase();
    if (["script", "iframe", "object", "embed", "style", "svg", "math", "form", "base", "meta", "link",
         "template", "input", "button", "textarea", "select", "frame", "applet"].includes(tag)) {
      found.push("element " + tag);
    }
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\x00-\\x20]/g, "").toLowerCase();
      if (name.startsWith("on")) found.push(tag + " " + name);
      if (name === "style") found.push(tag + " style");
      if (/^(javascript|vbscript|data):/.test(value) && !safeData.test(value)) found.push(tag + " " + name);
    }
    if (tag === "a" && el.href) {
      const scheme = new URL(el.href).protocol;
      if (!["http:", "https:", "mailto:", "tel:", "sms:", "file:"].includes(scheme)) found.push("a " + scheme);
    }
    if (tag === "img" && el.src) {
      const scheme = new URL(el.src).protocol;
      if (!["https:", "file:"].includes(scheme) && !safeData.test(el.src)) found.push("img " + scheme);
    }
  }
  done(found);
}, 150);
"""


def _file(name: str, fmt: str, payload: str) -> tuple[str, bytes]:
    title = f"Vector {name} {fmt}"
    lead, tail = "Safe lead paragraph.", "Safe closing paragraph."
    if fmt == "md":
        text = f"---\ntitle: {title}\n---\n{lead}\n\n{payload}\n\n{tail}\n"
    elif fmt == "html":
        text = (
            f"<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{lead}</p>{payload}<p>{tail}</p></article></body></html>"
        )
    elif fmt == "json":
        text = json.dumps({"title": title, "format": "html", "body": f"<p>{lead}</p>{payload}<p>{tail}</p>"})
    else:
        text = f"{title}\n\n{lead}\n\n{payload}\n\n{tail}\n"
    return f"xss/{name}.{fmt}", text.encode()


def _scan(browser, tmp_path: Path, name: str, body_html: str) -> list[str]:
    page = tmp_path / f"{name}.html"
    page.write_text(PAGE % body_html, encoding="utf-8")
    browser.get(page.as_uri())
    return browser.execute_async_script(SCAN)


def test_the_corpus_is_big_enough_and_holds_the_issues_vectors():
    payloads = {v["payload"] for v in VECTORS}
    assert len(VECTORS) >= 100
    assert sum(len(v["formats"]) for v in VECTORS) >= 300
    for issue_vector in (
        "<<x>img src=x onerror=alert(1)>",
        "<<!-- -->img src=x onerror=alert(1)>",
        "<<script></script>img src=x onerror=alert(1)>",
        "<<?x>img src=x onerror=alert(1)>",
        "[click][x]\n\n> [x]: javascript:alert(1)",
        "[click][x]\n\n- [x]: javascript:alert(1)",
        "[click][x]\n\n1. [x]: javascript:alert(1)",
    ):
        assert issue_vector in payloads


def test_the_browser_check_sees_script_run_and_javascript_links(browser, tmp_path):
    """The detector itself: unsanitized vectors must be caught, or a clean result would mean nothing."""
    assert _scan(browser, tmp_path, "control-1", "<img src=x onerror=alert(1)>")
    assert _scan(browser, tmp_path, "control-2", '<a href=" jav&#x09;ascript:alert(1)">x</a>')
    assert _scan(browser, tmp_path, "control-3", "<details open ontoggle=alert(1)>x</details>")
    assert _scan(browser, tmp_path, "control-4", "<p>plain</p>") == []


def test_no_vector_runs_script_after_the_real_ingest(stack, articles, browser, tmp_path):
    prefix = stack.parameters["IncomingPrefix"]
    files, sources = {}, {}
    for vector in VECTORS:
        for fmt in vector["formats"]:
            key, data = _file(vector["name"], fmt, vector["payload"])
            files[prefix + key] = data
            sources[prefix + key] = f"{vector['name']}.{fmt}"
    ingest_files(stack, files)

    pages: dict[str, list[str]] = {}  # body_html -> the drops that produced it
    for key, source in sources.items():
        [outcome] = articles.drops_for(key)
        assert outcome["status"] == "stored", (source, outcome)
        article = articles.get_article(outcome["slug"])
        assert article is not None and "Safe lead paragraph." in article.body_html, source
        pages.setdefault(article.body_html, []).append(source)

    executed = {}
    for i, (body_html, produced_by) in enumerate(pages.items()):
        found = _scan(browser, tmp_path, f"page-{i}", body_html)
        if found:
            executed[", ".join(produced_by)] = (found, body_html)
    assert executed == {}
