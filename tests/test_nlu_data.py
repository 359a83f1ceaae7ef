"""Training and held-out data: every intent in every language, enough examples, no leaks."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.content.catalog import default_catalog
from bot.language.model import read_examples
from tests.conftest import ROOT

DOMAIN_INTENTS = set(yaml.safe_load((ROOT / "domain.yml").read_text())["intents"])
BASIC_INTENTS = {"greet", "goodbye", "thank", "affirm", "deny", "choose_language", "request_human", "report_immediate_danger", "report_self_harm", "out_of_scope"}
CATALOG = default_catalog()


def _train(code):
    return [pair for path in sorted((ROOT / "data" / "nlu" / code).glob("*.yml")) for pair in read_examples(path)]


def _test(code):
    return read_examples(ROOT / "tests" / "nlu" / f"{code}.yml")


def _norm(text):
    return re.sub(r"\W+", " ", text.lower()).strip()


@pytest.mark.parametrize("code", sorted(CATALOG.languages))
def test_every_intent_has_enough_training_and_heldout_examples(code):
    full = CATALOG.languages[code].support == "full"
    wanted = DOMAIN_INTENTS if full else BASIC_INTENTS
    minimum_train, minimum_test = (20, 8)
    for name, rows, minimum in (("training", _train(code), minimum_train), ("held-out", _test(code), minimum_test)):
        counts = {i: sum(1 for intent, _ in rows if intent == i) for i in wanted}
        short = {i: n for i, n in counts.items() if n < minimum}
        assert not short, f"{code} {name}: {short}"


@pytest.mark.parametrize("code", sorted(CATALOG.languages))
def test_heldout_examples_are_never_trained_on(code):
    trained = {_norm(t) for _, t in _train(code)}
    leaked = [t for _, t in _test(code) if _norm(t) in trained]
    assert not leaked, f"{code}: {leaked[:5]}"


@pytest.mark.parametrize("code", sorted(CATALOG.languages))
def test_no_example_is_labelled_with_two_intents(code):
    seen: dict[str, str] = {}
    clashes = []
    for intent, text in _train(code):
        key = _norm(text)
        if key in seen and seen[key] != intent:
            clashes.append((text, seen[key], intent))
        seen[key] = intent
    assert not clashes, clashes[:5]


def test_only_domain_intents_are_used():
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        assert {i for i, _ in read_examples(path)} <= DOMAIN_INTENTS, path


@pytest.mark.parametrize("code", sorted(CATALOG.languages))
def test_the_word_we_tell_people_to_write_for_a_person_is_understood(code):
    """utter_fallback_offer_human says: write "<word>"; that word must be a request_human example."""
    text = CATALOG.texts[code]["responses"]["utter_fallback_offer_human"]["text"]
    quoted = re.findall(r'["«“„]([^"»”“]+)["»”“]', text)
    assert quoted, f"{code}: no quoted word in utter_fallback_offer_human"
    examples = {_norm(t) for intent, t in _train(code) if intent == "request_human"}
    assert _norm(quoted[0]) in examples, f"{code}: add '{quoted[0]}' to request_human in data/nlu/{code}/"
