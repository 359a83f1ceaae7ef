"""Cues in a report's words: a stated age, signs of a minor, danger happening now.

Read from content/triage_cues.yml for every language at once (people mix
languages and scripts). Triage uses them only for messages NLU already took
as a report or a request for a person.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from bot.settings import PROJECT_ROOT
from bot.text import words_pattern

MIN_AGE, MAX_AGE = 3, 99


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text.lower())


class Cues:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.age_patterns = [re.compile(p, re.IGNORECASE) for spec in data.values() for p in spec.get("age", [])]
        self.minor = words_pattern(_fold(w) for spec in data.values() for w in spec.get("minor", []))
        self.now = words_pattern(_fold(w) for spec in data.values() for w in spec.get("now", []))
        units = sorted({_fold(w) for spec in data.values() for w in spec.get("units", [])}, key=len, reverse=True)
        self._unit_after = re.compile(r"^\s*(?:" + "|".join(re.escape(u) for u in units) + r")(?!\w)") if units else None

    @classmethod
    def load(cls, path: Path) -> "Cues":
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def age(self, text: str) -> Optional[int]:
        """The age the message states ("i am 15", "tengo 13 anos", "мне 14", "۱۵ سالمه"), if any."""
        for pattern in self.age_patterns:
            match = pattern.search(text or "")
            if match:
                try:
                    value = int(match.group("age"))  # int() reads Arabic-Indic, Devanagari and Bengali digits
                except ValueError:
                    continue
                if MIN_AGE <= value <= MAX_AGE:
                    return value
        return None

    def counts_something_else(self, text: str, value: str) -> bool:
        """Whether the number is followed by a unit ("16 hours", "16 گھنٹے"): then it is not an age."""
        if self._unit_after is None:
            return False
        for match in re.finditer(rf"(?<!\d){re.escape(value)}(?!\d)", text or ""):
            if self._unit_after.match(_fold(text[match.end():])):
                return True
        return False

    def minor_cue(self, text: str) -> bool:
        return bool(self.minor and self.minor.search(_fold(text or "")))

    def now_cue(self, text: str) -> bool:
        return bool(self.now and self.now.search(_fold(text or "")))


@lru_cache(maxsize=1)
def default_cues() -> Cues:
    return Cues.load(PROJECT_ROOT / "content" / "triage_cues.yml")
