"""Every function validates what it receives with a pydantic model (Powertools' Parser,
``newsdrop.event_models``): the sample events in events/ (for ``sam local invoke -e``) parse with their
function's model, and a malformed event, sent through the handlers on the template in moto, fails with a
ValidationError that names the field, or, in a batch, is reported alone while the good records go on."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from newsdrop.event_models import FUNCTION_MODELS, parse_for

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "events").glob("*.json"))
# functions whose events others parse: the subscribe API's routes parse its bodies themselves
OWN_PARSING = {"subscribe"}
# functions added beside this work, not yet given a model and a sample here: listed so that the check
# below still catches any other function without them
NOT_YET: set[str] = set()


def function_of(sample: Path) -> str:
    """events/<function>-<what>.json; S3's own sample names (s3-put, s3-delete) are ingest's."""
    prefix = sample.stem.split("-", 1)[0]
    return "ingest" if prefix == "s3" else prefix


def sample(name: str) -> dict:
    return json.loads((ROOT / "events" / name).read_text())


@pytest.mark.parametrize(
    "path", [s for s in SAMPLES if function_of(s) in FUNCTION_MODELS], ids=lambda p: p.name
)
def test_every_sample_event_parses_with_its_function_model(path):
    event = json.loads(path.read_text())
    parsed = parse_for(function_of(path), event)
    assert parsed and all(p is not None for p in parsed)


def test_every_function_of_the_template_has_a_model_and_a_sample_event():
    functions = {p.parent.name for p in (ROOT / "functions").glob("*/app.py")} - NOT_YET
    assert functions - OWN_PARSING - FUNCTION_MODELS.keys() == set()
    assert functions - {function_of(s) for s in SAMPLES} == set()


DEFERRED_PROBE = """
import json, sys
from newsdrop.event_models import parse_for
from pydantic import BaseModel
events = {"ingest": "s3-put.json", "publisher": "publisher-article-modify.json", "fanout": "fanout-task.json"}
parsed = {f: type(parse_for(f, json.load(open("../events/" + e)))[0]).__name__ for f, e in events.items()}
built = {name: sorted(n for n, m in vars(sys.modules[name]).items()
                      if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == name
                      and m.__pydantic_complete__)
         for name in ("aws_lambda_powertools.utilities.parser.models." + s for s in ("s3", "dynamodb", "sqs"))}
print(json.dumps({"parsed": parsed, "built": built, "config": dict(BaseModel.model_config)}))
"""


def test_powertools_models_a_function_does_not_read_are_never_built():
    """Powertools' S3, DynamoDB and SQS modules define 17, 8 and 4 models; the functions' own models
    extend a few of them, and only those are built (when they first validate), in a fresh process."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", DEFERRED_PROBE],
        cwd=ROOT / "shared",
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["parsed"] == {
        "ingest": "DropEvent",
        "publisher": "TableStreamRecord",
        "fanout": "FanoutTaskRecord",
    }
    # the ones whose schemas the functions' models were made from are built as part of them, not on their own
    assert seen["built"] == {name: [] for name in seen["built"]}
    assert seen["config"] == {}  # pydantic's own configuration is as it was


def test_the_subscribe_sample_is_an_http_api_event_whose_body_is_a_sign_up():
    """The API's event is API Gateway's (payload 2.0), its body read by the route's request model."""
    from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model

    from newsdrop.event_models import parse
    from newsdrop.notify.api_models import SubscribeRequest

    event = parse(sample("subscribe-post.json"), APIGatewayProxyEventV2Model)
    request = SubscribeRequest.model_validate_json(event.body)
    assert event.routeKey == "POST /subscribers" and request.tags() == ["local-news"]
    with pytest.raises(ValidationError, match="email"):
        SubscribeRequest.model_validate_json(event.body.replace("reader@example.org", "not-an-address"))


def test_queue_message_bodies_are_validated_as_our_messages():
    event = sample("fanout-task.json")
    [record] = parse_for("fanout", event)
    assert record.body.article.labels["local-news"] == "Local News" and record.body.shard == 3
    body = json.loads(event["Records"][0]["body"])
    body["shard"] = -1
    event["Records"][0]["body"] = json.dumps(body)
    with pytest.raises(ValidationError, match=r"body\.shard"):
        parse_for("fanout", event)


