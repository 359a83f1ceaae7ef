"""Identify the language of a short message, with the conversation's language as a prior.

Layers, cheapest and surest first:
1. Script rules: Bengali, Devanagari, Lao are one language each for us; in
   Arabic script, letters only Urdu uses and letters Persian uses but Arabic
   does not separate the three; in Cyrillic, і ї є ґ mark Ukrainian and
   ң ө ү mark Kyrgyz.
2. Latin script: seeded langdetect restricted to the supported languages.
3. The prior: "ok", "1", a name, emoji or a low-confidence guess never switch
   the conversation's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

URDU_ONLY = set("ٹڈڑںےۓھہ")
PERSIAN_NOT_ARABIC = set("پچژگکی")
UKRAINIAN_ONLY = set("іїєґІЇЄҐ")
KYRGYZ_ONLY = set("ңөүҢӨҮ")

# Short replies shorter than this many words keep the prior language.
MIN_WORDS_TO_SWITCH = 3
MIN_CONFIDENCE_TO_SWITCH = 0.80

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Detection:
    language: str | None
    confidence: float
    method: str


def _script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        script = name.split(" ")[0] if name else "UNKNOWN"
        counts[script] = counts.get(script, 0) + 1
    return counts


def by_script(text: str, supported: Iterable[str]) -> Detection | None:
    """Answer from the writing system alone when it is unambiguous for our languages."""
    supported = set(supported)
    counts = _script_counts(text)
    if not counts:
        return None
    script = max(counts, key=counts.get)  # type: ignore[arg-type]
    letters = set(text)
    candidates: list[str] = []
    if script == "BENGALI":
        candidates = ["bn"]
    elif script == "DEVANAGARI":
        candidates = ["ne"]
    elif script == "LAO":
        candidates = ["lo"]
    elif script == "ARABIC":
        if letters & URDU_ONLY:
            candidates = ["ur"]
        elif letters & PERSIAN_NOT_ARABIC:
            candidates = ["fa", "ur"]
        else:
            candidates = ["ar"]
    elif script == "CYRILLIC":
        if letters & KYRGYZ_ONLY:
            candidates = ["ky"]
        elif letters & UKRAINIAN_ONLY:
            candidates = ["uk"]
        else:
            candidates = ["ru", "uk"]
    for code in candidates:
        if code in supported:
            return Detection(code, 1.0 if len(candidates) == 1 else 0.9, "script")
    return None


def by_langdetect(text: str, supported: Iterable[str]) -> Detection | None:
    """Seeded langdetect, its probabilities restricted to our languages."""
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    supported = set(supported)
    try:
        guesses = detect_langs(text)
    except LangDetectException:
        return None
    ours = [(g.lang.split("-")[0], g.prob) for g in guesses if g.lang.split("-")[0] in supported]
    if not ours:
        return None
    total = sum(p for _, p in ours)
    lang, prob = max(ours, key=lambda item: item[1])
    return Detection(lang, prob / total if total else 0.0, "langdetect")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def detect(text: str, supported: Iterable[str], prior: str | None = None) -> Detection:
    """The message's language, or the prior when the message cannot tell."""
    supported = list(supported)
    keep = Detection(prior, 1.0, "prior") if prior in supported else Detection(None, 0.0, "none")
    if word_count(text) == 0:
        return keep
    found = by_script(text, supported)
    if found is None:
        if keep.language and word_count(text) < MIN_WORDS_TO_SWITCH:
            return keep
        found = by_langdetect(text, supported)
    if found is None:
        return keep
    if keep.language and found.language != keep.language:
        if found.method != "script" and (found.confidence < MIN_CONFIDENCE_TO_SWITCH or word_count(text) < MIN_WORDS_TO_SWITCH):
            return keep
        if found.method == "script" and found.confidence < 1.0 and keep.language in _ambiguous_with(text, supported):
            return keep
    return found


def _ambiguous_with(text: str, supported: Iterable[str]) -> set[str]:
    """Languages the script alone could not rule out (e.g. Cyrillic without і: ru or uk)."""
    counts = _script_counts(text)
    script = max(counts, key=counts.get) if counts else ""  # type: ignore[arg-type]
    groups = {"CYRILLIC": {"ru", "uk"}, "ARABIC": {"fa", "ur"}}
    return groups.get(script, set()) & set(supported)
