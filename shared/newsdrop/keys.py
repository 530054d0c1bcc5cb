"""DynamoDB key values built from text an editor or reader wrote (a word, a tag, a topic).

DynamoDB refuses a partition key over 2,048 bytes and a sort key over 1,024 bytes (UTF-8), and a
refused write fails the whole batch: one article with a 2,100-character "word" sent every related
update after it to the dead-letter queue. moto checks none of these limits, so the code must. A value
that fits is kept as it is (existing keys do not move); a longer one keeps a readable head and ends
with the SHA-256 of the whole text, so two long values never share a key and the same text always
finds its item again.
"""

from __future__ import annotations

import hashlib

PARTITION_KEY_BYTES = 2048
SORT_KEY_BYTES = 1024
_DIGEST_CHARS = 64
_HEAD_BYTES = 200  # what a person reading the table sees of a hashed value


def bounded(prefix: str, text: str, limit: int = PARTITION_KEY_BYTES) -> str:
    """``prefix + text`` if it fits in ``limit`` UTF-8 bytes, else ``prefix + head + "~" + sha256(text)``."""
    whole = f"{prefix}{text}"
    if len(whole.encode()) <= limit:
        return whole
    head = text.encode()[: min(_HEAD_BYTES, limit - len(prefix.encode()) - _DIGEST_CHARS - 1)]
    # A cut through a multi-byte character drops that character's bytes.
    readable = head.decode("utf-8", "ignore")
    return f"{prefix}{readable}~{hashlib.sha256(text.encode()).hexdigest()}"
