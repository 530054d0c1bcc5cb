"""Photos dropped beside articles, through the handlers on template.yaml in moto: ingest hands image drops
to the image function (its queue), which refuses bad files with a reason and writes renditions that the
publisher's pages, cards and feeds show. Every image here is made by Pillow in the test."""

from __future__ import annotations

import io
import json
import re
import struct
import zlib

import feedparser
import pytest
from PIL import Image, ImageDraw

INCOMING = "incoming/"


def photo(width=1800, height=1200, fmt="JPEG", **save) -> bytes:
    """A photo-like picture: a sky, a sea and a red boat, so encoders have edges and gradients."""
    image = Image.new("RGB", (width, height), (120, 170, 220))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(20, 70, 120))
    draw.polygon(
        [(width // 3, height * 2 // 3), (width // 2, height // 3), (width // 2, height * 2 // 3)], fill="red"
    )
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def article(image: str | None = "harbour.jpg", body: str = "![Boats in the harbour](boats.png)") -> bytes:
    lead = (
        f"image: {image}\nimage_alt: Fishing boats moored at dawn\nimage_caption: The harbour at Porthmoor\n"
        "image_credit: Photo by Ana Ruiz\n"
        if image
        else ""
    )
    return (
        f"---\ntitle: The harbour reopens\nauthor: Ana Ruiz\ndate: 2025-03-01\ntags: Harbour\n{lead}---\n\n"
        f"The harbour at Porthmoor reopened on Monday after the storm.\n\n{body}\n\nBoats went out at dawn.\n"
    ).encode()


class World:
    def __init__(self, stack, dispatcher, articles):
        self.stack, self.dispatcher, self.articles = stack, dispatcher, articles
        self.s3 = stack.client("s3")
        self.drop_bucket = stack.output("DropBucketName")
        self.site_bucket = stack.output("SiteBucketName")

    def drop(self, name: str, body: bytes) -> str:
        key = INCOMING + name
        self.s3.put_object(Bucket=self.drop_bucket, Key=key, Body=body)
        self.dispatcher.pump()
        return key

    def page(self, slug: str) -> str:
        return self.site(f"{slug}/index.html").decode()

    def site(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.site_bucket, Key=key)["Body"].read()

    def site_keys(self, prefix: str = "") -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.site_bucket, Prefix=prefix)
        return sorted(o["Key"] for p in pages for o in p.get("Contents", []))

    def outcome(self, key: str) -> dict:
        [record] = self.articles.drops_for(key)
        return record

    def dead_letters(self) -> int:
        sqs = self.stack.client("sqs")
        total = 0
        for name in ("ImageDeadLetterQueue", "IngestDeadLetterQueue"):
            url = self.stack.resource(name)
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            total += int(attrs["Attributes"]["ApproximateNumberOfMessages"])
        return total


@pytest.fixture
def world(stack, dispatcher, articles):
    return World(stack, dispatcher, articles)


SLUG = "the-harbour-reopens"


@pytest.mark.parametrize("article_first", [True, False], ids=["article-first", "images-first"])
def test_a_photo_article_gets_pictures_cards_and_feeds_whatever_the_order(world, article_first):
    if article_first:
        key = world.drop("harbour/index.md", article())
        waiting = world.outcome(key)
        assert waiting["status"] == "stored"
        assert waiting["waiting_for"] == ["incoming/harbour/harbour.jpg", "incoming/harbour/boats.png"]
        assert "Waiting for incoming/harbour/harbour.jpg" in waiting["detail"]
        before = world.page(SLUG)
        assert "<img" not in before and "harbour.jpg" not in before and "boats.png" not in before
    world.drop("harbour/harbour.jpg", photo(1800, 1200))
    world.drop("harbour/boats.png", photo(700, 400, "PNG"))
    if not article_first:
        key = world.drop("harbour/index.md", article())
        assert "waiting_for" not in world.outcome(key)
    assert world.outcome("incoming/harbour/harbour.jpg")["status"] == "stored"

    page = world.page(SLUG)
    [lead, body_image] = re.findall(r"<picture>.*?</picture>", page)
    # the lead: every width up to the original's (1800: never upscaled), WebP first, JPEG fallback
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)" sizes="[^"]+">', lead).group(1)
    widths = [int(w) for w in re.findall(r" (\d+)w", webp)]
    assert widths == [480, 960, 1600, 1800]
    assert re.fullmatch(r"/media/[0-9a-f]{20}/harbour-480\.webp", webp.split(" ")[0])
    assert 'width="1800" height="1200"' in lead and 'alt="Fishing boats moored at dawn"' in lead
    assert 'loading="lazy"' not in lead and 'fetchpriority="high"' in lead
    assert re.search(r'<img src="/media/[0-9a-f]{20}/harbour-960\.jpg" srcset="[^"]*-1800\.jpg 1800w"', lead)
    figure = re.search(r'<figure class="lead-image">.*?</figure>', page, re.S).group(0)
    assert (
        '<figcaption>The harbour at Porthmoor <span class="credit">Photo by Ana Ruiz</span></figcaption>'
        in figure
    )
    # the body's image, rewritten to its renditions, lazy
    assert 'loading="lazy"' in body_image and 'alt="Boats in the harbour"' in body_image
    assert 'width="700" height="400"' in body_image and "boats-480.webp 480w, " in body_image
    assert "boats.png" not in page  # no reference to the dropped file itself is left
    # no style attribute or inline style anywhere (the CSP has no 'unsafe-inline')
    assert " style=" not in page and "<style" not in page

    # social cards and JSON-LD: absolute https, the feed-size rendition
    card = re.search(r'<meta property="og:image" content="([^"]+)">', page).group(1)
    assert re.fullmatch(r"https://[^/]+/media/[0-9a-f]{20}/harbour-1600\.jpg", card)
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page).group(1))
    assert ld["image"] == [{"@type": "ImageObject", "url": card, "width": 1600, "height": 1067}]
    # feeds: RSS media:content, JSON Feed image
    rss = world.site("feed.xml").decode()
    assert f'<media:content url="{card}" medium="image" type="image/jpeg" width="1600" height="1067">' in rss
    [entry] = feedparser.parse(rss).entries  # a feed reader finds the photo
    assert entry.media_content == [
        {"url": card, "medium": "image", "type": "image/jpeg", "width": "1600", "height": "1067"}
    ]
    [item] = json.loads(world.site("feed.json"))["items"]
    assert item["image"] == card

    # every rendition exists, with its type and an immutable cache header
    media = world.site_keys("media/")
    assert len(media) == 2 * 4 + 2 * 2  # harbour: 4 widths, boats (700 px): 480 and 700; WebP + JPEG
    s3 = world.s3
    for key in media:
        head = s3.head_object(Bucket=world.site_bucket, Key=key)
        assert head["CacheControl"] == "public, max-age=31536000, immutable"
        assert head["ContentType"] == ("image/webp" if key.endswith(".webp") else "image/jpeg")
    assert world.dead_letters() == 0


