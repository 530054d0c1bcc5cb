"""Edge cases of ingest found by attacking it with odd files, through the real handler on the stack."""

from __future__ import annotations

import json

import pytest
from ingest_helpers import ingest_files

from newsdrop.ingest.store import MAX_ITEM_BYTES


def quarantine_report(stack, outcome) -> dict:
    s3, bucket = stack.client("s3"), stack.output("DropBucketName")
    key = outcome["quarantined_as"] + ".reject.json"
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def one(stack, name: str, data: bytes) -> dict:
    [outcome] = ingest_files(stack, {stack.parameters["IncomingPrefix"] + name: data})
    return outcome


@pytest.mark.parametrize("title", ["   ", "\u200b\u200b", " \u200c\u200d\ufeff \u2060 ", "\u00a0\u200b"])
def test_a_title_of_spaces_and_invisible_characters_is_no_title(stack, articles, title):
    outcome = one(stack, "blank-title.md", f'---\ntitle: "{title}"\n---\nBody text.\n'.encode())
    assert outcome["status"] == "rejected" and outcome["reason"] == "missing_title"
    assert "invisible" in outcome["detail"]
    assert list(articles.iter_articles()) == []


def test_editor_tags_written_with_markup_become_plain_text(stack, articles):
    md = '---\ntitle: Tags\ntags: ["<b>World</b>", "World", "<i>Tech</i> news", "&lt;x&gt;"]\n---\nBody.\n'
    outcome = one(stack, "tags.md", md.encode())
    article = articles.get_article(outcome["slug"])
    assert [t.label for t in article.editor_tags] == ["World", "Tech news", "&lt;x&gt;"]


def test_more_than_twenty_tags_are_refused_not_cut(stack, articles):
    tags = ", ".join(f"Topic {n}" for n in range(21))
    outcome = one(stack, "many-tags.md", f"---\ntitle: Many tags\ntags: {tags}\n---\nBody.\n".encode())
    assert outcome["reason"] == "invalid_field"
    assert "21 different tags" in outcome["detail"] and "limit is 20" in outcome["detail"]
    twenty = ", ".join(f"Topic {n}" for n in range(20)) + ", topic 0, #Topic-1"  # duplicates count once
    outcome = one(stack, "twenty-tags.md", f"---\ntitle: Twenty tags\ntags: {twenty}\n---\nBody.\n".encode())
    assert outcome["status"] == "stored"
    assert len(articles.get_article(outcome["slug"]).editor_tags) == 20


def test_a_huge_first_line_in_a_text_file_is_named_as_such(stack):
    outcome = one(stack, "long.txt", b"Headline" * 1250 + b"\n\nBody text.\n")
    assert outcome["reason"] == "invalid_field"
    assert "first line" in outcome["detail"] and "10,000 characters" in outcome["detail"]


def test_an_explicit_slug_cannot_take_another_articles_slug(stack, articles):
    prefix = stack.parameters["IncomingPrefix"]
    first = one(stack, "storm.md", b"# Storm warning\n\nHigh winds are expected on the east coast tonight.")
    assert first["slug"] == "storm-warning"
    thief = one(stack, "other.md", b"---\ntitle: Other\nslug: storm-warning\n---\nA different story.\n")
    assert thief["status"] == "rejected" and thief["reason"] == "slug_taken"
    assert "storm-warning" in thief["detail"] and "incoming/storm.md" in thief["detail"]
    assert articles.get_article("storm-warning").source_key == prefix + "storm.md"
    # The article's own file may name its slug; files that declared one slug are revisions of one article.
    own = one(stack, "storm.md", b"---\ntitle: Storm warning\nslug: storm-warning\n---\nWinds eased.\n")
    assert own["status"] == "stored" and own["slug"] == "storm-warning"
    again = one(stack, "storm-2.md", b"---\ntitle: Storm warning\nslug: storm-warning\n---\nWinds rose.\n")
    assert again["status"] == "stored" and articles.get_article("storm-warning").revision == 3


