"""A related document's scoring data stored packed: what only the engine reads (its term frequencies, its
distinct terms, the terms whose postings list it, its expanded vector) as one zlib-compressed JSON binary,
and its sentence embedding as its 384 raw bytes instead of their base64.

A document item was about 9 KB, written once an article by an archive's reindex and by every update, and
read as a candidate by later updates: ``bench/archive_scale.py`` measured it as the second largest part
of an archive's DynamoDB writes (docs/archive.md). Packed it is about 2.5 KB, and lossless: JSON keeps
every float's repr, so a document read back equals the one written (the lists a reindex computes stay
equal to the incremental path's). Items written before the packing (``tf``, ``ex`` as JSON strings,
``terms``, ``posted``, ``emb`` as strings) are still read; a reindex rewrites them packed, as they differ."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from boto3.dynamodb.types import Binary

PACKED = "z"  # the attribute holding the packed scoring data
LEVEL = 9  # zlib's: the item is written once and read many times


def pack(tf: dict[str, float], terms: list[str], posted: list[str], ex: dict[str, float], emb: str) -> dict:
    """The attributes holding a document's scoring data."""
    data = {"tf": tf, "terms": " ".join(terms), "posted": " ".join(posted), "ex": ex}
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    out: dict[str, Any] = {PACKED: Binary(zlib.compress(raw, LEVEL))}
    if emb:  # packed sentence embedding (related.semantic: int8, base64 in the record)
        out["emb"] = Binary(base64.b64decode(emb))
    return out


def unpack(item: Mapping[str, Any]) -> tuple[dict[str, float], list[str], list[str], dict[str, float], str]:
    """(tf, terms, posted, ex, emb) of a stored document, packed or written before the packing."""
    emb = item.get("emb", "")
    if not isinstance(emb, str):  # Binary, or bytes from a stream image
        emb = base64.b64encode(bytes(getattr(emb, "value", emb))).decode("ascii")
    if PACKED in item:
        blob = item[PACKED]
        data = json.loads(zlib.decompress(bytes(getattr(blob, "value", blob))))
        return data["tf"], data["terms"].split(), data["posted"].split(), data["ex"], emb
    return (
        json.loads(item["tf"]),
        item["terms"].split() if item.get("terms") else [],
        item["posted"].split() if item.get("posted") else [],
        json.loads(item["ex"]) if item.get("ex") else {},
        emb,
    )


def pack_postings(plist: Sequence[Sequence[Any]]) -> Binary:
    """A postings list ([slug, weight(, signature)] each, heaviest first), compressed: the semantic
    buckets' entries carry a 64-character hex signature, and slugs share their words."""
    return Binary(zlib.compress(json.dumps([list(p) for p in plist], separators=(",", ":")).encode(), LEVEL))


def unpack_postings(value: Any) -> list[tuple[Any, ...]]:
    """A stored postings list, packed or written before the packing (a JSON string)."""
    raw = value if isinstance(value, str) else zlib.decompress(bytes(getattr(value, "value", value)))
    return [(p[0], float(p[1]), *p[2:]) for p in json.loads(raw)]
