"""A deploy that works as written: no placeholder defaults, one secret name, two environments, no
machine-specific build settings."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from newsdrop.local.sam import load_template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = load_template(ROOT / "template.yaml")
MUST_SET = ("SigningSecretParameter", "SenderAddress", "SenderIdentity", "UnsubscribeAddress")


def _overrides(env: str) -> dict[str, str]:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    pairs = config[env]["deploy"]["parameters"]["parameter_overrides"]
    return dict(p.split("=", 1) for p in pairs)


@pytest.mark.parametrize("name", MUST_SET)
def test_what_a_deployment_must_set_has_no_default_and_a_pattern(name):
    spec = TEMPLATE["Parameters"][name]
    assert "Default" not in spec
    assert not re.fullmatch(spec["AllowedPattern"], "")


def test_no_parameter_defaults_to_an_example_domain():
    defaults = {n: str(s.get("Default", "")) for n, s in TEMPLATE["Parameters"].items()}
    assert not {n: v for n, v in defaults.items() if "example." in v}


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("SenderAddress", "news@news.example.org", "news at example.org"),
        ("SenderIdentity", "news.example.org", "news"),
        ("UnsubscribeAddress", "unsubscribe@news.example.org", "unsubscribe@"),
        ("SigningSecretParameter", "newsdrop/prod/signing-secret", "/newsdrop/prod/signing-secret"),
        ("OperatorEmail", "", "ops@"),
        ("SiteHostedZoneId", "Z0123456789ABCDEFGHIJ", "zone"),
        (
            "SiteCertificateArn",
            "arn:aws:acm:us-east-1:123456789012:certificate/0a1b-2c",
            "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b",
        ),
    ],
)
def test_patterns_accept_real_values_and_refuse_mistakes(name, good, bad):
    pattern = re.compile(TEMPLATE["Parameters"][name]["AllowedPattern"])
    assert pattern.fullmatch(good)
    assert not pattern.fullmatch(bad)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_each_environment_sets_every_required_parameter_and_its_own_secret(env):
    overrides = _overrides(env)
    assert set(MUST_SET) <= set(overrides)
    assert overrides["Stage"] == env
    assert overrides["SigningSecretParameter"] == f"newsdrop/{env}/signing-secret"
    # The placeholders an operator must replace are refused by the template, so nothing is created.
    for name, value in overrides.items():
        if value == "CHANGE-ME":
            assert not re.fullmatch(TEMPLATE["Parameters"][name]["AllowedPattern"], value), name


def test_the_build_finds_python_3_13_without_machine_settings():
    makefile = (ROOT / "Makefile").read_text()
    assert "PYENV_VERSION" not in makefile
    found = subprocess.run(["sh", str(ROOT / "shared" / "python313.sh")], capture_output=True, text=True)
    if found.returncode:
        assert "sam build --use-container" in found.stderr and "pyenv install 3.13" in found.stderr
    else:
        python = Path(found.stdout.strip()) / "python3.13"
        version = subprocess.run([python, "--version"], capture_output=True, text=True, check=True).stdout
        assert version.startswith("Python 3.13")


def test_without_python_3_13_the_build_says_how_to_get_it(tmp_path):
    # A PATH with only a shell and the basic tools: no python3.13, no pyenv.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "dirname", "grep", "sort", "cat"):
        path = subprocess.run(
            ["sh", "-c", f"command -v {tool}"], capture_output=True, text=True
        ).stdout.strip()
        (bin_dir / tool).symlink_to(path)
    result = subprocess.run(
        [str(bin_dir / "sh"), str(ROOT / "shared" / "python313.sh")],
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
    )
    assert result.returncode == 1
    assert "sam build --use-container" in result.stderr