def test_an_explicit_slug_cannot_reuse_a_withdrawn_articles_slug(stack, articles):
    from pathlib import Path

    first = one(stack, "fire.txt", b"Factory fire\n\nA fire broke out at the old mill on Tuesday.")
    event = json.loads((Path(__file__).parents[1] / "events" / "s3-delete.json").read_text())
    event["Records"][0]["s3"]["bucket"]["name"] = stack.output("DropBucketName")
    event["Records"][0]["s3"]["object"]["key"] = "incoming/fire.txt"
    assert stack.functions["IngestFunction"].invoke(event)["drops"][0]["status"] == "unpublished"
    reuse = one(stack, "new.md", b"---\ntitle: New\nslug: " + first["slug"].encode() + b"\n---\nOther.\n")
    assert reuse["reason"] == "slug_taken" and "withdrawn" in reuse["detail"]
    assert articles.get_article(first["slug"]) is None


@pytest.mark.parametrize("key_bytes", [1011, 1016, 1024])
def test_keys_up_to_s3s_limit_can_still_be_quarantined(stack, key_bytes):
    prefix = stack.parameters["IncomingPrefix"]
    name = "é" * ((key_bytes - len(prefix) - len("/x.json")) // 2)
    name = name + "a" * (key_bytes - len(prefix) - len("/x.json") - len(name.encode())) + "/x.json"
    key = prefix + name
    assert len(key.encode()) == key_bytes
    outcome = one(stack, name, b"{not json")
    assert outcome["status"] == "rejected"
    target = outcome["quarantined_as"]
    assert len((target + ".reject.json").encode()) <= 1024  # S3's limit, which moto does not enforce
    s3, bucket = stack.client("s3"), stack.output("DropBucketName")
    assert s3.get_object(Bucket=bucket, Key=target)["Body"].read() == b"{not json"
    assert quarantine_report(stack, outcome)["source"]["key"] == key  # the full key is in the report


@pytest.mark.parametrize(
    ("name", "body"),
    [
        # under the 2 MiB file limit, but more than one DynamoDB item holds once rendered
        ("big.md", "---\ntitle: Big\n---\n" + "Lorem ipsum dolor sit amet. " * 9_000),  # 250 KB
        ("big.txt", "Big text\n\n" + "word " * 100_000),  # 500 KB
        ("big.html", "<article><h1>Big page</h1>" + "<p>Paragraph text here.</p>" * 20_000),  # 540 KB
        ("big.json", json.dumps({"title": "Big", "body": "x " * 300_000})),  # 600 KB
    ],
)
def test_a_body_too_large_for_one_item_is_quarantined_not_dead_lettered(
    stack, dispatcher, articles, name, body
):
    """Through S3's notification and the dispatcher (Lambda's retries, the DLQ): it ends in quarantine."""
    key = stack.parameters["IncomingPrefix"] + name
    stack.client("s3").put_object(Bucket=stack.output("DropBucketName"), Key=key, Body=body.encode())
    dispatcher.pump()
    [outcome] = articles.drops_for(key)
    assert outcome["status"] == "rejected" and outcome["reason"] == "too_large"
    assert f"{MAX_ITEM_BYTES:,}" in outcome["detail"] or "database item" in outcome["detail"]
    sqs = stack.client("sqs")
    dead = sqs.receive_message(QueueUrl=stack.resource("IngestDeadLetterQueue")).get("Messages", [])
    assert dead == [] and dispatcher.stats.failures == 0


def test_the_largest_body_that_fits_is_stored_whole(stack, articles):
    body = "Lorem ipsum dolor sit amet. " * 6_500  # 182 KB of Markdown: with its HTML, just under the limit
    outcome = one(stack, "fits.md", ("---\ntitle: Fits\n---\n" + body).encode())
    assert outcome["status"] == "stored"
    article = articles.get_article(outcome["slug"])
    assert article.body == body.strip("\n") and len(article.body_html) > len(body)


def test_newsdrop_run_fails_and_names_the_files_left_pending(tmp_path, monkeypatch, capfd):
    from newsdrop.cli import main
    from newsdrop.ingest.store import ArticleStore

    def unavailable(self, *args, **kwargs):
        raise RuntimeError("table unavailable (simulated)")

    monkeypatch.setattr(ArticleStore, "save", unavailable)
    (tmp_path / "lost.md").write_text("---\ntitle: Lost\n---\nNever stored.\n")
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["run", str(tmp_path), "--json"]) != 0
    out, err = capfd.readouterr()
    drops = {d["source"]: d["status"] for d in json.loads(out)["drops"]}
    assert drops == {"lost.md": "pending", "bad.json": "rejected"}
    assert "lost.md" in err and "pending" in err and "bad.json" not in err.split("pending")[-1]
