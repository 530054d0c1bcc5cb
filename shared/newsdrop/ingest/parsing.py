"""Turn one dropped file (bytes + name) into an ArticleDraft, or reject it with a reason an editor can act on.

Formats: Markdown with YAML front matter, JSON, HTML pages (only the article survives) and plain text.
The format comes from the file extension; an unknown extension is sniffed from the content. This module
refuses what is no article at all (too large, empty, binary, undecodable) and hands the text to its
format's reader (newsdrop.ingest.readers), which gives the fields to the article model
(newsdrop.ingest.article_model).
"""

from __future__ import annotations

import re

from newsdrop.ingest.decoding import decode_text, has_text_bom
from newsdrop.ingest.draft import ArticleDraft
from newsdrop.ingest.readers.html_page import read_html
from newsdrop.ingest.readers.json_object import read_json
from newsdrop.ingest.readers.markdown import read_markdown
from newsdrop.ingest.readers.plain_text import read_text
from newsdrop.ingest.rendering import reader_html
from newsdrop.models import MAX_OBJECT_BYTES, RejectedInput, RejectReason

# What other modules import from here.
__all__ = ["ArticleDraft", "decode_text", "parse_article", "reader_html"]

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
READERS = {"markdown": read_markdown, "json": read_json, "html": read_html, "text": read_text}


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
    if fmt is None and not has_text_bom(data) and b"\x00" in data[:8192]:
        raise RejectedInput(
            RejectReason.UNSUPPORTED_TYPE, f"This looks like a binary file, not an article. {EXPORT_HINT}"
        )
    text = decode_text(data)
    if not text.strip():
        raise RejectedInput(
            RejectReason.EMPTY, "The file holds only blank space: there is nothing to publish."
        )
    return READERS[fmt or _sniff(text)](text)


def _extension(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _reject_binary(data: bytes, ext: str) -> None:
    if ext in KNOWN_UNSUPPORTED:
        raise RejectedInput(
            RejectReason.UNSUPPORTED_TYPE,
            f"This is {KNOWN_UNSUPPORTED[ext]} ({ext}), which Newsdrop cannot read. {EXPORT_HINT}",
        )
    if has_text_bom(data):
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
