"""Triage: which organisation gets a case, how urgent, and whether to ask consent first.

The rules are data (content/triage.yml); this module computes the signals and
returns the first rule that holds. Nothing here talks to Rasa or a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import yaml

from bot.settings import PROJECT_ROOT


@dataclass(frozen=True)
class Signals:
    intent: Optional[str]
    age: Optional[float] = None
    previous_intents: tuple[str, ...] = ()
    danger_confidence: float = 0.0  # NLU confidence of report_immediate_danger for this message
    minor_cue: bool = False  # words that show a child (content/triage_cues.yml)
    now_cue: bool = False  # words that put the danger in the present


@dataclass(frozen=True)
class Decision:
    rule: str
    organization: str
    priority: str
    category: str
    consent: bool


@dataclass(frozen=True)
class Indicator:
    key: str
    question: str
    found_if: str  # "yes" or "no"


class Policy:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.minor_age = float(data.get("minor_age", 18))
        self.risk_intents = frozenset(data.get("risk_intents", []))
        self.case_intents = frozenset(data.get("case_intents", []))
        self.rules = list(data.get("rules", []))
        self.indicators = [Indicator(i["key"], i["question"], str(i["found_if"])) for i in data.get("indicators", [])]
        self.danger_confidence = float(data.get("danger_confidence", 0.25))
        self.adult_danger_confidence = float(data.get("adult_danger_confidence", 0.3))
        self.high_priority_indicators = int(data.get("high_priority_indicators", 2))
        self.renotify = {k: dt.timedelta(minutes=float(v)) for k, v in (data.get("renotify_minutes") or {}).items()}

    @classmethod
    def load(cls, path: Path) -> "Policy":
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def facts(self, signals: Signals) -> dict[str, Any]:
        intent = signals.intent
        minor = signals.age is not None and 0 < signals.age < self.minor_age
        child = intent == "report_child_at_risk" or ((minor or signals.minor_cue) and intent in self.case_intents)
        # For a child, danger ranked second or words like "now" are enough to
        # treat it as urgent; an adult's report needs both to skip consent.
        danger = (
            intent == "report_immediate_danger"
            or (child and (signals.danger_confidence >= self.danger_confidence or signals.now_cue))
            or (intent in self.risk_intents and signals.now_cue and signals.danger_confidence >= self.adult_danger_confidence)
        )
        return {
            "intent": intent,
            "danger": danger,
            "child": child,
            "risk_seen": any(i in self.risk_intents for i in signals.previous_intents),
        }

    def decide(self, signals: Signals) -> Optional[Decision]:
        """The first rule that holds, or None (no case: questions, small talk)."""
        if signals.intent not in self.case_intents:
            return None
        facts = self.facts(signals)
        for rule in self.rules:
            if all(facts.get(key) == value for key, value in (rule.get("when") or {}).items()):
                case = rule["case"]
                return Decision(rule["name"], case["organization"], case["priority"], case["category"], bool(case.get("consent")))
        return None

    def indicators_found(self, answers: Mapping[str, str]) -> list[str]:
        """Indicator keys whose answer means present ('yes'/'no'; 'skip' counts as nothing)."""
        return [i.key for i in self.indicators if answers.get(i.key) == i.found_if]


def signals_from(
    intent: Optional[str],
    text: str,
    ranking: Mapping[str, float],
    age: Optional[float],
    previous: Iterable[Optional[str]],
) -> Signals:
    """The signals of one message, as the action and the benchmark both compute them."""
    from bot.risk.cues import default_cues

    cues = default_cues()
    return Signals(
        intent=intent,
        age=age,
        previous_intents=tuple(i for i in previous if i),
        danger_confidence=float(ranking.get("report_immediate_danger", 0.0) or 0.0),
        minor_cue=cues.minor_cue(text),
        now_cue=cues.now_cue(text),
    )


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return Policy.load(PROJECT_ROOT / "content" / "triage.yml")
