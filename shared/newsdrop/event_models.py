"""What each function receives, as Powertools' Parser models (``aws_lambda_powertools.utilities.parser``),
extended where our events differ: queue records whose body is one of our messages, stream records of
our tables, the S3 notification of a drop, SES's events and receipts, the scheduled events.

Every model is built on first use, not at import (``functools.cache``): Powertools' models are pydantic
models, and building them is most of what validation adds to a cold start (docs/validation.md), which a
function pays only for the models it reads. The batch consumers hand theirs to
``newsdrop.observability.BatchHandler``, whose processor parses each record with it: a record that does
not validate is reported as a batch item failure (the queue or stream retries it, then dead-letters it)
and the good records of the batch go on. The other handlers call ``parse`` and let its
``ValidationError``, which names the field, fail the invocation before anything is moved.

Powertools' modules define every model of their event source, and pydantic builds each one as it is
defined: the S3 module's 17, the DynamoDB one's 8, where a function validates with one of them (extended
here). ``powertools_models`` imports a module with its models built on first use instead (pydantic's
``defer_build``): the model a function reads is built on its first event, the others never.
"""

import importlib
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any


def powertools_models(source: str) -> ModuleType:
    """``aws_lambda_powertools.utilities.parser.models.<source>``, its models to be built on first use.

    A model takes its configuration from its bases when it is defined, so ``defer_build`` is BaseModel's
    while the module runs, then taken back: each of its models, and every model extending one of them
    here, is built (validator and serializer) the first time it validates, once, as it would have been at
    import. If the module was imported before (another path), its models are already built: nothing
    changes but the cost."""
    from pydantic import BaseModel

    name = f"aws_lambda_powertools.utilities.parser.models.{source}"
    config = BaseModel.model_config
    deferred = "defer_build" not in config
    if deferred:
        config["defer_build"] = True
    try:
        return importlib.import_module(name)
    finally:
        if deferred:
            del config["defer_build"]


@cache
def queue_record(body: Any, name: str | None = None) -> type:
    """An SQS record whose body is the JSON of ``body`` (a pydantic model, or a union of them): Powertools'
    SqsRecordModel with the body parsed as JSON and validated; named after the body (or ``name``), as
    Powertools' batch processor needs to tell a malformed record from a failed one."""
    from pydantic import Json, create_model

    record = powertools_models("sqs").SqsRecordModel
    return create_model(f"{name or body.__name__}Record", __base__=record, body=(Json[body], ...))


@cache
def stream_record() -> type:
    """A DynamoDB Streams record of one of our tables: Powertools' model (images deserialized), whose
    keys must be our ``pk``/``sk`` strings."""
    from pydantic import field_validator

    powertools = powertools_models("dynamodb")

    class TableChange(powertools.DynamoDBStreamChangedRecordModel):
        @field_validator("Keys")
        @classmethod
        def _our_keys(cls, keys: dict[str, Any]) -> dict[str, Any]:
            for name in ("pk", "sk"):
                if not isinstance(keys.get(name), str) or not keys[name]:
                    raise ValueError(f"Keys.{name} must be a non-empty string")
            return keys

    class TableStreamRecord(powertools.DynamoDBStreamRecordModel):
        dynamodb: TableChange

    return TableStreamRecord


@cache
def drop_event() -> type:
    """The S3 notification of dropped files: Powertools' S3Model, with the request's identity, source IP,
    response ids and bucket owner optional (moto's and MinIO's notifications leave them out; ingest uses
    none of them) and no records at all for ``s3:TestEvent``."""
    from pydantic import model_validator

    powertools = powertools_models("s3")

    class DropBucket(powertools.S3Bucket):
        ownerIdentity: powertools.S3OwnerIdentify | None = None

    class DropMessage(powertools.S3Message):
        bucket: DropBucket

    class DropRecord(powertools.S3RecordModel):
        s3: DropMessage

        @model_validator(mode="before")
        @classmethod
        def validate_s3_object(cls, values: Any) -> Any:
            """Powertools' check (size and eTag unless a delete), which raises a TypeError instead when
            the record lacks the fields it reads; those are left to the field checks, which name them."""
            if not isinstance(values, dict) or not isinstance(values.get("eventName"), str):
                return values
            s3 = values.get("s3") if isinstance(values.get("s3"), dict) else {}
            obj = s3.get("object") or s3.get("get_object")
            sized = isinstance(obj, dict) and obj.get("size") is not None and obj.get("eTag") is not None
            if ":Delete" not in values["eventName"] and isinstance(obj, dict) and not sized:
                raise ValueError(
                    "s3.object.size and s3.object.eTag are required unless the object was deleted"
                )
            return values

        userIdentity: powertools.S3Identity | None = None
        requestParameters: powertools.S3RequestParameters | None = None
        responseElements: powertools.S3ResponseElements | None = None

    class DropEvent(powertools.S3Model):
        Records: list[DropRecord] = []

    return DropEvent


