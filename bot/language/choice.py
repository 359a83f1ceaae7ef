"""An explicit language choice: a named language or a number from the language menu."""

from __future__ import annotations

from typing import Any, Iterable, Sequence


def menu_choices(languages: Sequence[str]) -> list[tuple[int, str]]:
    """The numbered language menu, in the order of content/languages.yml."""
    return [(i, code) for i, code in enumerate(languages, start=1)]


def explicit_choice(
    intent: str | None,
    entities: Iterable[dict[str, Any]],
    number: int | None,
    languages: Sequence[str],
) -> str | None:
    """The language the person explicitly asked for, if any."""
    if number is not None:
        return dict(menu_choices(languages)).get(number)
    if intent == "choose_language":
        for entity in entities:
            value = str(entity.get("value") or "").lower()
            if entity.get("entity") == "language" and value in languages:
                return value
    return None
