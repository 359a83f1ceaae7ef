"""What the helpline says must not promise what the law does not give (issue 14, review content-2026-12 R1-R7, R13-R16)."""

from __future__ import annotations

import re

import pytest

from bot.content.catalog import default_catalog

CATALOG = default_catalog()
RIGHTS = ("utter_rights_smuggled_migrant", "utter_rights_trafficking_victim", "utter_health", "utter_asylum", "utter_child_protection")


def _forms(name: str, code: str) -> list[str]:
    entry = CATALOG.texts[code]["responses"][name]
    return [entry["text"], entry.get("sms") or ""]


def test_english_makes_no_immunity_confidentiality_or_duty_claims():
    text = " ".join(form for name in RIGHTS for form in _forms(name, "en")).lower()
    for claim in ("not prosecuted", "should not be prosecuted", "confidential", "the law says you should get",
                  "come first", "back to danger", "you have the right to a safe place"):
        assert claim not in text, claim
    assert "many countries" in " ".join(_forms("utter_rights_smuggled_migrant", "en")).lower()
    assert "persecution, torture or other serious harm" in _forms("utter_asylum", "en")[0]


@pytest.mark.parametrize("code", sorted(CATALOG.languages))
def test_no_language_promises_a_reply_time_for_a_case(code):
    for name in ("utter_case_child", "utter_case_opened"):
        assert all("{minutes}" not in form for form in _forms(name, code)), (code, name)


@pytest.mark.parametrize("code", sorted(CATALOG.languages))
def test_the_child_case_sms_keeps_its_danger_line_before_the_case_number(code):
    """The danger line comes first: the case number ends the message in every language."""
    sms = _forms("utter_case_child", code)[1]
    assert sms.rstrip(". ").endswith("{reference}"), code
    assert len(sms) > len("{reference}") + 40, code
    if code == "en":
        assert sms.startswith("In danger? Call the emergency number or go to an adult you trust.")


def test_arabic_does_not_turn_should_into_a_right():
    text = " ".join(form for name in RIGHTS for form in _forms(name, "ar"))
    assert not re.search(r"لك (ال)?حق (في )?(المأوى|العلاج)", text)
    assert "لا عقاب" not in text
