"""Identify the language of a short message, with the conversation's language as a prior.

Layers, cheapest and surest first:
1. Script rules: Bengali, Devanagari, Lao are one language each for us; in
   Arabic script, letters only Urdu uses and letters Persian uses but Arabic
   does not separate the three; in Cyrillic, і ї є ґ mark Ukrainian and
   ң ө ү mark Kyrgyz.
2. Otherwise our character n-gram model trained on our own NLU examples
   (which include Arabizi, Roman Urdu, romanised Nepali, Russian in Latin
   letters), restricted to the candidates the script leaves; seeded
   langdetect when no model is available.
3. The prior: "ok", "1", a name, emoji or a low-confidence guess never switch
   the conversation's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from bot.language.model import CharNgramLanguageModel

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


def script_candidates(text: str, supported: Iterable[str]) -> list[str] | None:
    """Our languages the writing system allows, or None when it cannot narrow them (Latin, none)."""
    supported_list = list(supported)
    counts = _script_counts(text)
    if not counts:
        return None
    script = max(counts, key=counts.get)  # type: ignore[arg-type]
    letters = set(text)
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
            candidates = ["ar", "fa", "ur"]
    elif script == "CYRILLIC":
        if letters & KYRGYZ_ONLY:
            candidates = ["ky"]
        elif letters & UKRAINIAN_ONLY:
            candidates = ["uk"]
        else:
            candidates = ["ru", "uk", "ky"]
    else:
        return None
    return [c for c in candidates if c in supported_list] or None


def by_script(text: str, supported: Iterable[str]) -> Detection | None:
    """Answer from the writing system alone when it leaves one of our languages."""
    candidates = script_candidates(text, supported)
    if candidates and len(candidates) == 1:
        return Detection(candidates[0], 1.0, "script")
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


def by_model(text: str, candidates: Sequence[str], model: "CharNgramLanguageModel | None") -> Detection | None:
    """Our n-gram model over the candidate languages (knows transliterations)."""
    if model is None or not candidates:
        return None
    scores = model.probabilities(text, candidates)
    if not scores:
        return None
    language = max(scores, key=scores.get)  # type: ignore[arg-type]
    return Detection(language, scores[language], "model")


def detect(
    text: str,
    supported: Iterable[str],
    prior: str | None = None,
    model: "CharNgramLanguageModel | None" = None,
) -> Detection:
    """The message's language, or the prior when the message cannot tell.

    Script rules first; when they leave several candidates (Latin letters,
    Arabic letters shared by Arabic, Persian and Urdu, Cyrillic without
    distinguishing letters), our n-gram model chooses, or seeded langdetect
    when no model is available. Short or unsure guesses keep the prior.
    """
    supported = list(supported)
    keep = Detection(prior, 1.0, "prior") if prior in supported else Detection(None, 0.0, "none")
    words = word_count(text)
    if words == 0:
        return keep
    found = by_script(text, supported)
    if found is None:
        candidates = script_candidates(text, supported) or supported
        if keep.language and keep.language in candidates and words < MIN_WORDS_TO_SWITCH:
            return keep
        found = by_model(text, candidates, model) or by_langdetect(text, candidates)
    if found is None:
        return keep
    if keep.language and found.language != keep.language and found.method != "script":
        if found.confidence < MIN_CONFIDENCE_TO_SWITCH or words < MIN_WORDS_TO_SWITCH:
            return keep
    return found