@cache
def mail_feedback() -> type:
    """A feedback-queue record: the SNS notification the configuration set publishes (Powertools'
    SnsNotificationModel, its Message the SES event), or with raw delivery the SES event itself. SES's
    event-publishing records have no Powertools model (its SesModel is the receipt); this one reads
    what ``newsdrop.notify.delivery`` uses of them."""
    from typing import NotRequired

    from pydantic import BaseModel, ConfigDict, Field, Json, model_validator
    from typing_extensions import TypedDict  # pydantic takes typing's TypedDict only from Python 3.12

    # The parts of the event are TypedDicts, not models: validated the same (a field missing or of the
    # wrong type names its place), without a validator and a serializer built for each (the first
    # invocation of the feedback function pays for them; docs/benchmarks.md, cold start).
    class Recipient(TypedDict):
        emailAddress: str

    class Bounce(TypedDict):
        bounceType: str
        bouncedRecipients: NotRequired[list[Recipient]]

    class Complaint(TypedDict, total=False):
        complainedRecipients: list[Recipient]

    class SentMail(TypedDict, total=False):
        messageId: str | None
        tags: dict[str, list[str]]

    class SesMailEvent(BaseModel):
        model_config = ConfigDict(extra="allow")  # timestamps, headers...: passed on, not needed

        eventType: str | None = None
        notificationType: str | None = None
        mail: SentMail = Field(default_factory=dict)
        bounce: Bounce | None = None
        complaint: Complaint | None = None

        @model_validator(mode="after")
        def _typed(self) -> "SesMailEvent":
            if not (self.eventType or self.notificationType):
                raise ValueError("an SES event names its eventType (or notificationType)")
            return self

        @property
        def ses_event(self) -> dict[str, Any]:
            return self.model_dump(exclude_none=True)

    class FeedbackNotification(powertools_models("sns").SnsNotificationModel):
        Message: Json[SesMailEvent]

        @property
        def ses_event(self) -> dict[str, Any]:
            return self.Message.ses_event

    # Either one, the body read as the first that validates: a union, not a RootModel (no model of its own).
    return queue_record(FeedbackNotification | SesMailEvent, "MailFeedback")


@cache
def received_mail() -> type:
    """SES's receipt-rule event (Lambda action): Powertools' SesModel, where a mail may come without a
    subject (a client that dropped it may still quote the token in the body, which is read then)."""
    ses = powertools_models("ses")

    class Headers(ses.SesMailCommonHeaders):
        subject: str = ""
        date: str | None = None

    class Mail(ses.SesMail):
        commonHeaders: Headers

    class Message(ses.SesMessage):
        mail: Mail

    class Record(ses.SesRecordModel):
        ses: Message

    class ReceivedMail(ses.SesModel):
        Records: list[Record]

    return ReceivedMail


@cache
def scheduled_event() -> type:
    """The redriver's EventBridge schedule: Powertools' EventBridgeModel, ``detail-type`` "Scheduled
    Event" (the redriver reads nothing else of it: it runs the same whatever the schedule says)."""
    from typing import Literal

    from pydantic import Field

    class ScheduledEvent(powertools_models("event_bridge").EventBridgeModel):
        detail_type: Literal["Scheduled Event"] = Field(alias="detail-type")

    return ScheduledEvent


def parse(event: Any, model: type) -> Any:
    """Powertools' ``parse``: the event validated by ``model``, or its ValidationError naming the field."""
    from aws_lambda_powertools.utilities.parser import parse as powertools_parse

    return powertools_parse(event=event, model=model)


def until_malformed(records: list[Any], model: type) -> tuple[list[Any], str | None]:
    """For a stream consumer that takes its batch whole: the records before the first one ``model``
    rejects, and that one's sequence number to report as the batch item failure (Lambda retries the
    stream from it, then sends it to the on-failure destination). The rejection is logged, naming the
    fields; a record without even a sequence number fails the whole batch."""
    from pydantic import ValidationError

    from newsdrop.observability import logger

    for position, record in enumerate(records):
        try:
            model.model_validate(record)
        except ValidationError as exc:
            logger.warning(
                "record rejected: it does not validate",
                extra={"model": exc.title, "errors": exc.errors(include_url=False, include_input=False)},
            )
            sequence = (
                (record.get("dynamodb") or {}).get("SequenceNumber") if isinstance(record, dict) else None
            )
            if not isinstance(sequence, str):
                raise
            return records[:position], sequence
    return records, None


def _message_record(module: str, name: str) -> Callable[[], type]:
    def model() -> type:
        return queue_record(getattr(importlib.import_module(module), name))

    return model


# Each function's model, and whether it reads the whole event or each of its records: what the sample
# events in events/ are checked against (tests/test_events.py), and what bench/cold_start.py charges a
# function's first invocation for. The subscribe API parses its bodies in its own routes.
FUNCTION_MODELS: dict[str, tuple[Callable[[], type], str]] = {
    "ingest": (drop_event, "event"),
    "lifecycle": (lambda: importlib.import_module("newsdrop.ingest.schedules").TransitionRequest, "event"),
    "redriver": (scheduled_event, "event"),
    "unsubscribe_mail": (received_mail, "event"),
    "notify": (stream_record, "record"),
    "related": (stream_record, "record"),
    "publisher": (stream_record, "record"),
    "feedback": (mail_feedback, "record"),
    "fanout": (_message_record("newsdrop.notify.messages", "FanoutTask"), "record"),
    "sender": (_message_record("newsdrop.notify.messages", "SendBatch"), "record"),
    "confirmations": (_message_record("newsdrop.notify.messages", "MailRequest"), "record"),
    "rebuild": (_message_record("newsdrop.related.debounce", "RebuildMessage"), "record"),
    "image": (_message_record("newsdrop.ingest.drops", "DroppedObject"), "record"),  # ingest sends it
    "archive": (lambda: importlib.import_module("newsdrop.archive.tasks").task_model(), "event"),
    "origin_secret": (lambda: importlib.import_module("newsdrop.notify.origin").RotationEvent, "event"),
}


def parse_for(function: str, event: Any) -> list[Any]:
    """The event parsed as ``function`` parses it: [the event model] or one model per record."""
    factory, scope = FUNCTION_MODELS[function]
    model = factory()
    if scope == "event":
        return [parse(event, model)]
    return [model.model_validate(record) for record in event["Records"]]
