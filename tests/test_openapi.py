"""The subscriber API's contract: docs/openapi.json is what the routes and models generate, and the API as
`newsdrop dev` serves it (its local origin, over HTTP), fuzzed by schemathesis from that document, answers
no 5xx and nothing the document does not describe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from local_site import local_site
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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


@pytest.fixture(scope="module")
def dev_site():
    """`newsdrop dev`'s site server and stack, in process (tests/local_site.py): the API on the local
    origin, behind the same origin checks and per-client limits as in `newsdrop dev`."""
    with local_site() as running:
        yield running


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
def test_no_5xx_and_nothing_outside_the_document(case, dev_site):
    # the site's own pages post the forms; a cross-site form is a documented 403 as well
    case.headers = {**(case.headers or {}), "Origin": dev_site.origin}
    response = case.call(base_url=dev_site.origin)
    case.validate_response(response, checks=CHECKS)
