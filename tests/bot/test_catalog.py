"""Every text exists in every language, and every response named anywhere exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.content.catalog import Catalog, default_catalog

ROOT = Path(__file__).resolve().parents[2]


def _domain_responses() -> set[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    return {a for a in domain["actions"] if a.startswith("utter_")}


def _responses_named_in_code_and_data() -> set[str]:
    names: set[str] = set()
    for path in list((ROOT / "actions").rglob("*.py")) + list((ROOT / "bot").rglob("*.py")):
        names |= set(re.findall(r"[\"'](utter_[a-z0-9_]+)[\"']", path.read_text()))
    names.discard("utter_action")  # Rasa's metadata key on bot messages, not a response
    for path in list((ROOT / "data").rglob("*.yml")) + list((ROOT / "tests" / "stories").rglob("*.yml")):
        names |= set(re.findall(r"action: (utter_[a-z0-9_]+)", path.read_text()))
    return names


def test_every_response_named_in_code_or_stories_is_declared_in_the_domain():
    assert _responses_named_in_code_and_data() <= _domain_responses()


@pytest.mark.parametrize("code", sorted(default_catalog().languages))
def test_every_language_has_every_response(code):
    catalog = default_catalog()
    required = _domain_responses()  # basic languages too: understanding is basic there, never the answers
    missing = required - catalog.response_names(code)
    assert not missing, f"{code} lacks {sorted(missing)}"
    for name in required:
        entry = catalog.texts[code]["responses"][name]
        assert entry.get("text") and entry.get("sms"), f"{code}/{name} needs both a text and an sms form"


@pytest.mark.parametrize("code", sorted(default_catalog().languages))
def test_every_language_has_every_label(code):
    """Labels name contact lines and the yes / no / skip buttons: a missing one would show in English."""
    catalog = default_catalog()
    missing = set(catalog.texts[catalog.default_language]["labels"]) - set(catalog.texts[code].get("labels", {}))
    assert not missing, f"{code} lacks labels {sorted(missing)}"


@pytest.mark.parametrize("code", sorted(default_catalog().languages))
def test_numbered_choices_are_buttons_on_telegram_and_numbers_in_an_sms(code):
    from actions.triage import yes_no_choices

    catalog = default_catalog()
    choices = [list(c) for c in yes_no_choices(code, skip=True)]  # as they arrive through Rasa's JSON
    on_telegram = catalog.render("utter_indicator_documents", code, "telegram", choices=choices)
    assert [b["payload"] for b in on_telegram.buttons] == ["1", "2", "3"]
    assert [b["title"] for b in on_telegram.buttons] == [catalog.texts[code]["labels"][k] for k in ("yes", "no", "skip")]
    assert catalog.render("utter_ask_in_danger", code, "twilio_sms", choices=choices).buttons == []


@pytest.mark.parametrize("code", sorted(default_catalog().languages))
def test_placeholders_match_the_default_language(code):
    catalog = default_catalog()
    default = catalog.texts[catalog.default_language]["responses"]
    for name, entry in catalog.texts[code]["responses"].items():
        for form in ("text", "sms"):
            expected = set(re.findall(r"{(\w+)}", default[name][form]))
            assert set(re.findall(r"{(\w+)}", entry[form])) == expected, f"{code}/{name}/{form}"


def test_topic_answers_cite_their_legal_source():
    catalog = default_catalog()
    for topic in catalog.topics.values():
        assert topic.sources, topic.key
        for code in [c for c, lang in catalog.languages.items() if lang.support == "full"]:
            rendered = catalog.render(topic.response, code, channel="rest")
            assert topic.sources[0] in rendered.text
            assert catalog.label("source", code) in rendered.text


def test_unknown_language_falls_back_to_default_and_sms_uses_short_form():
    catalog = default_catalog()
    full = catalog.render("utter_greet", "xx", channel="rest").text
    short = catalog.render("utter_greet", "xx", channel="twilio_sms").text
    assert full == catalog.texts["en"]["responses"]["utter_greet"]["text"].format(name=catalog.defaults["name"])
    assert short == catalog.texts["en"]["responses"]["utter_greet"]["sms"].format(name=catalog.defaults["name"])


def test_a_new_language_is_only_files(tmp_path):
    content = tmp_path / "content"
    (content / "texts").mkdir(parents=True)
    (content / "languages.yml").write_text("default: en\nlanguages:\n  en: {name: English, native: English}\n  zz: {name: Test, native: Zz}\n")
    (content / "topics.yml").write_text((ROOT / "content" / "topics.yml").read_text())
    (content / "texts" / "en.yml").write_text((ROOT / "content" / "texts" / "en.yml").read_text())
    (content / "texts" / "zz.yml").write_text("labels: {source: Zsource}\nresponses:\n  utter_greet: {text: zz hello, sms: zz hi}\n")
    catalog = Catalog(content)
    assert catalog.render("utter_greet", "zz").text == "zz hello"
    assert catalog.render("utter_goodbye", "zz").text == catalog.render("utter_goodbye", "en").text
