"""The age a message states: our per-language patterns first, NLU's `age` entity otherwise."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

from bot.risk.cues import MAX_AGE, MIN_AGE, default_cues


def stated_age(text: str, entities: Iterable[Mapping[str, Any]]) -> Optional[float]:
    cues = default_cues()
    found = cues.age(text)
    if found is not None:
        return float(found)
    for entity in entities:
        if entity.get("entity") != "age":
            continue
        try:
            value = int(str(entity.get("value")).strip())
        except ValueError:
            continue
        if MIN_AGE <= value <= MAX_AGE and not cues.counts_something_else(text, str(entity.get("value")).strip()):
            return float(value)
    return None