def test_renditions_are_upright_stripped_of_metadata_and_in_srgb(world):
    # 1200 x 600 stored sideways: EXIF orientation 6 says "turn 90 degrees clockwise to view"; the left
    # half red, the right half blue, so the upright picture has red on top. GPS and an ICC profile ride along.
    image = Image.new("RGB", (1200, 600), "blue")
    ImageDraw.Draw(image).rectangle((0, 0, 599, 599), fill="red")
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Newsdrop Test Camera"
    exif.get_ifd(0x8825).update({1: "N", 2: (50.0, 7.0, 0.0), 3: "W", 4: (5.0, 3.0, 0.0)})  # GPS
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = io.BytesIO()
    image.save(data, "JPEG", exif=exif.tobytes(), icc_profile=icc, quality=95)
    world.drop("harbour/index.md", article(body="Text only."))
    world.drop("harbour/harbour.jpg", data.getvalue())

    media = world.site_keys("media/")
    assert [k.rsplit("-", 1)[1] for k in media] == ["480.jpg", "480.webp", "600.jpg", "600.webp"]
    for key in media:
        out = Image.open(io.BytesIO(world.site(key)))
        assert out.mode == "RGB"
        assert out.width in (480, 600) and out.height == out.width * 2  # upright: portrait
        top, bottom = out.getpixel((out.width // 2, 5)), out.getpixel((out.width // 2, out.height - 5))
        assert top[0] > 200 and top[2] < 60 and bottom[2] > 200 and bottom[0] < 60
        assert not out.getexif() and not out.info.get("exif") and not out.info.get("icc_profile")
        assert b"Newsdrop Test Camera" not in world.site(key) and b"GPS" not in world.site(key)
    assert 'width="600" height="1200"' in world.page(SLUG)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with a few bytes of IDAT: a decompression bomb's shape."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (64, 64), color) for color in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(
    ("name", "make", "reason", "says"),
    [
        ("bomb.png", lambda: png_claiming(100_000, 100_000), "too_many_pixels", "claims 10,000 megapixels"),
        (
            "tall.png",
            lambda: png_claiming(1000, 60_000),
            "too_many_pixels",
            "1,000 x 60,000 pixels, 60 megapixels",
        ),
        ("png-inside.jpg", lambda: photo(300, 200, "PNG"), "type_mismatch", "named .jpg but contains a PNG"),
        ("text.png", lambda: b"this is not a picture at all", "type_mismatch", "not an image"),
        ("drawing.svg", lambda: SVG, "unsupported_type", "can carry scripts"),
        ("svg-inside.png", lambda: SVG, "unsupported_type", "SVG"),
        ("spinner.gif", animated_gif, "unsupported_type", "animated (3 frames)"),
        ("cut.jpg", lambda: photo(800, 600)[:600], "bad_image", "cannot be decoded"),
        (
            "huge.jpg",
            lambda: photo(64, 64) + b"\0" * (20 * 1024 * 1024),
            "too_large",
            "the limit is 20,971,520",
        ),
    ],
)
def test_bad_images_are_refused_with_a_reason_and_never_stored(world, name, make, reason, says):
    world.drop("harbour/index.md", article(image=None, body=f"![x]({name})"))
    key = world.drop(f"harbour/{name}", make())
    outcome = world.outcome(key)
    assert (outcome["status"], outcome["reason"]) == ("rejected", reason)
    assert says in outcome["detail"]
    # quarantined like a bad article: the original and a report beside it
    assert outcome["quarantined_as"] == f"quarantine/harbour/{name}"
    report = json.loads(
        world.s3.get_object(Bucket=world.drop_bucket, Key=f"quarantine/harbour/{name}.reject.json")[
            "Body"
        ].read()
    )
    assert report["reason"] == reason
    assert world.site_keys("media/") == []
    assert "<img" not in world.page(SLUG) and name not in world.page(SLUG)
    assert world.dead_letters() == 0


def test_an_image_event_delivered_twice_is_processed_once(world, stack):
    world.drop("harbour/index.md", article(body="Text only."))
    key = world.drop("harbour/harbour.jpg", photo(1000, 500))
    first = {
        k: world.s3.head_object(Bucket=world.site_bucket, Key=k)["ETag"] for k in world.site_keys("media/")
    }
    # the same message again (SQS delivers at least once)
    head = world.s3.head_object(Bucket=world.drop_bucket, Key=key)
    [drop] = world.articles.drops_for(key)
    message = {"bucket": world.drop_bucket, "key": key, "size": head["ContentLength"], "version_id": head.get("VersionId"),
               "sequencer": drop["sk"], "event_time": None, "etag": None, "removed": False}  # fmt: skip
    stack.client("sqs").send_message(QueueUrl=stack.resource("ImageQueue"), MessageBody=json.dumps(message))
    world.dispatcher.pump()
    assert world.articles.drops_for(key) == [drop]  # the first outcome stands
    again = {
        k: world.s3.head_object(Bucket=world.site_bucket, Key=k)["ETag"] for k in world.site_keys("media/")
    }
    assert again == first
    assert world.dead_letters() == 0


def test_a_new_version_of_a_photo_replaces_it_on_the_page(world):
    world.drop("harbour/index.md", article(body="Text only."))
    world.drop("harbour/harbour.jpg", photo(1000, 500))
    old = re.search(r"/media/([0-9a-f]{20})/", world.page(SLUG)).group(1)
    world.drop("harbour/harbour.jpg", photo(900, 600, quality=60))
    page = world.page(SLUG)
    new = re.search(r"/media/([0-9a-f]{20})/", page).group(1)
    assert new != old and old not in page and 'width="900" height="600"' in page


def test_json_and_html_articles_name_their_photos_too(world):
    world.drop("quay/quay.webp", photo(640, 480, "WEBP"))
    world.drop("quay/map.gif", photo(320, 200, "GIF"))
    body = {
        "title": "The quay is rebuilt",
        "image": "quay.webp",
        "image_alt": "The new quay",
        "body": "Work ended on Friday.",
    }
    world.drop("quay/story.json", json.dumps(body).encode())
    page = world.page("the-quay-is-rebuilt")
    assert 'alt="The new quay"' in page and "quay-640.webp 640w" in page
    html = b"<html><body><article><h1>A map of the quay</h1><p>Here it is.</p><img src='map.gif' alt='Map'></article></body></html>"
    world.drop("quay/map.html", html)
    page = world.page("a-map-of-the-quay")
    assert 'alt="Map"' in page and "map-320.jpg 320w" in page and 'loading="lazy"' in page


@pytest.mark.parametrize(
    ("front", "says"),
    [
        ("image: harbour.jpg\n", "'image_alt' field is required when 'image' is set"),
        ("image: https://example.com/a.jpg\nimage_alt: A\n", "not an image file beside the article"),
    ],
)
def test_a_lead_image_needs_alt_text_and_a_dropped_file(world, front, says):
    key = world.drop("bad.md", f"---\ntitle: No alt\n{front}---\nBody text.\n".encode())
    outcome = world.outcome(key)
    assert (outcome["status"], outcome["reason"]) == ("rejected", "invalid_field")
    assert says in outcome["detail"]
