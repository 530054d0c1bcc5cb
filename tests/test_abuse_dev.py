"""Sign-up abuse through `newsdrop dev`'s origin (the local stand-in for the distribution), each client on a
loopback address of its own: the API sees each one as CloudFront presents a reader, by the address of its
connection, and the limits hold per reader, per inbox and against other sites' pages."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from local_site import local_site

TOPIC = "transport"  # a tag of the local site's articles: topics must be the site's tags


@pytest.fixture(scope="module")
def site():
    with local_site() as running:
        yield running


def post(site, body: str, *, client: str, content_type="application/json", headers=None) -> int:
    parts = urlsplit(site.origin)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120, source_address=(client, 0))
    try:
        conn.request(
            "POST", "/subscribers", body=body, headers={"Content-Type": content_type, **(headers or {})}
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def sign_up(site, address: str, *, client: str) -> int:
    status = post(site, json.dumps({"email": address, "topics": [TOPIC]}), client=client)
    site.settle()  # the confirmation is sent by the mail request queue's function
    return status


def test_one_client_is_limited_and_the_next_reader_is_not(site):
    statuses = [sign_up(site, f"flood{n}@example.net", client="127.0.0.20") for n in range(8)]
    assert 202 in statuses and statuses[-1] == 429  # a burst, then refusals
    sent = sum(len(site.mails_to(f"flood{n}@example.net")) for n in range(8))
    assert sent == statuses.count(202) < 8
    assert sign_up(site, "neighbour@example.net", client="127.0.0.21") == 202  # another reader, not limited
    assert len(site.mails_to("neighbour@example.net")) == 1


def test_strangers_cannot_flood_an_inbox(site):
    for n in range(12):  # a botnet: twelve clients, twelve +tag variants of one inbox
        sign_up(site, f"owner+x{n}@example.org", client=f"127.0.1.{n + 1}")
    sent = sum(len(site.mails_to(f"owner+x{n}@example.org")) for n in range(12))
    assert 0 < sent <= 6  # MailboxMailsPerDay: one inbox, however its address is spelt


def test_the_owner_still_gets_their_email_after_three_strangers(site):
    for n in range(3):
        sign_up(site, f"reader+s{n}@example.com", client=f"127.0.3.{n + 1}")
    assert sign_up(site, "reader@example.com", client="127.0.3.9") == 202
    assert len(site.mails_to("reader@example.com")) == 1


def test_other_sites_cannot_sign_their_visitors_up(site):
    plain = post(
        site, json.dumps({"email": "xsite@example.org"}), client="127.0.4.1", content_type="text/plain"
    )
    form = post(
        site,
        "email=xsite%40example.org&topics=transport",
        client="127.0.4.2",
        content_type="application/x-www-form-urlencoded",
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    site.settle()
    assert (plain, form) == (415, 403)
    assert site.mails_to("xsite@example.org") == []