def test_a_queued_message_is_written_as_it_was_before_the_models():
    """Messages already in flight when this version deploys still read: the same compact JSON."""
    from newsdrop.notify.messages import SendBatch

    body = sample("sender-batch.json")["Records"][0]["body"]
    assert SendBatch.from_json(body).to_json() == body


def sqs_event(*records: dict) -> dict:
    return {"Records": list(records)}


def with_body(record: dict, body: str, message_id: str) -> dict:
    return {**copy.deepcopy(record), "body": body, "messageId": message_id}


def test_a_malformed_send_batch_is_reported_alone_and_the_good_one_is_handled(stack):
    from newsdrop.local.audience import prepare_mail

    prepare_mail(stack)
    good = sample("sender-batch.json")["Records"][0]
    bad = with_body(good, json.dumps({"slug": "cafe-reopens", "recipients": []}), "bad-1")
    result = stack.functions["SenderFunction"].invoke(sqs_event(bad, good))
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad-1"}]}


@pytest.mark.parametrize(
    ("function", "name", "body"),
    [
        ("FanoutFunction", "fanout-task.json", '{"slug": "x"}'),
        ("ConfirmationsFunction", "confirmations-mail-request.json", '{"kind": "spam", "email": "a@b.org"}'),
        ("FeedbackFunction", "feedback-bounce.json", '{"mail": {}}'),
        ("FeedbackFunction", "feedback-bounce.json", "not json"),
        ("ImageFunction", "image-drop.json", '{"bucket": "b", "key": 7}'),
    ],
)
def test_a_malformed_queue_message_fails_its_record_only(stack, function, name, body):
    good = sample(name)["Records"][0]
    bad = with_body(good, body, "bad-1")
    result = stack.functions[function].invoke(sqs_event(bad))
    assert result == {"batchItemFailures": [{"itemIdentifier": "bad-1"}]}


def test_a_stream_record_of_another_shape_is_reported_and_the_good_one_is_handled(stack):
    good = sample("related-article-insert.json")["Records"][0]
    bad = copy.deepcopy(good)
    bad["dynamodb"]["SequenceNumber"] = "4421584500000000017450439099"
    del bad["dynamodb"]["Keys"]["sk"]
    for function in ("NotifyFunction", "RelatedFunction"):
        result = stack.functions[function].invoke({"Records": [good, bad]})
        assert result == {"batchItemFailures": [{"itemIdentifier": "4421584500000000017450439099"}]}, function


def test_the_publisher_publishes_up_to_a_malformed_record_and_reports_it(stack):
    good = sample("publisher-article-modify.json")["Records"][0]
    bad = copy.deepcopy(good)
    bad["dynamodb"]["SequenceNumber"] = "4421584500000000017450439099"
    bad["eventName"] = "UPSERT"
    result = stack.functions["PublisherFunction"].invoke({"Records": [good, bad]})
    assert result == {"batchItemFailures": [{"itemIdentifier": "4421584500000000017450439099"}]}


def test_a_malformed_rebuild_request_is_reported_and_the_batch_still_answered(stack):
    good = sample("rebuild-request.json")["Records"][0]
    bad = with_body(good, '{"rebuild": "everything"}', "bad-1")
    result = stack.functions["RebuildFunction"].invoke(sqs_event(good, bad))
    assert result["batchItemFailures"] == [{"itemIdentifier": "bad-1"}]


@pytest.mark.parametrize(
    ("function", "name", "change", "named"),
    [
        ("RedriverFunction", "redriver-schedule.json", {"detail-type": "Object Created"}, "detail-type"),
        ("UnsubscribeMailFunction", "unsubscribe_mail-receipt.json", {"Records": [{"ses": {}}]}, "Records.0"),
        ("ArchiveFunction", "archive-plan-import.json", {"task": "import_everything"}, "task"),
        ("OriginSecretRotationFunction", "origin_secret-rotation.json", {"Step": "deleteSecret"}, "Step"),
    ],
)
def test_a_malformed_event_fails_naming_the_field(stack, function, name, change, named):
    event = {**sample(name), **change}
    with pytest.raises(ValidationError) as info:
        stack.functions[function].invoke(event)
    assert named in str(info.value)
