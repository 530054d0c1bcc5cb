"""What `newsdrop run` reports, read back from the local stores (S3, DynamoDB, SES), never from memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsdrop.ingest.store import ArticleStore
from newsdrop.local.stack import LocalStack
from newsdrop.models import is_public


@dataclass
class Drop:
    path: Path
    key: str


def drop_report(stack: LocalStack, drops: list[Drop]) -> list[dict[str, Any]]:
    store = ArticleStore(stack.resource("ArticlesTable"), stack.session.resource("dynamodb"))
    report = []
    for drop in drops:
        records = sorted(store.drops_for(drop.key), key=lambda r: r.get("event_time", ""))
        # The last event for the key is what the editor's latest upload of it became.
        last = (
            records[-1] if records else {"status": "pending", "reason": "no event was handled for this file"}
        )
        report.append(
            {
                "source": drop.path.name,
                "status": last["status"],
                "slug": last.get("slug"),
                "reason": last.get("reason"),
                "detail": last.get("detail"),
                "quarantined_as": last.get("quarantined_as"),
            }
        )
    return report


def article_report(stack: LocalStack, slugs_in_drop_order: list[str]) -> list[dict[str, Any]]:
    store = ArticleStore(stack.resource("ArticlesTable"), stack.session.resource("dynamodb"))
    related = related_lists(stack)
    articles = []
    for slug in dict.fromkeys(slugs_in_drop_order):
        article = store.get_article(slug)
        if article is None:
            continue
        articles.append(
            {
                "slug": article.slug,
                "title": article.title,
                "author": article.author,
                "published": article.published.isoformat(),
                "tags": [t.label for t in article.editor_tags],
                "auto_tags": [t.label for t in article.auto_tags],
                "excerpt": article.excerpt,
                "word_count": article.word_count,
                "reading_minutes": article.reading_minutes,
                "revision": article.revision,
                "state": article.state,
                "publish_at": article.publish_at.isoformat() if article.publish_at else None,
                **({"expires_at": article.expires_at.isoformat()} if article.expires_at else {}),
                "notify": article.notify,
                # what readers see: nothing of an article that is not public, its list included
                "related": related(article.slug) if is_public(article) else [],
            }
        )
    return articles


def related_lists(stack: LocalStack):
    """slug -> [{slug, title, excerpt}] from the related table, once the stack has one."""
    if "RelatedTable" not in stack.physical:
        return lambda slug: []
    from newsdrop.related.engine import related_for
    from newsdrop.related.store import DynamoDBRelatedIndex

    index = DynamoDBRelatedIndex(stack.resource("RelatedTable"), stack.session.resource("dynamodb"))

    def lookup(slug: str) -> list[dict[str, Any]]:
        return [{"slug": e.slug, "title": e.title, "excerpt": e.excerpt} for e in related_for(index, slug)]

    return lookup


def dead_letter_report(stack: LocalStack) -> dict[str, int]:
    """{queue: messages} for every dead-letter queue of the template, read from SQS now."""
    from newsdrop.deadletters import dead_letter_depths, dead_letter_queues

    urls = {name: stack.resource(name) for name in dead_letter_queues(stack.cfn["Resources"])}
    return dead_letter_depths(stack.client("sqs"), urls)


def email_report(stack: LocalStack) -> list[dict[str, Any]]:
    """Every message moto's SES recorded, parsed back from its raw MIME."""
    from newsdrop.local.mail import sent_messages

    return [
        {"to": m.to, "subject": m.subject, "article": m.article, "headers": m.headers}
        for m in sent_messages(stack)
    ]


def schedule_report(dispatcher: Any) -> list[dict[str, Any]]:
    """The timed transitions still ahead (one-time schedules not fired yet)."""
    import json

    out = []
    for schedule in dispatcher.pending_schedules():
        request = json.loads(schedule["Target"].get("Input") or "{}")
        at = schedule["At"]
        out.append(
            {
                "slug": request.get("slug"),
                "action": request.get("action"),
                "at": at.isoformat() if at else schedule["ScheduleExpression"],
                "name": schedule["Name"],
            }
        )
    return out
