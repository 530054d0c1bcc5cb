"""The subscriber API's contract: pydantic models of every request body and JSON answer.

The event handler validates bodies with these (``enable_validation=True``), and ``newsdrop.notify.openapi``
writes the OpenAPI document from them, so what is checked and what is documented are one thing. A JSON body
and a form post (the no-JavaScript subscribe box) are read by the same model: a form sends one ``topics``
field per ticked box, or one comma-separated text field (the preferences page).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newsdrop.notify.topics import EVERYTHING, MAX_TOPICS, InvalidTopics, normalize_topic

_SEPARATORS = re.compile(r"[,\n]")
EVERYTHING_WORDS = frozenset({"everything", EVERYTHING})  # "follow everything", as a topic


def _topic_list(value: object) -> object:
    """Forms send topics as repeated fields or one comma-separated string; JSON as a list."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [part.strip() for v in value for part in _SEPARATORS.split(v) if part.strip()]
    return value


def _topic_keys(values: list[str]) -> list[str]:
    try:
        keys = sorted(
            {EVERYTHING if v.strip().lower() in EVERYTHING_WORDS else normalize_topic(v) for v in values}
        )
    except InvalidTopics as exc:
        raise ValueError(str(exc)) from None
    if len(keys) > MAX_TOPICS:
        raise ValueError(f"at most {MAX_TOPICS} topics")
    return keys


TopicList = Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=4 * MAX_TOPICS)]


_LIST_FIELDS = frozenset({"topics", "follow", "unfollow"})


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", str_max_length=2000)

    @model_validator(mode="before")
    @classmethod
    def _form_fields(cls, data: object) -> object:
        """A parsed form holds a list per field: a single-value field takes the last one sent."""
        if not isinstance(data, dict):
            return data
        return {
            k: v[-1]
            if k not in _LIST_FIELDS and isinstance(v, list) and v and all(isinstance(x, str) for x in v)
            else v
            for k, v in data.items()
        }

    @field_validator("topics", "follow", "unfollow", mode="before", check_fields=False)
    @classmethod
    def _split(cls, value: object) -> object:
        return _topic_list(value)

    @field_validator("topics", "follow", "unfollow", check_fields=False)
    @classmethod
    def _keys(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _topic_keys(value)


class SubscribeRequest(_Body):
    """A sign-up: the address, and the tags to follow (none, or "everything": every new post)."""

    email: str = Field(
        max_length=320, description="The address to confirm; a confirmation link is mailed to it."
    )
    topics: TopicList = Field(default_factory=list, description='Tag keys of the site, or "everything".')
    everything: bool | None = Field(default=None, description="Every new post (also when no topic is named).")

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        from newsdrop.notify.subscribers import InvalidEmail, normalize_email

        try:
            return normalize_email(value)
        except InvalidEmail as exc:
            raise ValueError(str(exc)) from None

    def wants_everything(self) -> bool:
        return bool(self.everything) or EVERYTHING in self.topics or not self.topics

    def tags(self) -> list[str]:
        return [t for t in self.topics if t != EVERYTHING]


class LinkRequest(_Body):
    """ "Email me a fresh link" (the link in a notification has expired)."""

    email: str = Field(max_length=320)

    _address = field_validator("email")(SubscribeRequest._address.__func__)  # type: ignore[attr-defined]


class PreferencesRequest(_Body):
    """A change of topics. JSON: each field optional, ``topics`` replaces the list. A form post is the
    whole state: the topics text field and the "everything" checkbox (absent: off)."""

    follow: TopicList = Field(default_factory=list)
    unfollow: TopicList = Field(default_factory=list)
    topics: TopicList | None = None
    everything: bool | None = None


class Accepted(BaseModel):
    status: Literal["pending"] = "pending"
    message: str


class Preferences(BaseModel):
    email: str = Field(description="Masked: the first letter and the domain.")
    status: Literal["pending", "confirmed", "unsubscribed", "suppressed"]
    topics: list[str]
    everything: bool


class Problem(BaseModel):
    """Every refusal: a stable code, a message safe to show, and the field at fault when there is one."""

    error: str = Field(description="invalid_email, invalid_topics, invalid_request, bad_request, ...")
    message: str
    field: str | None = None
