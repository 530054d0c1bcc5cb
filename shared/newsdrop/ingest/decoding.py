"""Bytes to text as editors' tools save it, and the same clean-up for strings that arrive escaped inside
JSON or YAML."""

from __future__ import annotations

import codecs
import re
import unicodedata

from newsdrop.models import RejectedInput, RejectReason

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_NEWLINES = re.compile(r"\r\n?|\u2028|\u2029|\x85")
SURROGATES = re.compile("[\ud800-\udfff]")


def has_text_bom(data: bytes) -> bool:
    return data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def decode_text(data: bytes) -> str:
    """Decode an editor's file: UTF-8 (BOM optional), UTF-16 with BOM, else Windows-1252.

    Newlines become "\\n" and the text is NFC-normalized. Raises RejectedInput(UNDECODABLE) for bytes
    that are none of these, or text full of control characters (a binary file with a text name).
    """
    try:
        if data.startswith(codecs.BOM_UTF8):
            text = data[3:].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise RejectedInput(
            RejectReason.UNDECODABLE,
            f"The text cannot be read (invalid byte 0x{data[exc.start]:02x} at offset {exc.start}): it is "
            "neither UTF-8 nor Windows-1252. Save the file as UTF-8 and drop it again.",
        ) from None
    text = _NEWLINES.sub("\n", text).replace("\ufeff", "")
    text = text.rstrip("\x1a")  # DOS end-of-file marker from very old editors
    controls = len(_CONTROL.findall(text))
    if controls:
        if controls > 8 or controls * 50 > len(text):
            raise RejectedInput(
                RejectReason.UNDECODABLE,
                f"The file contains {controls} control characters, so it is not readable text (is it a "
                "binary file with a text name?). Save the article as UTF-8 text and drop it again.",
            )
        text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def clean_value(text: str) -> str:
    """Strings from JSON/YAML escapes ("\\u0000", "\\r") get the same clean-up as decoded files."""
    text = SURROGATES.sub("\ufffd", _CONTROL.sub("", _NEWLINES.sub("\n", text)))
    return unicodedata.normalize("NFC", text)
