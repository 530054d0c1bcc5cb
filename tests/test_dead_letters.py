"""Every dead letter is reported, and no word of any length becomes a DynamoDB key too big to write."""

from __future__ import annotations

import json
import random
import string

import pytest

from newsdrop.cli import main
from newsdrop.deadletters import dead_letter_queues
from newsdrop.keys import PARTITION_KEY_BYTES, SORT_KEY_BYTES, bounded


def _word(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _long_word_articles(folder):
    """Articles an editor might paste: a 2,100- and a 5,000-letter "word" (a base64 blob, a URL without
    spaces), in the body, capitalised (a would-be name for the tagger), and as a tag."""
    folder.mkdir()
    for n in (2100, 5000):
        word = _word(n, n)
        (folder / f"long-{n}.md").write_text(
            f"---\ntitle: A word of {n} letters\ndate: 2026-12-01\ntags: [science, {_word(n, n + 1)}]\n---\n\n"
            f"The editor pasted {word} and then {word.capitalize()} into a story about science and research.\n"
        )
    return folder


def _run(capsys, *args) -> tuple[int, dict, str]:
    status = main(["run", *map(str, args), "--json"])
    out, err = capsys.readouterr()
    return status, json.loads(out), err


def test_long_words_leave_every_dead_letter_queue_empty(tmp_path, capsys):
    status, report, err = _run(capsys, _long_word_articles(tmp_path / "drops"))
    assert [d["status"] for d in report["drops"]] == ["stored", "stored"]
    # The two share the long-word-free vocabulary, so each is the other's related post: the postings
    # were written, not only skipped.
    related = {a["slug"]: [r["slug"] for r in a["related"]] for a in report["articles"]}
    assert related == {
        "a-word-of-2100-letters": ["a-word-of-5000-letters"],
        "a-word-of-5000-letters": ["a-word-of-2100-letters"],
    }
    assert report["dead_letters"], "no dead-letter queue reported"
    assert set(report["dead_letters"]) >= {
        "IngestDeadLetterQueue",
        "RelatedDeadLetterQueue",
        "RebuildDeadLetterQueue",
    }
    assert report["dead_letters"] == dict.fromkeys(report["dead_letters"], 0)
    assert status == 0, err


def test_a_dead_letter_anywhere_fails_the_run_and_is_named(tmp_path, capsys, monkeypatch):
    # Without the bound, the related update's BatchWriteItem is refused and the batch ends in its DLQ,
    # while the article itself is stored: only the dead-letter report tells.
    monkeypatch.setattr("newsdrop.related.store.bounded", lambda prefix, text, limit=0: prefix + text)
    status, report, err = _run(capsys, _long_word_articles(tmp_path / "drops"))
    assert [d["status"] for d in report["drops"]] == ["stored", "stored"]
    assert report["dead_letters"]["RelatedDeadLetterQueue"] > 0
    assert status == 2
    assert "RelatedDeadLetterQueue" in err and "IngestDeadLetterQueue" not in err


def test_the_report_covers_every_queue_that_receives_failures(stack):
    resources = stack.cfn["Resources"]
    found = dead_letter_queues(resources)
    queues = [name for name, res in resources.items() if res["Type"] == "AWS::SQS::Queue"]
    # Work queues (read by a function) are not dead-letter queues; every other queue receives failures.
    consumed = {s.source["Fn::GetAtt"][0] for s in stack.event_sources if "Fn::GetAtt" in s.source}
    assert set(found) == {q for q in queues if q not in consumed}
    assert "NotifyFailureQueue" in found and "RelatedDeadLetterQueue" in found


@pytest.mark.parametrize("limit", [PARTITION_KEY_BYTES, SORT_KEY_BYTES])
def test_bounded_keys_fit_stay_distinct_and_keep_short_values(limit):
    assert bounded("TERM#", "science", limit) == "TERM#science"
    long_a, long_b = "é" * 3000, "é" * 2999 + "e"
    a, b = bounded("TERM#", long_a, limit), bounded("TERM#", long_b, limit)
    assert a != b and a == bounded("TERM#", long_a, limit)
    assert max(len(a.encode()), len(b.encode())) <= limit
    exact = "x" * (limit - len("TERM#"))
    assert bounded("TERM#", exact, limit) == "TERM#" + exact
