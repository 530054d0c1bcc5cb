"""How articles name dropped images, and where their renditions live. No Pillow here: ingest and the
publisher import this; only the image function imports ``newsdrop.images.process``."""

from __future__ import annotations

import html
import posixpath
import re
from typing import Any, NamedTuple

from newsdrop.ingest.text import slug_or_empty

# What editors may drop (lower-cased extension -> the format its bytes must be). SVG is routed to the
# image function too, so that it is refused with a reason rather than read as an article.
IMAGE_EXTENSIONS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".gif": "GIF",
    ".svg": "SVG",
}
# Rendition widths in CSS pixels; an image narrower than the widest gets its own width as the last one
# (never upscaled).
WIDTHS = (480, 960, 1600, 2400)
FEED_WIDTH = 1600  # og:image, JSON-LD, feeds: large enough for summary_large_image cards
MEDIA_PREFIX = "media/"

_IMG_TAG = re.compile(r"<img\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.I)
_SRC = re.compile(r"\ssrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")


def extension(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def is_image_key(key: str) -> bool:
    return extension(key) in IMAGE_EXTENSIONS


def is_local_ref(ref: str) -> bool:
    """A path relative to the article ("photo.jpg", "../shared/map.png"), not a URL or a site path."""
    ref = ref.strip()
    return bool(ref) and not _SCHEME.match(ref) and not ref.startswith(("/", "#", "?"))


def resolve(ref: str, source_key: str) -> str | None:
    """The drop-bucket key an article's relative image path names ("photo.jpg" beside
    "incoming/budget/index.md" -> "incoming/budget/photo.jpg"); None for URLs, non-images and paths that
    climb out of the bucket."""
    ref = html.unescape(ref.strip()).split("#", 1)[0].split("?", 1)[0]
    if not is_local_ref(ref) or not is_image_key(ref):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(source_key), ref))
    return None if joined.startswith("../") or joined == ".." else joined


def img_tags(body_html: str) -> list[re.Match[str]]:
    return list(_IMG_TAG.finditer(body_html))


def img_src(tag: str) -> str | None:
    m = _SRC.search(tag)
    return next((g for g in m.groups() if g is not None), None) if m else None


def image_keys(article: Any) -> list[str]:
    """Every dropped image an article shows (lead image first), as drop-bucket keys, once each."""
    refs = [article.image] if getattr(article, "image", None) else []
    refs += [src for m in img_tags(article.body_html or "") if (src := img_src(m.group(0)))]
    keys = (resolve(ref, article.source_key) for ref in refs)
    return list(dict.fromkeys(k for k in keys if k))


class ImageInfo(NamedTuple):
    """One processed image, as an article item stores it: enough to name every rendition."""

    hash: str  # of the original bytes: the renditions' keys change when the photo does
    name: str  # the file's stem, slugged ("Harbour at dawn.JPG" -> "harbour-at-dawn")
    width: int  # of the widest rendition
    height: int
    widths: tuple[int, ...]

    def key(self, width: int, ext: str) -> str:
        return f"{MEDIA_PREFIX}{self.hash}/{self.name}-{width}.{ext}"

    def height_at(self, width: int) -> int:
        return max(1, round(self.height * width / self.width))

    @property
    def feed_width(self) -> int:
        return max((w for w in self.widths if w <= FEED_WIDTH), default=self.widths[0])

    def to_json(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "widths": list(self.widths),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageInfo:
        # DynamoDB gives numbers back as Decimal
        return cls(
            hash=str(data["hash"]),
            name=str(data["name"]),
            width=int(data["width"]),
            height=int(data["height"]),
            widths=tuple(int(w) for w in data["widths"]),
        )


def rendition_widths(width: int) -> tuple[int, ...]:
    smaller = [w for w in WIDTHS if w < width]
    return (*smaller, min(width, WIDTHS[-1]))


def image_name(key: str) -> str:
    stem = key.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return (slug_or_empty(stem) or "image")[:60]
