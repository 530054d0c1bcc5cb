"""Floods against the subscriber API, through the handlers on template.yaml deployed into moto.

    .venv/bin/python bench/subscribe_abuse.py [--flood 1000] [--timing 200] [--smoke]

Prints, for a flood of sign-ups from one client and for plus-address variants of one mailbox (each from a
client of its own, as a botnet would send them): requests answered 202 and refused (429), confirmation
emails sent, and the success rate of the one-click unsubscribe POSTs that mailbox providers send during the
flood (every tenth request, from the flooding client itself). Then the time the subscribe handler takes
to answer for a new address and for an already-subscribed one (in-process moto: the figures are moto's,
not Lambda's; the tests prove the two do the same AWS calls, this shows the distributions). Then the red
team's scenarios: a victim's own sign-up after strangers signed up their inbox, a real Gmail reader after a
flood of random Gmail sign-ups, 200 sign-ups from 40 addresses, cross-site posts, sign-ups sent around
the distribution to the API's own address, and what the owner's first confirm link confirms after a
third party re-signed the address with other topics.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from newsdrop.local.pipeline import FAKE_CREDENTIALS  # noqa: E402

for key, value in {
    **FAKE_CREDENTIALS,
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}.items():
    os.environ[key] = value
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)


def _ip(n: int) -> str:
    return f"10.{n // 62500 % 250}.{n // 250 % 250}.{n % 250 + 1}"


class Bench:
    def __init__(self, readers: int):
        import logging
        import warnings

        from subscriber_stack import SubscriberStack

        from newsdrop.local.stack import LocalStack

        logging.getLogger("moto").setLevel(logging.ERROR)
        warnings.simplefilter("ignore")
        self.world = SubscriberStack(
            LocalStack(
                env_overrides={"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "WARNING"}
            ).deploy()
        )
        self.readers = self._readers(readers)
        self.next_reader = 0

    def _readers(self, n: int) -> list[str]:
        """Confirmed subscribers whose one-click unsubscribe links the 'mailbox providers' POST."""
        from newsdrop.local.audience import seed_subscribers
        from newsdrop.notify.tokens import Purpose

        seed_subscribers(self.world.stack, str(n))
        signer = self.world.runtime().signer
        return [
            signer.mint(Purpose.UNSUBSCRIBE, signer.subscriber_id(f"reader{i:06d}@example.org"))
            for i in range(n)
        ]

    def post(
        self,
        path: str,
        body: str,
        *,
        ip: str,
        content_type="application/json",
        query="",
        headers=None,
        direct: bool = False,
    ) -> int:
        """From the reader at ``ip``, as CloudFront delivers it (CloudFront-Viewer-Address; sourceIp is
        the edge server's, which an API keyed on sourceIp would see for every reader); ``direct``: to the
        API's own address, around the distribution, claiming ``ip`` as the viewer."""
        from subscriber_stack import viewer_event

        headers = {"content-type": content_type, **(headers or {})}
        event = viewer_event("POST", path, viewer=ip, query=query, headers=headers, body=body)
        return self.world.invoke("subscribe", event, drive=False, direct=direct)["statusCode"]

    def mails(self, address: str) -> int:
        from subscriber_stack import mails_to

        self.world.dispatcher.pump()
        return len(mails_to(address))

    def scenarios(self, gmail_flood: int) -> dict:
        """The red team's sign-up abuses, each from clients on addresses of their own."""
        sign_up = self.sign_up
        out: dict[str, object] = {}
        # one person blocked: three strangers sign up variants of the victim's inbox, then the victim
        for n in range(3):
            sign_up(f"target+x{n}@example.com", _ip(700_000 + n))
        sign_up("target@example.com", _ip(700_010))
        out["victim_own_sign_up_delivered"] = self.mails("target@example.com") == 1
        # a provider silenced: random @gmail.com sign-ups from as many addresses, then a real reader
        for n in range(gmail_flood):
            sign_up(f"random{n}q{n * 7919 % 100003}@gmail.com", _ip(710_000 + n))
        sign_up("real.reader@gmail.com", _ip(719_999))
        out["gmail_reader_after_flood_delivered"] = self.mails("real.reader@gmail.com") == 1
        # no global bound: 200 sign-ups from 40 addresses
        before = self.sent()
        for n in range(200):
            sign_up(f"mass{n}@spread{n}.example", _ip(720_000 + n % 40))
        out["emails_from_200_sign_ups_40_addresses"] = self.sent() - before
        # cross-site sign-ups: text/plain JSON, and a form from another origin
        plain = self.post(
            "/subscribers",
            json.dumps({"email": "xsite1@example.org"}),
            ip=_ip(730_000),
            content_type="text/plain",
        )
        form = self.post(
            "/subscribers",
            "email=xsite2%40example.org",
            ip=_ip(730_001),
            content_type="application/x-www-form-urlencoded",
            headers={"origin": "https://evil.example"},
        )
        out["cross_site_statuses"] = [plain, form]
        out["cross_site_emails"] = self.mails("xsite1@example.org") + self.mails("xsite2@example.org")
        # around the CDN: sign-ups sent to the API's own address, each claiming another viewer address
        skipped = [
            self.post(
                "/subscribers",
                json.dumps({"email": f"around{n}@example.net"}),
                ip=_ip(735_000 + n),
                headers={"x-origin-verify": "guess"},
                direct=True,
            )
            for n in range(20)
        ]
        out["around_cloudfront_statuses"] = sorted(set(skipped))
        out["around_cloudfront_emails"] = sum(self.mails(f"around{n}@example.net") for n in range(20))
        # topics swapped: a third party re-signs a pending address; what does the owner's first link confirm?
        sign_up("owner@example.org", _ip(740_000), topics=["politics"])
        sign_up("owner@example.org", _ip(740_001), topics=["casino-bonus"], everything=True)
        out["unknown_topic_emails"] = self.mails("owner@example.org") - 1
        out["owner_first_link_confirms"] = self.first_link_confirms("owner@example.org")
        for key, value in out.items():
            print(f"{key.replace('_', ' ')}: {value}")
        return out

    def sign_up(self, address: str, ip: str, **extra) -> int:
        return self.post("/subscribers", json.dumps({"email": address, **extra}), ip=ip)

    def sent(self) -> int:
        from subscriber_stack import sent_mails

        self.world.dispatcher.pump()
        return len(sent_mails())

    def first_link_confirms(self, address: str) -> str:
        from urllib.parse import parse_qs, urlparse

        from subscriber_stack import mails_to

        first = mails_to(address)[0].get_body(("plain",)).get_content()
        [url] = [w for w in first.split() if urlparse(w).path == "/confirm"]
        token = parse_qs(urlparse(url).query)["token"][0]
        self.post("/confirm", "", ip=_ip(740_000), query=f"token={token}")
        rt = self.world.runtime()
        sub = rt.subscribers.get(rt.signer.subscriber_id(address))
        return f"{sub.status.value} {sub.topics}{' + everything' if sub.everything else ''}"

    def unsubscribe(self, ip: str) -> bool:
        token = self.readers[self.next_reader % len(self.readers)]
        self.next_reader += 1
        status = self.post(
            "/unsubscribe",
            "List-Unsubscribe=One-Click",
            ip=ip,
            content_type="application/x-www-form-urlencoded",
            query=f"token={token}",
        )
        return status == 200

    def flood(self, label: str, addresses: list[str], ips: list[str]) -> dict:
        from subscriber_stack import sent_mails

        before = len(sent_mails())
        answers: dict[int, int] = {}
        unsubscribes = ok = 0
        for n, (address, ip) in enumerate(zip(addresses, ips, strict=True)):
            status = self.post("/subscribers", json.dumps({"email": address}), ip=ip)
            answers[status] = answers.get(status, 0) + 1
            if n % 10 == 9:
                unsubscribes += 1
                ok += self.unsubscribe(ip)
            if n % 50 == 49:
                self.world.dispatcher.pump()  # the confirmations function drains the queue as it would
        self.world.dispatcher.pump()
        sent = len(sent_mails()) - before
        result = {
            "scenario": label,
            "requests": len(addresses),
            "accepted_202": answers.get(202, 0),
            "refused_429": answers.get(429, 0),
            "other": {k: v for k, v in answers.items() if k not in (202, 429)},
            "confirmations_sent": sent,
            "one_click_unsubscribes": unsubscribes,
            "one_click_success_rate": ok / unsubscribes if unsubscribes else 1.0,
        }
        print(
            f"{label}: {len(addresses)} requests, {result['accepted_202']} answered 202, "
            f"{result['refused_429']} refused (429), {sent} confirmation emails sent; one-click unsubscribe "
            f"during the flood: {ok}/{unsubscribes} ({100 * result['one_click_success_rate']:.0f}%)"
        )
        return result

    def timing(self, samples: int) -> dict:
        from newsdrop.notify.subscribers import SubscriberStatus

        existing = [f"reader{i:06d}@example.org" for i in range(len(self.readers))]
        rt = self.world.runtime()
        existing = [
            a
            for a in existing
            if rt.subscribers.get(rt.signer.subscriber_id(a)).status == SubscriberStatus.CONFIRMED
        ]
        times: dict[str, list[float]] = {"new": [], "subscribed": []}
        for n in range(samples):  # interleaved, so that drift on a shared machine hits both alike
            for kind in ("new", "subscribed"):
                address = f"timing{n}@example.net" if kind == "new" else existing[n % len(existing)]
                start = time.perf_counter()
                status = self.post(
                    "/subscribers", json.dumps({"email": address}), ip=_ip(500_000 + 2 * n + (kind == "new"))
                )
                times[kind].append((time.perf_counter() - start) * 1000)
                assert status == 202, status
            if n % 50 == 49:
                self.world.dispatcher.pump()
        out = {}
        for kind, values in times.items():
            q = statistics.quantiles(values, n=10)
            out[kind] = {"median_ms": statistics.median(values), "p10_ms": q[0], "p90_ms": q[-1]}
            print(
                f"subscribe answer, {kind} address: median {out[kind]['median_ms']:.1f} ms, "
                f"p10 {q[0]:.1f} ms, p90 {q[-1]:.1f} ms over {samples} requests (in-process moto)"
            )
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=1000)
    parser.add_argument("--timing", type=int, default=200)
    parser.add_argument("--smoke", action="store_true", help="smallest sizes (CI)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.flood, args.timing = 50, 20
    from moto import mock_aws

    with mock_aws():
        bench = Bench(readers=2 * (args.flood // 10) + min(args.timing, 200))
        one_client = bench.flood(
            "one client, distinct addresses",
            [f"person{n}@domain{n % 97}.example" for n in range(args.flood)],
            [_ip(1)] * args.flood,
        )
        one_mailbox = bench.flood(
            "one mailbox, +tag variants, one client each",
            [f"victim+{n}@example.com" for n in range(args.flood)],
            [_ip(10_000 + n) for n in range(args.flood)],
        )
        timing = bench.timing(args.timing)
        scenarios = bench.scenarios(gmail_flood=20 if args.smoke else 120)
    if args.json:
        print(
            json.dumps(
                {
                    "one_client": one_client,
                    "one_mailbox": one_mailbox,
                    "timing": timing,
                    "scenarios": scenarios,
                }
            )
        )


if __name__ == "__main__":
    main()
