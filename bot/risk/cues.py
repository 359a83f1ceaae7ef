"""Cues in a message's words: a stated age, a child, present danger, self-harm, a reporter, an answer.

Read from content/triage_cues/<lang>.yml for every language at once (people
mix languages and scripts); content/triage_cues/README.md says what each key
holds and why. Word lists match whole words, except in scripts written without
spaces (Lao), where they match inside longer runs once the `*_not` words (Lao
"employee", "customer", which begin with the word for "child") are removed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import yaml

from bot.settings import PROJECT_ROOT
from bot.text import menu_number, words_pattern

MIN_AGE, MAX_AGE = 3, 99

# Word families read from each language file (see content/triage_cues/README.md).
FAMILIES = ("minor", "now", "soon", "danger_now", "question", "self_harm", "reporter", "parent", "help_call", "yes", "no", "skip")
# Families whose false hits are hidden by a list of longer words or idioms first.
_EXCEPTIONS = {"minor": "minor_not", "self_harm": "self_harm_not", "danger_now": "danger_not"}
_ANSWERS = ("yes", "no", "skip")
# What may surround a bare call for help and still leave it bare: punctuation, emoji, "please".
_FILLER = re.compile(r"[\W_\d]+", re.UNICODE)


def yaml_keys(data: Mapping[Any, Any]) -> dict[str, Any]:
    """YAML 1.1 reads an unquoted `yes:` / `no:` key as True / False: give them back their names."""
    names = {True: "yes", False: "no"}
    return {names.get(k, k) if isinstance(k, bool) else str(k): v for k, v in data.items()}


def fold(text: str) -> str:
    """Lowercase NFC, apostrophes unified, so that lists need one spelling of each."""
    return unicodedata.normalize("NFC", (text or "").lower()).replace("’", "'").replace("`", "'")


# Arabizi writes letters with digits ("3aychek", "7ad", "a5adha"): such a digit is no number,
# unless the letters after it are a unit of age ("14ans", "3yrs", "5sal").
_ARABIZI_DIGITS = "235679"
_AGE_UNITS = ("ans", "an", "yrs", "yr", "years", "year", "yo", "y", "anos", "ano", "let", "goda", "god", "sal", "saal",
              "sala", "sana", "bochor", "bochhor", "barsa", "barsh", "baras", "jash", "jashta", "jashtamyn")
_LATIN_RUN = re.compile(r"[a-z]+")


def _inside_word(text: str, start: int, end: int) -> bool:
    """A one-digit "age" that is a letter of an Arabizi word ("ey 3aychek": 3 = ع)."""
    if end - start != 1 or text[start] not in _ARABIZI_DIGITS:
        return False
    if start > 0 and "a" <= text[start - 1] <= "z":
        return True
    run = _LATIN_RUN.match(text, end)
    return bool(run) and run.group(0) not in _AGE_UNITS


class Cues:
    def __init__(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        self.age_patterns = [re.compile(p, re.IGNORECASE) for spec in data.values() for p in spec.get("age") or []]
        self.words: dict[str, Optional[re.Pattern[str]]] = {}
        for family in (*FAMILIES, *_EXCEPTIONS.values(), "please"):
            entries = {fold(str(w)).strip() for spec in data.values() for w in spec.get(family) or []}
            entries.discard("")
            self.words[family] = words_pattern(entries)
        # Answers are read in the conversation's language first: Portuguese "no" means "in the".
        self.answers_by_language = {
            language: {family: words_pattern({fold(str(w)).strip() for w in spec.get(family) or []} - {""}) for family in _ANSWERS}
            for language, spec in data.items()
        }

    @classmethod
    def load(cls, folder: Path) -> "Cues":
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the lists are long: libyaml reads them ten times faster
        data = {path.stem: yaml_keys(yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {})
                for path in sorted(folder.glob("*.yml"))}
        return cls(data)

    # -- numbers -------------------------------------------------------------------------

    def ages(self, text: str) -> list[int]:
        """Every age the message states in an age expression ("i am 15", "мне 14", "۱۵ سالمه").

        A number outside an age expression (hours, people, money, dates, times,
        durations) is never an age.
        """
        found = []
        folded = fold(text)
        for pattern in self.age_patterns:
            for match in pattern.finditer(folded):
                try:
                    value = int(match.group("age"))  # int() reads Arabic-Indic, Persian, Devanagari and Bengali digits
                except (ValueError, IndexError):
                    continue
                if MIN_AGE <= value <= MAX_AGE and not _inside_word(folded, *match.span("age")):
                    found.append(value)
        return found

    def age(self, text: str) -> Optional[int]:
        """The youngest age the message states: a child named next to an adult is still a child."""
        ages = self.ages(text)
        return min(ages) if ages else None

    # -- words -----------------------------------------------------------------------------

    def _strip(self, family: str, folded: str) -> str:
        exceptions = self.words.get(_EXCEPTIONS.get(family, ""))
        return exceptions.sub(" ", folded) if exceptions else folded

    def has(self, family: str, text: str) -> bool:
        pattern = self.words.get(family)
        if pattern is None:
            return False
        return bool(pattern.search(self._strip(family, fold(text))))

    def minor_cue(self, text: str) -> bool:
        return self.has("minor", text)

    def now_cue(self, text: str) -> bool:
        return self.has("now", text)

    def soon_cue(self, text: str) -> bool:
        return self.has("soon", text)

    def danger_now_cue(self, text: str) -> bool:
        return self.has("danger_now", text)

    def asks_rule(self, text: str) -> bool:
        """Words that ask whether something is legal or allowed, "?" or not ("is that legal", "шо по закону")."""
        return self.has("question", text)

    def danger_denied(self, text: str) -> bool:
        """Words that say there is no danger now ("no estoy en peligro", "i'm safe", "kono bipod nai")."""
        return self.has("danger_not", text)

    def self_harm_cue(self, text: str) -> bool:
        return self.has("self_harm", text)

    def self_harm_idiom(self, text: str) -> bool:
        """An idiom of exhaustion, longing or exaggeration ("dead tired", "устала до смерти")."""
        return self.has("self_harm_not", text)

    def reporter_cue(self, text: str) -> bool:
        return self.has("reporter", text) or self.has("parent", text)

    def parent_cue(self, text: str) -> bool:
        return self.has("parent", text)

    def help_call_only(self, text: str) -> bool:
        """The message is only a call for help ("HELP", "pls help me!!", "ساعدوني"), with no report in it."""
        folded = fold(text).strip()
        pattern = self.words.get("help_call")
        if not folded or pattern is None:
            return False
        rest = pattern.sub(" ", folded)
        please = self.words.get("please")
        if please is not None:
            rest = please.sub(" ", rest)
        return rest != folded and not _FILLER.sub("", rest)

    def answer(self, text: str, language: Optional[str] = None) -> Optional[str]:
        """'yes', 'no' or 'skip' when the words answer a yes/no question; a refusal outweighs a yes.

        The conversation's language is read, then English; every language only
        when the conversation's language is unknown (Bengali "hmm" is a yes,
        English "hmm" is not). A yes or skip phrase that contains a refusal word ("no
        problem", "no sé") hides it, and a refusal phrase that contains a yes
        word ("yes but not now") wins.
        """
        if language not in self.answers_by_language:
            return self._answer(text, {family: self.words.get(family) for family in _ANSWERS})
        for code in dict.fromkeys((language, "en")):  # English "ok", "yes" are everywhere; other languages' words are not
            found = self._answer(text, self.answers_by_language.get(code) or {})
            if found is not None:
                return found
        return None

    @staticmethod
    def _answer(text: str, patterns: Mapping[str, Optional[re.Pattern[str]]]) -> Optional[str]:
        folded = fold(text)
        spans = {family: [m.span() for m in p.finditer(folded)] if (p := patterns.get(family)) else [] for family in _ANSWERS}

        def inside(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
            return any(o[0] <= span[0] and span[1] <= o[1] and o != span for o in others)

        no = [s for s in spans["no"] if not inside(s, spans["yes"] + spans["skip"])]
        yes = [s for s in spans["yes"] if not inside(s, spans["no"] + spans["skip"])]
        skip = [s for s in spans["skip"] if not inside(s, spans["no"] + spans["yes"])]
        if no:
            return "no"
        if yes:
            return "yes"
        if skip:
            return "skip"
        return None


def read_answer(text: str, intent: Optional[str], cues: Optional[Cues] = None, question: str = "",
                language: Optional[str] = None) -> Optional[str]:
    """A reply to a yes/no question: the number (1 yes, 2 no, 3 skip), the person's words, else NLU's affirm/deny.

    To "are you in danger right now?" a refusal phrase ("I'm scared", "not now") is not a no:
    only the number, NLU's deny, a plain no as the first word ("no tranqui, solo quiero saber...")
    or words that deny danger ("i'm safe") count there; anything else is asked again.
    """
    number = menu_number(text)
    if number is not None:
        return {1: "yes", 2: "no", 3: "skip"}.get(number)
    cues = cues or default_cues()
    found = cues.answer(text, language)
    if question == "in_danger" and found == "no" and intent != "deny" and not cues.danger_denied(text):
        first = next((w for w in re.split(r"[\W_]+", fold(text)) if w), "")
        if cues.answer(first, language) != "no":
            return None
    if question == "in_danger" and found is None and cues.danger_denied(text):
        return "no"
    if found is not None:
        return found
    if intent == "affirm":
        return "yes"
    if intent == "deny":
        return "no"
    return None


@lru_cache(maxsize=1)
def default_cues() -> Cues:
    return Cues.load(PROJECT_ROOT / "content" / "triage_cues")
