"""The image function's work on one dropped file: refuse what must not be stored, then renditions.

Checks run cheapest first and before any pixel is decoded: size, magic bytes against the extension, SVG,
the header's pixel count (``Image.open`` reads only the header), animation. Then the pixels: EXIF
orientation applied, converted to sRGB, every rendition written with no metadata at all (EXIF, GPS,
XMP, ICC), WebP and a JPEG fallback, never wider than the original.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from newsdrop.images.refs import IMAGE_EXTENSIONS, ImageInfo, extension, image_name, rendition_widths
from newsdrop.models import RejectedInput, RejectReason

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 50_000_000
# Pillow's own guard, for any decode path that skips ours: it raises at twice this, warns at once.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
WEBP_QUALITY = 80
JPEG_QUALITY = 82

_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
_NAMES = {"JPEG": "a JPEG", "PNG": "a PNG", "GIF": "a GIF", "WEBP": "a WebP", "SVG": "an SVG"}
_SRGB = ImageCms.createProfile("sRGB")


def sniff(data: bytes) -> str | None:
    """The format the bytes are, from their first bytes (never from the name)."""
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            return fmt
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "SVG"
    return None


@dataclass(frozen=True)
class Rendition:
    width: int
    ext: str  # "webp" or "jpg"
    body: bytes

    @property
    def content_type(self) -> str:
        return "image/webp" if self.ext == "webp" else "image/jpeg"


@dataclass(frozen=True)
class Processed:
    info: ImageInfo
    renditions: list[Rendition]


def check(data: bytes, key: str) -> str:
    """The image's format if it may be processed; RejectedInput with the reason otherwise. Decodes no
    pixel."""
    if len(data) > MAX_IMAGE_BYTES:
        raise RejectedInput(RejectReason.TOO_LARGE, too_large(len(data)))
    ext = extension(key)
    claimed = IMAGE_EXTENSIONS.get(ext)
    actual = sniff(data)
    if claimed == "SVG" or actual == "SVG":
        raise RejectedInput(
            RejectReason.UNSUPPORTED_TYPE,
            "SVG images are not accepted: an SVG file can carry scripts. Export it as PNG (drawings, "
            "charts) or JPEG (photos) and drop that instead.",
        )
    if actual is None:
        raise RejectedInput(
            RejectReason.TYPE_MISMATCH,
            f"The file is named {ext} but is not an image Newsdrop reads (JPEG, PNG, WebP or GIF). "
            "Export the picture again from your photo tool.",
        )
    if actual != claimed:
        raise RejectedInput(
            RejectReason.TYPE_MISMATCH,
            f"The file is named {ext} but contains {_NAMES[actual]} image. Rename it to match what it "
            f"is (.{actual.lower().replace('jpeg', 'jpg')}) and drop it again.",
        )
    return actual


def too_large(size: int) -> str:
    return (
        f"The image is {size:,} bytes; the limit is {MAX_IMAGE_BYTES:,} (20 MB). Export it at a lower "
        "quality or size (2,400 pixels wide is the largest the site shows)."
    )


def process(data: bytes, key: str) -> Processed:
    """Renditions of one dropped image, or RejectedInput (never another exception for bad bytes)."""
    fmt = check(data, key)
    try:
        with warnings.catch_warnings():
            # Between the limit and twice it Pillow only warns: our check, just below, refuses it
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[fmt])  # the header only
            pixels = image.width * image.height
            if pixels > MAX_PIXELS:
                raise RejectedInput(RejectReason.TOO_MANY_PIXELS, _too_many_pixels(pixels, image.size))
            if getattr(image, "n_frames", 1) > 1:
                raise RejectedInput(
                    RejectReason.UNSUPPORTED_TYPE,
                    f"The {fmt} image is animated ({image.n_frames} frames); only still images are "
                    "accepted. Drop one frame, or a video link in the article.",
                )
            image.load()
            image = _upright_srgb(image)
    except RejectedInput:
        raise
    except Image.DecompressionBombError as exc:
        # Pillow's own check, made in Image.open from the header, before ours could read the size
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        raise RejectedInput(
            RejectReason.TOO_MANY_PIXELS, _too_many_pixels(int(claimed.group(1)) if claimed else 0)
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise RejectedInput(
            RejectReason.BAD_IMAGE,
            f"The {fmt} image cannot be decoded ({type(exc).__name__}: {str(exc)[:120]}): the file is "
            "damaged or incomplete. Export it again and drop it.",
        ) from None
    digest = hashlib.sha256(data).hexdigest()[:20]
    widths = rendition_widths(image.width)
    renditions = []
    for width in widths:
        scaled = image if width == image.width else _scaled(image, width)
        renditions.append(Rendition(width, "webp", _encode(scaled, "WEBP")))
        renditions.append(Rendition(width, "jpg", _encode(_flat(scaled), "JPEG")))
    top = widths[-1]
    height = image.height if top == image.width else max(1, round(image.height * top / image.width))
    info = ImageInfo(hash=digest, name=image_name(key), width=top, height=height, widths=widths)
    return Processed(info, renditions)


def _too_many_pixels(pixels: int, size: tuple[int, int] | None = None) -> str:
    dims = f"{size[0]:,} x {size[1]:,} pixels, " if size else ""
    claimed = f" claims {dims}{pixels / 1e6:,.0f} megapixels;" if pixels else " claims"
    return (
        f"The image{claimed} more than {MAX_PIXELS / 1e6:.0f} megapixels is refused before decoding (a "
        "small file claiming that many pixels is how decompression bombs work). Resize it to at most "
        "2,400 pixels wide and drop it again."
    )


def _upright_srgb(image: Image.Image) -> Image.Image:
    """Orientation applied, colours in sRGB, RGB or RGBA only."""
    image = ImageOps.exif_transpose(image) or image
    icc = image.info.get("icc_profile")
    if image.mode in ("P", "PA", "LA", "L", "1", "I", "I;16", "F"):
        has_alpha = image.mode in ("PA", "LA") or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    elif image.mode == "CMYK" and not icc:
        image = image.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            mode = "RGBA" if "A" in image.mode else "RGB"
            image = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            image = image.convert("RGBA" if "A" in image.mode else "RGB")  # a broken profile: as sRGB
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    return image


def _scaled(image: Image.Image, width: int) -> Image.Image:
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _flat(image: Image.Image) -> Image.Image:
    """JPEG has no alpha: transparent parts on white, as a page's background shows them."""
    if image.mode != "RGBA":
        return image
    base = Image.new("RGB", image.size, (255, 255, 255))
    base.paste(image, mask=image.getchannel("A"))
    return base


def _encode(image: Image.Image, fmt: str) -> bytes:
    # A fresh info dict: Pillow's PNG and WebP writers fall back to image.info for the ICC profile and
    # EXIF; nothing of the original's metadata may reach a rendition.
    image.info = {}
    out = io.BytesIO()
    if fmt == "WEBP":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()
