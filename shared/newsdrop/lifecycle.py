"""The editorial lifecycle, as pure decisions (no AWS here): which state a stored article is in, which
timed transitions it still needs, and whether its publication is announced by email.

    draft ----------(re-upload without draft: true)----------> scheduled | published
    scheduled ------(its date: a one-time schedule fires)----> published
    published ------(its expires: a one-time schedule fires)-> expired
    any ------------(the file is deleted)---------------------> unpublished (the text is kept)

The writers (ingest, the lifecycle function) put the state on the article's CURRENT item, so the
articles stream carries every transition to the related lists, the notifier and the site.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal, NamedTuple

from newsdrop.models import Article, ArticleState, is_public

if TYPE_CHECKING:
    from newsdrop.ingest.parsing import ArticleDraft

Action = Literal["publish", "expire"]

# A date this close to the upload counts as "now": one-time schedules fire at minute granularity, and
# a schedule created for a moment already past would only add a delay.
IMMEDIATE = timedelta(seconds=60)
DEFAULT_NOTIFY_MAX_AGE = timedelta(hours=48)

# Where the functions read the time. Lambda: the wall clock. The local stack points it at its own
# clock, which `newsdrop run --now` and the tests move forward instead of sleeping.
time_source: Callable[[], float] = time.time


def now() -> datetime:
    return datetime.fromtimestamp(time_source(), UTC)


class Placement(NamedTuple):
    """Where a newly stored revision stands, and the transitions still ahead of it."""

    state: ArticleState
    publish_at: datetime | None
    expires_at: datetime | None


def place(draft: ArticleDraft, previous: Article | None, at: datetime) -> Placement:
    """The state of a revision stored at ``at``. A correction of a live article keeps the moment it went
    public (it is not published again); anything that becomes public now goes public at ``at``."""
    at = at.replace(microsecond=0)  # schedules and reports work in whole seconds
    expires_at = draft.expires
    if draft.draft:
        return Placement("draft", None, expires_at)
    if expires_at is not None and expires_at <= at + IMMEDIATE:
        return Placement("expired", None, expires_at)
    if draft.date is not None and draft.date > at + IMMEDIATE:
        return Placement("scheduled", draft.date, expires_at)
    went_public = previous.publish_at if previous is not None and is_public(previous) else None
    return Placement("published", went_public or at, expires_at)


def pending_transitions(article: Article) -> dict[Action, datetime]:
    """The one-time schedules this revision needs: publish at its date, expire at its expiry."""
    due: dict[Action, datetime] = {}
    if article.state == "scheduled" and article.publish_at is not None:
        due["publish"] = article.publish_at
    if article.state in ("scheduled", "published") and article.expires_at is not None:
        due["expire"] = article.expires_at
    return due


# What each timed transition may start from: a schedule that fires twice, late, or for a revision that
# has since been replaced finds the article elsewhere and changes nothing.
TRANSITIONS: dict[Action, tuple[tuple[ArticleState, ...], ArticleState]] = {
    "publish": (("scheduled",), "published"),
    "expire": (("scheduled", "published"), "expired"),
}


def became_public(old: Article | None, new: Article | None) -> bool:
    """A stream record in which the article went from not visible to visible."""
    return new is not None and is_public(new) and (old is None or not is_public(old))


def is_fresh(article: Article, max_age: timedelta = DEFAULT_NOTIFY_MAX_AGE) -> bool:
    """News, not archive: its date is at most ``max_age`` before the moment it went public."""
    went_public = article.publish_at or article.published
    return went_public - article.published <= max_age


def should_announce(article: Article, max_age: timedelta = DEFAULT_NOTIFY_MAX_AGE) -> bool:
    """Whether the first publication of this article is emailed. Called once per article: the notifier
    keeps a durable marker of each article's first publication, so a re-publication, a correction or a
    replayed record never gets here a second time."""
    return article.notify and is_public(article) and is_fresh(article, max_age)
