"""Triage: which organisation gets a case, how urgent, and whether to ask consent first.

The rules are data (content/triage.yml); this module computes the signals and
returns the first rule that holds. Nothing here talks to Rasa or a database.
Self-harm and present danger are looked for in every message, whatever NLU
says its intent is, so that no question, menu or pending answer swallows them.
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
    intent_confidence: float = 0.0  # NLU confidence of `intent`
    age: Optional[float] = None  # youngest age stated in an age expression (this message, else earlier)
    previous_intents: tuple[str, ...] = ()
    danger_confidence: float = 0.0  # NLU confidence of report_immediate_danger for this message
    self_harm_confidence: float = 0.0  # NLU confidence of report_self_harm for this message
    child_confidence: float = 0.0  # NLU confidence of report_child_at_risk for this message
    minor_cue: bool = False  # words that show a child (content/triage_cues/)
    now_cue: bool = False  # weak present-time words ("now")
    soon_cue: bool = False  # danger in the next hours or this very moment ("tonight", "right now", "in an hour")
    danger_now_cue: bool = False  # phrases of present danger ("he is outside", "tonight", "locked in")
    self_harm_cue: bool = False  # phrases of self-harm ("want to die", "end my life")
    self_harm_idiom: bool = False  # idioms that only sound like it ("dead tired", "dying to see my kids")
    reporter_cue: bool = False  # the writer speaks about someone else
    parent_cue: bool = False  # the writer is a parent or relative of a child
    help_call: bool = False  # the message is only a call for help
    question: bool = False  # the message asks something ("?", "؟", "？")
    asks_rule: bool = False  # it asks whether something is legal or allowed, with or without "?"


@dataclass(frozen=True)
class Decision:
    rule: str
    organization: str
    priority: str
    category: str
    consent: bool
    third_party: bool = False  # the writer reports about someone else: reporter wording, "third-party report" on the case
    ask: Optional[str] = None  # a question to ask before any case ("in_danger" after a bare call for help)
    answer: Optional[str] = None  # "question": answer the question the message asks, open no case


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
        self.unclear_intents = frozenset(data.get("unclear_intents", []))
        self.rules = list(data.get("rules", []))
        self.indicators = [Indicator(i["key"], i["question"], str(i["found_if"])) for i in data.get("indicators", [])]
        self.danger_confidence = float(data.get("danger_confidence", 0.25))
        self.adult_danger_confidence = float(data.get("adult_danger_confidence", 0.3))
        self.adult_soon_danger_confidence = float(data.get("adult_soon_danger_confidence", 0.15))
        self.self_harm_confidence = float(data.get("self_harm_confidence", 0.3))
        self.child_intent_confidence = float(data.get("child_intent_confidence", 0.5))
        self.idiom_outweighs_below = float(data.get("idiom_outweighs_below", 0.5))
        self.question_outweighs_below = float(data.get("question_outweighs_below", 0.5))
        self.high_priority_indicators = int(data.get("high_priority_indicators", 2))
        self.renotify = {k: dt.timedelta(minutes=float(v)) for k, v in (data.get("renotify_minutes") or {}).items()}

    @classmethod
    def load(cls, path: Path) -> "Policy":
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def facts(self, signals: Signals) -> dict[str, Any]:
        intent = signals.intent
        reportish = intent in self.case_intents or intent == "report_self_harm"
        adult_stated = signals.age is not None and signals.age >= self.minor_age
        minor_stated = signals.age is not None and 0 < signals.age < self.minor_age
        # An idiom of exhaustion outweighs NLU when NLU is unsure, never a self-harm phrase.
        nlu_self_harm = intent == "report_self_harm" or signals.self_harm_confidence >= self.self_harm_confidence
        idiom_only = signals.self_harm_idiom and signals.self_harm_confidence < self.idiom_outweighs_below
        self_harm = signals.self_harm_cue or (nlu_self_harm and not idiom_only)
        # A child needs evidence: a stated age under 18, child words in a report, or NLU
        # sure enough of report_child_at_risk (alone, it took adults' reports of long
        # hours or shared rooms for children). A stated adult age outweighs child words;
        # the intent outweighs it only when the writer speaks about someone else.
        child_intent = intent == "report_child_at_risk" and (
            signals.minor_cue or minor_stated or signals.child_confidence >= self.child_intent_confidence)
        child_words = child_intent or (signals.minor_cue and (reportish or self_harm))
        child = (minor_stated and (reportish or self_harm)) or (child_words and (not adult_stated or signals.reporter_cue))
        # Present danger: the intent, or phrases of present danger in anything but a
        # question ("3 days without food, the smuggler left us" is a danger whatever NLU
        # calls it; "what if i am locked in?" is a question); for a child, danger ranked second or "now" are enough;
        # an adult's report with only "now" needs danger ranked as well.
        # A bare "HELP" is asked about first (the `help_call` rule), whatever NLU calls it.
        danger = (
            (intent == "report_immediate_danger" and not signals.help_call)
            or (signals.danger_now_cue and (reportish or intent in self.unclear_intents or signals.help_call or not signals.question))
            or (child and (signals.danger_confidence >= self.danger_confidence or signals.now_cue or signals.soon_cue))
            or (intent in self.risk_intents and signals.now_cue and signals.danger_confidence >= self.adult_danger_confidence)
            or (intent in self.risk_intents and signals.soon_cue and signals.danger_confidence >= self.adult_soon_danger_confidence)
        )
        # A question that NLU only half takes for a report ("dead tired, 14 hours, is that legal?",
        # a parent's "my daughter was born here, can she see a doctor?") is answered, not made a
        # case; never when self-harm or danger shows, nor when a child writes about themselves.
        question_only = (
            (signals.question or signals.asks_rule) and reportish and intent != "request_human" and not self_harm and not danger
            and signals.intent_confidence < self.question_outweighs_below
            and (not child or (signals.parent_cue and not signals.danger_now_cue))
        )
        return {
            "intent": intent,
            "question_only": bool(question_only),
            "self_harm": self_harm,
            "danger": danger,
            "child": bool(child),
            "third_party": signals.reporter_cue and not self_harm,
            # a report of exploitation, whoever NLU thought the victim was (the child rules come first)
            "exploitation_report": intent in ("report_exploitation", "report_child_at_risk"),
            "help_call": signals.help_call,
            "risk_seen": any(i in self.risk_intents for i in signals.previous_intents),
        }

    def decide(self, signals: Signals) -> Optional[Decision]:
        """The first rule that holds, or None (no case: questions, small talk)."""
        facts = self.facts(signals)
        if not (signals.intent in self.case_intents or facts["self_harm"] or facts["danger"] or facts["help_call"]):
            return None
        for rule in self.rules:
            if all(facts.get(key) == value for key, value in (rule.get("when") or {}).items()):
                return self.decision(rule, third_party=facts["third_party"])
        return None

    def decision(self, rule: Mapping[str, Any], third_party: bool = False) -> Decision:
        case = rule.get("case") or {}
        return Decision(rule["name"], case.get("organization", ""), case.get("priority", ""), case.get("category", ""),
                        bool(case.get("consent")), third_party, rule.get("ask"), rule.get("answer"))

    def rule(self, name: str) -> Optional[Decision]:
        """The decision of the named rule, as when its conditions held (a consent answer opens its case)."""
        found = next((r for r in self.rules if r["name"] == name), None)
        return self.decision(found, third_party=bool((found.get("when") or {}).get("third_party"))) if found else None

    def safety(self, signals: Signals, answered: bool = False) -> bool:
        """Whether the message must reach triage in any state: self-harm, present danger, a bare call for help.

        `answered`: the message answers the bot's open yes/no question in words ("no, later"); then
        danger counts only when its words say so, not on NLU's intent alone. Self-harm always counts.
        """
        facts = self.facts(signals)
        if facts["self_harm"] or facts["help_call"]:
            return True
        return bool(facts["danger"] and (not answered or signals.danger_now_cue))

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
    """The signals of one message, as the actions, the dialogue policy and the evaluation all compute them.

    `age` is the age remembered from earlier messages; an age stated in this
    message comes first.
    """
    from bot.risk.cues import default_cues

    cues = default_cues()
    stated = cues.age(text)
    return Signals(
        intent=intent,
        intent_confidence=float(ranking.get(intent or "", 0.0) or 0.0),
        age=float(stated) if stated is not None else age,
        previous_intents=tuple(i for i in previous if i),
        danger_confidence=float(ranking.get("report_immediate_danger", 0.0) or 0.0),
        self_harm_confidence=float(ranking.get("report_self_harm", 0.0) or 0.0),
        child_confidence=float(ranking.get("report_child_at_risk", 0.0) or 0.0),
        minor_cue=cues.minor_cue(text),
        now_cue=cues.now_cue(text),
        soon_cue=cues.soon_cue(text),
        danger_now_cue=cues.danger_now_cue(text),
        self_harm_cue=cues.self_harm_cue(text),
        self_harm_idiom=cues.self_harm_idiom(text),
        reporter_cue=cues.reporter_cue(text),
        parent_cue=cues.parent_cue(text),
        help_call=cues.help_call_only(text),
        question=any(mark in text for mark in "?؟？"),
        asks_rule=cues.asks_rule(text),
    )


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    return Policy.load(PROJECT_ROOT / "content" / "triage.yml")
