"""The subscriber API's OpenAPI document, generated from its routes and pydantic models.

    python -m newsdrop.notify.openapi > docs/openapi.json

tests/test_openapi.py fails when the committed document is not what this prints. Powertools documents one
media type per request body; the routes that read forms (the no-JavaScript subscribe box, the preferences
page) get the form media type added here, with the same schema, since the same model reads both.
"""

from __future__ import annotations

import json

FORM_ROUTES = (("/subscribers", "post"), ("/preferences/link", "post"), ("/preferences", "post"))


def document() -> dict:
    from newsdrop.notify.api import app

    doc = json.loads(
        app.get_openapi_json_schema(
            title="Newsdrop subscriber API",
            version="1.0.0",
            description=(
                "Double opt-in sign-ups, preferences and one-click unsubscribe (RFC 8058). Served on the "
                "site's own origin, through its CloudFront distribution."
            ),
        )
    )
    for path, method in FORM_ROUTES:
        content = doc["paths"][path][method]["requestBody"]["content"]
        content["application/x-www-form-urlencoded"] = content["application/json"]
    return doc


def text() -> str:
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(text(), end="")
