"""The site's configuration: what a newsroom says about itself (name, language, byline, subscribe pitch,
date format, a subscriber count it chooses to show), from ``site.yaml`` at the top of the drop bucket, where
editors already upload. The publisher reads it when it starts; ``newsdrop publish --all`` re-renders the
site with it. A field that is wrong is ignored with a warning naming it (the site keeps publishing), never
half-applied.

    name: The Harbour Herald
    language: en-GB            # <html lang>, the feeds' <language>
    byline_prefix: Words by
    subscribe_pitch: Join {subscribers} readers    # "{subscribers}" only shows with a count below
    subscribers: 1234          # shown rounded down (1,200); without it no page claims an audience
    date_format: "%d %b %Y"    # strftime
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from newsdrop.site.render import SiteSettings

CONFIG_KEY = "site.yaml"
MAX_CONFIG_BYTES = 16 * 1024
MAX_TEXT = 200
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}\Z")
log = logging.getLogger(__name__)


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip() and len(value) <= MAX_TEXT and "\n" not in value:
        return value.strip()
    return None


def _language(value: Any) -> str | None:
    return value if isinstance(value, str) and _LANGUAGE.match(value) else None


def _date_format(value: Any) -> str | None:
    text = _text(value)
    if text is None or "%" not in text:
        return None
    try:
        datetime(2024, 12, 31).strftime(text)
    except ValueError:
        return None
    return text


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


_FIELDS = {
    "name": _text,
    "language": _language,
    "byline_prefix": _text,
    "subscribe_pitch": _text,
    "subscribers": _count,
    "date_format": _date_format,
}


def apply_config(settings: SiteSettings, text: str | bytes) -> tuple[SiteSettings, list[str]]:
    """``settings`` with site.yaml's fields; and the problems found (each field that was ignored)."""
    from newsdrop.pyyaml import yaml  # PyYAML, with its import made cheaper (see there)

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        return settings, [f"{CONFIG_KEY} is not valid YAML ({err.__class__.__name__}); it was ignored"]
    if data is None:
        return settings, []
    if not isinstance(data, dict):
        return settings, [f"{CONFIG_KEY} must be 'field: value' lines; it was ignored"]
    changes: dict[str, Any] = {}
    problems = []
    for name, value in data.items():
        check = _FIELDS.get(str(name))
        if check is None:
            problems.append(f"unknown field {name!r} ignored (known: {', '.join(_FIELDS)})")
            continue
        accepted = check(value)
        if accepted is None:
            problems.append(f"{name}: {value!r} is not a valid value; the default is kept")
        else:
            changes[str(name)] = accepted
    return settings._replace(**changes), problems


def load_settings(settings: SiteSettings, s3: Any, bucket: str | None) -> SiteSettings:
    """``settings`` updated from ``bucket``'s site.yaml, if there is one."""
    if not bucket:
        return settings
    from botocore.exceptions import ClientError

    try:
        obj = s3.get_object(Bucket=bucket, Key=CONFIG_KEY, Range=f"bytes=0-{MAX_CONFIG_BYTES - 1}")
    except ClientError as err:
        if err.response["Error"]["Code"] in ("NoSuchKey", "404", "InvalidRange"):
            return settings  # no site.yaml (or an empty one): the defaults
        raise
    settled, problems = apply_config(settings, obj["Body"].read())
    for problem in problems:
        log.warning("site configuration: %s", problem)
    return settled
