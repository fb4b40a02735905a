"""Names become file names: refuse what could escape the vault or that Obsidian/Windows refuse."""

from __future__ import annotations

import json
import unicodedata

import pytest

from ppsjournal.errors import PpsjError
from ppsjournal.names import check_name, link_target, name_key
from tests.conftest import one_line_error, partner_note

BAD_NAMES = {
    "../x": "contains /",
    "a/b": "contains /",
    "a\\b": "contains \\",
    "x:y": "contains :",
    "Who?": "contains ?",
    "Tom #2": "contains #",
    "[[Ann]]": "contains [ ]",
    "a|b": "contains |",
    "a^b": "contains ^",
    'say "hi"': 'contains "',
    "a*b": "contains *",
    "<Ann>": "contains < >",
    ".hidden": "starts with a dot",
    "..": "starts with a dot",
    "CON": "reserved file name on Windows",
    "con": "reserved file name on Windows",
    "nul.txt": "reserved file name on Windows",
    "COM1": "reserved file name on Windows",
    "Lpt9.md": "reserved file name on Windows",
    "Ann.": "ends with a dot",
    "Ann ": "starts or ends with a space",
    " Ann": "starts or ends with a space",
    "Ann\tLee": "control character",
    "Ann\nLee": "control character",
    "Ann\u202eLee": "control character",  # right-to-left override: a name that lies
    "": "is empty",
    "   ": "is empty",
    "a" * 201: "longer than 200 bytes",
    "é" * 101: "longer than 200 bytes",  # 202 bytes in UTF-8, 101 characters
}


@pytest.mark.parametrize(("name", "why"), BAD_NAMES.items(), ids=range(len(BAD_NAMES)))
def test_check_name_refuses(name, why):
    with pytest.raises(PpsjError) as exc:
        check_name(name, "partner name")
    assert why in exc.value.message
    assert "partner name" in exc.value.message


@pytest.mark.parametrize(
    "name",
    [
        "Debbie Harper",
        "O'Brien & Sons",
        "José Núñez",
        "李小龙",
        "Ann (Sunrise)",
        "Dr. Lee",
        "a" * 200,
        "Console Realty",
        "CONNOR",
        "Nul Points",
    ],
)
def test_check_name_accepts(name):
    assert check_name(name) == unicodedata.normalize("NFC", name)


def test_check_name_normalises_to_nfc():
    decomposed = "Cafe\u0301"
    assert check_name(decomposed) == "Café"
    assert len(check_name(decomposed)) == 4


def test_name_key_is_case_and_normalisation_blind():
    assert name_key("Debbie Harper") == name_key("debbie harper") == name_key("DEBBIE HARPER")
    assert name_key("Cafe\u0301") == name_key("café") == name_key("CAFÉ")
    assert name_key("Straße") == name_key("STRASSE")  # casefold, not lower
    assert name_key("Debbie Harper") != name_key("Debbie Harpers")


@pytest.mark.parametrize(
    ("value", "target"),
    [
        ("[[Debbie Harper]]", "Debbie Harper"),
        ("[[Debbie Harper|Debbie]]", "Debbie Harper"),
        ("[[Partners/Debbie Harper]]", "Debbie Harper"),
        ("[[Debbie Harper.md]]", "Debbie Harper"),
        ("[[Debbie Harper#Needs]]", "Debbie Harper"),
        ("Debbie Harper", "Debbie Harper"),
        ("[[]]", None),
        (None, None),
        (3, None),
    ],
)
def test_link_target(value, target):
    assert link_target(value) == target


# -- through the CLI ---------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../x", "a/b", "x:y", ".hidden", "CON", "nul.txt", "Ann.", "a" * 201]
)
def test_add_refuses_a_bad_name_and_writes_nothing(ppsj, vault, name):
    before = sorted(p.relative_to(vault) for p in vault.rglob("*"))
    result = ppsj("add", name, "--at", "14:40")
    assert result.exit_code == 2
    out = result.output.strip()
    assert out.startswith("ppsj: partner name ")
    assert len(out.splitlines()) == 1
    assert sorted(p.relative_to(vault) for p in vault.rglob("*") if ".ppsj" not in p.parts) == [
        b for b in before if ".ppsj" not in b.parts
    ]
    assert not (vault.parent / "x.md").exists()


