"""Dropped photos on the site: <picture> markup with WebP and JPEG srcsets, the body's images rewritten to
their renditions, and the lead image for social cards, JSON-LD and feeds. An image that names a dropped
file not processed yet is left out: never a broken <img>."""

from __future__ import annotations

import html
import re
from typing import Any, NamedTuple

from markupsafe import Markup

from newsdrop.images.refs import ImageInfo, img_src, img_tags, resolve
from newsdrop.models import Article

# The article column is at most 42rem (site.css --measure); below that the page's width less its padding.
SIZES = "(min-width: 46rem) 42rem, calc(100vw - 2rem)"
_ALT = re.compile(r"\salt\s*=\s*\"([^\"]*)\"")


class LeadImage(NamedTuple):
    info: ImageInfo
    alt: str
    caption: str | None
    credit: str | None


def _info(article: Article, ref: str | None) -> ImageInfo | None:
    key = resolve(ref, article.source_key) if ref else None
    data = article.images.get(key) if key else None
    return ImageInfo.from_json(data) if data else None


def lead_image(article: Article) -> LeadImage | None:
    info = _info(article, article.image)
    if info is None:
        return None
    return LeadImage(info, article.image_alt or "", article.image_caption, article.image_credit)


def srcset(info: ImageInfo, ext: str) -> str:
    return ", ".join(f"/{info.key(w, ext)} {w}w" for w in info.widths)


def fallback_path(info: ImageInfo) -> str:
    """The <img src> for browsers without srcset: the rendition nearest 960 px."""
    width = max((w for w in info.widths if w <= 960), default=info.widths[0])
    return f"/{info.key(width, 'jpg')}"


def picture(info: ImageInfo, alt: str, *, lead: bool) -> Markup:
    """<picture>: WebP first, JPEG fallback; width and height reserve the space before it loads; lazy
    everywhere but the lead image, which is the page's largest paint."""
    loading = Markup(' fetchpriority="high"') if lead else Markup(' loading="lazy"')
    return Markup(
        '<picture><source type="image/webp" srcset="{webp}" sizes="{sizes}">'
        '<img src="{src}" srcset="{jpeg}" sizes="{sizes}" width="{width}" height="{height}" alt="{alt}"'
        ' decoding="async"{loading}></picture>'
    ).format(
        webp=srcset(info, "webp"),
        jpeg=srcset(info, "jpg"),
        sizes=SIZES,
        src=fallback_path(info),
        width=info.width,
        height=info.height,
        alt=alt,
        loading=loading,
    )


def rewrite_body(article: Article, body: Markup) -> Markup:
    """The body with each image naming a dropped file as its <picture>, or gone while the file has not
    been processed; images from elsewhere (https URLs) are left as they are."""
    text = str(body)
    out, last = [], 0
    for m in img_tags(text):
        src = img_src(m.group(0))
        key = resolve(src, article.source_key) if src else None
        if key is None:
            continue
        out.append(text[last : m.start()])
        data = article.images.get(key)
        if data:
            alt = _ALT.search(m.group(0))  # sanitized markup: attributes are double-quoted
            out.append(
                picture(ImageInfo.from_json(data), html.unescape(alt.group(1)) if alt else "", lead=False)
            )
        last = m.end()
    if not out:
        return body
    out.append(text[last:])
    return Markup("".join(out))  # noqa: S704 (the sanitized body, with markup built above from escaped values)


def feed_image(article: Article) -> dict[str, Any] | None:
    """The lead image as a list entry keeps it (feeds, cards): its feed-size JPEG."""
    lead = lead_image(article)
    if lead is None:
        return None
    width = lead.info.feed_width
    return {
        "url": f"/{lead.info.key(width, 'jpg')}",
        "width": width,
        "height": lead.info.height_at(width),
        "alt": lead.alt,
    }
