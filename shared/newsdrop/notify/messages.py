"""The messages the notification functions pass each other through their queues and the job item:
pydantic models, written with ``to_json`` where they are queued and validated where they are read (the
reading function parses each SQS record's body with them, ``newsdrop.event_models``). A message that
does not validate fails its record with a ``ValidationError`` naming the field; the queue retries it,
then dead-letters it, and the rest of the batch goes on."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from newsdrop.canonical import compact_json
from newsdrop.notify.topics import MAX_TOPICS


class Message(BaseModel):
    # extra keys are ignored: a message queued by a newer version still reads. Each model's validator is
    # built when it is first used, not at import: every function reads one or two of these messages.
    model_config = ConfigDict(extra="ignore", defer_build=True)

    def to_json(self) -> str:
        """The queued form (compact JSON, as before these were models: messages in flight still read)."""
        return compact_json(self.model_dump(mode="json"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Any:
        return cls.model_validate_json(text)


class ArticleSnapshot(Message):
    """What the email needs from the article, frozen when the job is made."""

    slug: str = Field(min_length=1)
    title: str
    excerpt: str = ""
    tags: list[str] = Field(default_factory=list)  # editor tags then auto tags, keys, in order
    labels: dict[str, str] = Field(default_factory=dict)
    correlation_id: str | None = None  # the drop's id, carried into every fan-out and send log


class FanoutTask(Message):
    slug: str = Field(min_length=1)
    article: ArticleSnapshot
    topic: str = Field(min_length=1)  # a tag key or EVERYTHING
    shard: int = Field(ge=0)
    cursor: dict[str, Any] | None = None
    step: int = Field(default=0, ge=0)


class Recipient(Message):
    model_config = ConfigDict(frozen=True)

    sid: str = Field(min_length=1)
    reason: str


class SendBatch(Message):
    slug: str = Field(min_length=1)
    article: ArticleSnapshot
    recipients: list[Recipient]


class MailRequest(Message):
    """One queued request for an email (the subscriber API writes it, the confirmations function reads
    it). Carries the address (nowhere else but the profile does): the queue is encrypted and keeps
    messages a day. The address is checked again by the service that sends. ``requester`` is a keyed hash
    of the reader's network (never the address itself): the per-requester mailbox allowance is counted on
    it."""

    kind: Literal["confirm", "manage"]
    email: str = Field(min_length=3, max_length=320)
    topics: list[str] = Field(default_factory=list, max_length=MAX_TOPICS)
    everything: bool = False
    requester: str = ""


def snapshot_from_article(article: Any) -> ArticleSnapshot:
    labels: dict[str, str] = {}
    for tag in [*article.editor_tags, *article.auto_tags]:
        labels.setdefault(tag.key, tag.label)
    return ArticleSnapshot(
        slug=article.slug,
        title=article.title,
        excerpt=article.excerpt or "",
        tags=list(article.tag_keys),
        labels=labels,
        correlation_id=article.correlation_id,
    )
