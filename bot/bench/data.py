"""The labelled sets the benchmarks read: held-out NLU examples per language (never trained on)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.language.model import read_examples


@dataclass(frozen=True)
class Labelled:
    language: str
    intent: str
    text: str


def heldout(root: Path, languages: list[str] | None = None) -> list[Labelled]:
    """tests/nlu/<lang>.yml for every language that has one."""
    rows: list[Labelled] = []
    for path in sorted((root / "tests" / "nlu").glob("*.yml")):
        if languages and path.stem not in languages:
            continue
        rows += [Labelled(path.stem, intent, text) for intent, text in read_examples(path)]
    return rows


def length_bucket(words: int) -> str:
    return "1-2 words" if words <= 2 else "3-5 words" if words <= 5 else "6+ words"
