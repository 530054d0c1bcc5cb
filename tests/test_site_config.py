"""site.yaml: what a newsroom configures applies, a wrong field is named and ignored (the rest applies), and no
page claims more readers than were configured."""

from __future__ import annotations

from newsdrop.site.config import apply_config
from newsdrop.site.render import DEFAULT_PITCH, SiteSettings

BASE = SiteSettings(base_url="https://news.example")


def test_every_field_applies():
    settings, problems = apply_config(
        BASE,
        "name: Herald\nlanguage: pt-BR\nbyline_prefix: Por\nsubscribe_pitch: Join {subscribers} readers\n"
        "subscribers: 1234\ndate_format: '%d/%m/%Y'\n",
    )
    assert problems == []
    assert (settings.name, settings.language, settings.byline_prefix) == ("Herald", "pt-BR", "Por")
    assert settings.pitch == "Join 1,200 readers"  # rounded down, never up
    assert settings.date_format == "%d/%m/%Y"


def test_a_count_is_only_claimed_when_configured():
    settings, _ = apply_config(BASE, "subscribe_pitch: Join {subscribers} people\n")
    assert settings.pitch == DEFAULT_PITCH
    assert apply_config(BASE, "subscribers: 4\nsubscribe_pitch: Join {subscribers} people\n")[0].pitch == (
        "Join 4 people"
    )
    assert "10k" not in BASE.pitch and BASE.pitch == DEFAULT_PITCH


def test_a_bad_field_is_named_and_ignored_and_the_rest_applies():
    settings, problems = apply_config(
        BASE, "name: Herald\nlanguage: '<script>'\ndate_format: plain\nsubscribers: -3\ncolour: red\n"
    )
    assert settings == SiteSettings(base_url="https://news.example", name="Herald")
    assert [p.split(":")[0] for p in problems] == [
        "language",
        "date_format",
        "subscribers",
        "unknown field 'colour' ignored (known",
    ]


def test_a_file_that_is_not_a_mapping_changes_nothing():
    for text in ("- a\n- b\n", "name: [unclosed\n", "just words\n"):
        settings, problems = apply_config(BASE, text)
        assert settings == BASE and problems
