"""The subscriber API's contract: docs/openapi.json is what the routes and models generate, and the handler,
fuzzed by schemathesis from that document, answers no 5xx and nothing the document does not describe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from api_wsgi import wsgi_app
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from subscriber_stack import SubscriberStack

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "docs" / "openapi.json"


def test_the_committed_openapi_document_is_current():
    from newsdrop.notify.openapi import text

    assert DOCUMENT.read_text() == text(), "regenerate: python -m newsdrop.notify.openapi > docs/openapi.json"


def test_the_document_covers_every_route_of_the_template():
    from newsdrop.local.sam import load_template

    events = load_template(ROOT / "template.yaml")["Resources"]["SubscribeFunction"]["Properties"]["Events"]
    routed = {(e["Properties"]["Path"], e["Properties"]["Method"].lower()) for e in events.values()}
    documented = {
        (path, method) for path, ops in json.loads(DOCUMENT.read_text())["paths"].items() for method in ops
    }
    assert routed == documented


schema = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text()))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api(stack):
    return wsgi_app(SubscriberStack(stack))


@schema.parametrize()
@settings(
    max_examples=25,  # per operation: 8 operations, about a minute in all
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_5xx_and_nothing_outside_the_document(case, api):
    # the site's own pages post the forms; a cross-site form is a documented 403 as well
    case.headers = {**(case.headers or {}), "Origin": "http://localhost"}
    response = case.call(app=api)
    case.validate_response(response, checks=CHECKS)
