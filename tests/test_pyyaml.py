"""newsdrop.pyyaml: PyYAML's check of non-printable characters, with the cheaper pattern in place of its own."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsdrop.pyyaml import NON_PRINTABLE, PYYAML_NON_PRINTABLE

SHARED = Path(__file__).resolve().parents[1] / "shared"


def _in_fresh_python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=SHARED, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_pattern_replaced_is_pyyamls_own():
    # a fresh process: here, PyYAML may already have been imported through newsdrop.pyyaml
    assert _in_fresh_python("import yaml; print(ascii(yaml.reader.Reader.NON_PRINTABLE.pattern))") == ascii(
        PYYAML_NON_PRINTABLE
    )


def test_pyyaml_imported_through_newsdrop_uses_the_cheaper_pattern():
    code = "from newsdrop.pyyaml import yaml; print(ascii(yaml.reader.Reader.NON_PRINTABLE.pattern))"
    assert _in_fresh_python(code) == ascii(NON_PRINTABLE)


def test_both_patterns_find_the_same_characters_in_all_of_unicode():
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    theirs, ours = re.compile(PYYAML_NON_PRINTABLE), re.compile(NON_PRINTABLE)
    found = ours.findall(every)
    assert found == theirs.findall(every)
    assert len(found) == 2048 + 65 - 3 + 2 - 1  # surrogates, C0 + DEL + C1 but tab/LF/CR and NEL, FFFE/FFFF


@pytest.mark.parametrize("text", ["\x07", "x\x9f", "\ufffe", "\U0001f600\ud800"])
def test_a_non_printable_character_is_still_refused_where_it_is(text):
    from newsdrop.pyyaml import yaml

    with pytest.raises(yaml.reader.ReaderError) as caught:
        yaml.safe_load(f"title: ok{text}")
    assert caught.value.position == len(f"title: ok{text}") - 1
    assert caught.value.character == ord(text[-1])
