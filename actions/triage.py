"""action_triage: reports, self-harm, danger and requests for a person become cases for the right organisation.

The rules are bot/risk/triage.py + content/triage.yml; this action reads the
tracker, applies the decision and says what happens next. Safety numbers come
first: the crisis line and emergency numbers for self-harm, emergency numbers
for present danger, each before the case is announced. Cases are written to
the database (with their notifications) before this action returns; if the
database fails, the person is told to write again and the safety advice still
goes out. The rule SafetyFirstPolicy (rasa_ext/safety_policy.py) sends
self-harm, danger and bare calls for help here from any state.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.local_help import send_crisis, send_emergency
from bot.cases.service import default_spool, default_store
from bot.cases.spool import open_or_spool
from bot.content.catalog import default_catalog
from bot.risk.triage import Decision, Signals, default_policy, signals_from

logger = logging.getLogger(__name__)

Events = List[Dict[Text, Any]]

# Below this NLU confidence, a basic-language message that only NLU calls a
# report is taken as not understood (its training data is small): it gets the
# basic menu, never an urgent case. Safety phrases still count at any confidence.
BASIC_LANGUAGE_MIN_CONFIDENCE = 0.5


def user_intents_before_latest(tracker: Tracker) -> tuple[str, ...]:
    users = [e for e in tracker.events if e.get("event") == "user"]
    return tuple(((e.get("parse_data") or {}).get("intent") or {}).get("name") or "" for e in users[:-1])


def remembered_age(tracker: Tracker) -> Optional[float]:
    age = tracker.get_slot("age")
    try:
        return float(age) if age is not None else None
    except (TypeError, ValueError):
        return None


def signals_of(tracker: Tracker) -> Signals:
    message = tracker.latest_message or {}
    ranking = {r.get("name"): r.get("confidence", 0.0) for r in message.get("intent_ranking") or []}
    return signals_from((message.get("intent") or {}).get("name"), message.get("text") or "", ranking,
                        remembered_age(tracker), user_intents_before_latest(tracker))


def yes_no_choices(language: Optional[str], skip: bool = False) -> list[tuple[int, str]]:
    """Numbered answers, shown as buttons on Telegram (the text already lists the numbers for SMS)."""
    labels = default_catalog().labels(language)
    choices = [(1, labels["yes"]), (2, labels["no"])]
    return choices + [(3, labels["skip"])] if skip else choices


def _announcement(decision: Decision, organization: str, priority: str) -> str:
    if decision.category == "self_harm":
        return "utter_case_self_harm"
    if organization == "UNICEF":
        return "utter_case_child_reporter" if decision.third_party else "utter_case_child"
    return "utter_case_urgent" if priority == "urgent" else "utter_case_opened"


def open_case(tracker: Tracker, dispatcher: CollectingDispatcher, decision: Decision, indicators: tuple[str, ...] = ()) -> Events:
    """Store the case (and its notifications), tell the person what happens next, set the case slots."""
    summary = decision.rule + ("; third-party report" if decision.third_party else "")
    try:
        opened = open_or_spool(
            default_store, default_spool(),
            conversation_id=tracker.sender_id,
            organization=decision.organization,
            priority=decision.priority,
            category=decision.category,
            language=tracker.get_slot("language"),
            country=tracker.get_slot("country"),
            channel=tracker.get_latest_input_channel(),
            indicators=list(indicators),
            summary=summary,
        )
    except Exception:
        logger.exception("Could not store a %s case for %s", decision.priority, decision.organization)
        dispatcher.utter_message(response="utter_case_failed")
        return []
    case = opened.case
    if not opened.created and case.status == "claimed" and decision.category != "self_harm":
        dispatcher.utter_message(response="utter_case_already_open", reference=case.reference, organization=case.organization)
    else:
        dispatcher.utter_message(response=_announcement(decision, case.organization, case.priority), reference=case.reference,
                                 organization=case.organization)
    return [SlotSet("case_reference", case.reference), SlotSet("case_organization", case.organization),
            SlotSet("case_priority", case.priority)]


def ask_indicator(dispatcher: CollectingDispatcher, index: int, language: Optional[str]) -> Events:
    indicators = default_policy().indicators
    if index >= len(indicators):
        dispatcher.utter_message(response="utter_indicators_done")
        return [SlotSet("awaiting", None)]
    dispatcher.utter_message(response=indicators[index].question, choices=yes_no_choices(language, skip=True))
    return [SlotSet("awaiting", f"indicator:{index}")]


def offer_response(decision: Decision) -> str:
    if decision.category == "request_human":
        return "utter_offer_person"
    return "utter_offer_caseworker_reporter" if decision.third_party else "utter_offer_caseworker"


def not_understood_in_basic_language(tracker: Tracker, signals: Signals, facts: Dict[str, Any]) -> bool:
    """A basic-language message only NLU calls a report, with low confidence: not understood (issue 13.10).

    Self-harm is never dismissed so, whatever its source."""
    if not default_catalog().is_basic(tracker.get_slot("language")):
        return False
    if facts["self_harm"] or signals.danger_now_cue or signals.help_call:
        return False
    if facts["child"] and signals.age is not None and signals.age < default_policy().minor_age:
        return False  # "I am 14, the owner does not pay me": a child's words, whatever NLU's confidence
    confidence = float(((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0.0)
    return confidence < BASIC_LANGUAGE_MIN_CONFIDENCE


def question_answer(tracker: Tracker) -> str:
    """The answer of the topic NLU ranks first among the questions (content/topics.yml), else the menu."""
    catalog = default_catalog()
    if catalog.is_basic(tracker.get_slot("language")):
        return "utter_basic_menu"
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    for item in sorted(ranking, key=lambda r: -float(r.get("confidence") or 0.0)):
        topic = catalog.topic_of_intent(str(item.get("name") or ""))
        if topic is not None:
            return topic.response
    return "utter_how_can_help"


class ActionTriage(Action):
    def name(self) -> Text:
        return "action_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> Events:
        signals = signals_of(tracker)
        policy = default_policy()
        decision = policy.decide(signals)
        language = tracker.get_slot("language")
        if decision is None:
            dispatcher.utter_message(response="utter_how_can_help")
            return []
        if decision.answer == "question":
            dispatcher.utter_message(response=question_answer(tracker))
            return []
        facts = policy.facts(signals)
        if not_understood_in_basic_language(tracker, signals, facts):
            dispatcher.utter_message(response="utter_basic_menu")
            return []
        # A safety message answers whatever was asked before: that question is closed.
        events: Events = [SlotSet("awaiting", None), SlotSet("reasked", None)]
        country = tracker.get_slot("country")
        if decision.ask == "in_danger":
            if not send_emergency(dispatcher, country, language):
                events.append(SlotSet("country_asked", True))
            dispatcher.utter_message(response="utter_ask_in_danger", choices=yes_no_choices(language))
            return events + [SlotSet("awaiting", "in_danger")]
        if facts["self_harm"]:
            if not send_crisis(dispatcher, country, language):
                events += [SlotSet("awaiting", "country:crisis"), SlotSet("country_asked", True)]
            return events + open_case(tracker, dispatcher, decision)
        if facts["danger"]:
            # numbers first, in the same reply; the case follows without waiting for consent
            if not send_emergency(dispatcher, country, language):
                events += [SlotSet("awaiting", "country:emergency"), SlotSet("country_asked", True)]
        if not decision.consent:
            return events + open_case(tracker, dispatcher, decision)
        existing: Optional[str] = tracker.get_slot("case_reference")
        if existing and default_store().open_case_of(tracker.sender_id) is not None:
            dispatcher.utter_message(response="utter_case_already_open", reference=existing,
                                     organization=tracker.get_slot("case_organization") or decision.organization)
            return events
        if tracker.get_slot("consent_refused") and decision.category != "request_human":
            # A refusal is final for that report: no new offer until they ask for a person.
            dispatcher.utter_message(response="utter_no_consent")
            return events
        dispatcher.utter_message(response=offer_response(decision), choices=yes_no_choices(language))
        return events + [SlotSet("awaiting", f"consent:{decision.rule}")]
