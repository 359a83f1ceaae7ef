"""Per-language cases for every triage cue (tests/bot/cue_cases/<lang>.yml): ages against other numbers,
present danger, self-harm against idioms, reporters, parents, bare calls for help, child words, yes and no."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.risk.cues import default_cues, yaml_keys

FOLDER = Path(__file__).parent / "cue_cases"
CHECKS = {
    "danger_now": ("danger_now_cue", True), "not_danger_now": ("danger_now_cue", False),
    "self_harm": ("self_harm_cue", True), "not_self_harm": ("self_harm_cue", False),
    "reporter": ("reporter_cue", True), "not_reporter": ("reporter_cue", False),
    "parent": ("parent_cue", True),
    "help_call": ("help_call_only", True), "not_help_call": ("help_call_only", False),
    "minor": ("minor_cue", True), "not_minor": ("minor_cue", False),
    "soon": ("soon_cue", True), "not_soon": ("soon_cue", False),
    "question": ("asks_rule", True), "not_question": ("asks_rule", False),
    "danger_denied": ("danger_denied", True),
}


def _cases() -> list[tuple[str, str, object]]:
    found = []
    for path in sorted(FOLDER.glob("*.yml")):
        data = yaml_keys(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        for key, items in data.items():
            for item in items or []:
                found.append((path.stem, key, item))
    return found


CASES = _cases()


def test_every_language_has_cases_for_every_cue():
    from bot.content.catalog import default_catalog

    languages = set(default_catalog().languages)
    assert {p.stem for p in FOLDER.glob("*.yml")} == languages
    for path in FOLDER.glob("*.yml"):
        data = yaml_keys(yaml.safe_load(path.read_text(encoding="utf-8")))
        missing = [k for k in ("ages", "not_ages", "danger_now", "self_harm", "not_self_harm", "reporter", "help_call", "yes", "no")
                   if not data.get(k)]
        assert not missing, f"{path.name} has no cases for {missing}"


@pytest.mark.parametrize("language,key,item", CASES, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_cue(language, key, item):
    cues = default_cues()
    if key == "ages":
        text, age = item
        assert cues.age(text) == age, f"{language}: {text!r} states age {age}"
    elif key == "not_ages":
        assert cues.age(item) is None, f"{language}: {item!r} states no age (found {cues.ages(item)})"
    elif key in ("yes", "no"):
        assert cues.answer(item) == key, f"{language}: {item!r} answers {key}"
    elif key in CHECKS:
        method, expected = CHECKS[key]
        assert getattr(cues, method)(item) is expected, f"{language}: {method}({item!r}) should be {expected}"