def test_add_trims_spaces_typed_around_a_name(ppsj, vault):
    assert ppsj("add", "  Debbie Harper  ").exit_code == 0
    assert (vault / "Partners" / "Debbie Harper.md").is_file()


@pytest.mark.parametrize(
    "email",
    [
        "debbie",
        "debbie@",
        "@sunrise.example",
        "debbie@@sunrise.example",
        "debbie harper@sunrise.example",
        "debbie@sunrise.example\r\nBcc: all@evil.example",
        "debbie@sunrise.example\n",
        "debbie@sunrise.example\r",
        "<debbie@sunrise.example>",
        "debbie@sunrise.example, x@y.example",
    ],
)
def test_add_refuses_a_bad_email(ppsj, vault, email):
    result = ppsj("add", "Debbie Harper", "--email", email)
    assert result.exit_code == 2
    assert result.output.strip().startswith("ppsj: --email: not an e-mail address")
    assert not (vault / "Partners" / "Debbie Harper.md").exists()


@pytest.mark.parametrize("option", ["--phone", "--company"])
def test_add_refuses_line_breaks_in_other_fields(ppsj, vault, option):
    result = ppsj("add", "Debbie Harper", option, "x\r\ny: injected")
    assert result.exit_code == 2
    assert f"{option} must be one line" in result.output
    assert not (vault / "Partners" / "Debbie Harper.md").exists()


def test_names_are_one_partner_whatever_the_case_or_normal_form(ppsj, vault):
    assert ppsj("add", "Debbie Harper", "--at", "14:40").exit_code == 0
    result = ppsj("add", "debbie harper", "--at", "13:00")
    assert result.exit_code == 1
    assert "Debbie Harper is already a partner" in result.output
    assert ppsj("skip", "DEBBIE HARPER", "2026-12-11").exit_code == 0
    assert "pps_skip: [2026-12-11]" in (vault / "Partners" / "Debbie Harper.md").read_text()

    # A name typed decomposed (as macOS file names are) finds the composed one, and back.
    assert ppsj("add", "Café Realty").exit_code == 0
    assert (vault / "Partners" / "Café Realty.md").is_file()
    result = ppsj("add", "cafe\u0301 realty", "--at", "13:00")
    assert result.exit_code == 0, result.output
    assert "booked Café Realty" in result.output
    assert ppsj("pause", "CAFE\u0301 REALTY").exit_code == 0
    rows = json.loads(ppsj("partners", "--json").output)["partners"]
    assert [(r["name"], r["status"]) for r in rows] == [
        ("Café Realty", "paused"),
        ("Debbie Harper", "active"),
    ]


def test_a_decomposed_name_is_written_composed(ppsj, vault):
    assert ppsj("add", "Jose\u0301").exit_code == 0
    assert [p.name for p in (vault / "Partners").iterdir()] == ["José.md"]


def test_add_refuses_an_address_with_a_backslash(ppsj, vault):
    line = one_line_error(ppsj("add", "Zed", "--email", r"zed@x\y.example"), code=2)
    assert "--email" in line
    assert not partner_note(vault, "Zed").exists()


@pytest.mark.parametrize("value", ["a\x1b[31mb", "1\u20282", "a\u200bb", "a\tb"])
@pytest.mark.parametrize("option", ["--phone", "--company"])
def test_add_refuses_control_and_invisible_characters(ppsj, vault, option, value):
    line = one_line_error(ppsj("add", "Zed", option, value), code=2)
    assert f"{option} must be one line of text" in line
    assert not partner_note(vault, "Zed").exists()


@pytest.mark.parametrize("name", ["COM¹", "lpt²", "CONIN$", "conout$.md"])
def test_more_windows_device_names_are_refused(ppsj, vault, name):
    line = one_line_error(ppsj("add", name), code=2)
    assert "reserved file name on Windows" in line
    assert not any((vault / "Partners").glob("*.md"))
