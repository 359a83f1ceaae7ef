"""action_triage: reports and requests for a person become cases for the right organisation.

The rules are bot/risk/triage.py + content/triage.yml; this action reads the
tracker, applies the decision and says what happens next. Emergency numbers
come first when someone is in danger. Cases are written to the database (with
their notifications) before this action returns; if the database fails, the
person is told to write again and the danger advice still goes out.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.local_help import send_emergency
from bot.cases.service import default_spool, default_store
from bot.cases.spool import open_or_spool
from bot.risk.triage import Decision, Signals, default_policy, signals_from

logger = logging.getLogger(__name__)

Events = List[Dict[Text, Any]]


def user_intents_before_latest(tracker: Tracker) -> tuple[str, ...]:
    users = [e for e in tracker.events if e.get("event") == "user"]
    return tuple(((e.get("parse_data") or {}).get("intent") or {}).get("name") or "" for e in users[:-1])


def signals_of(tracker: Tracker) -> Signals:
    message = tracker.latest_message or {}
    ranking = {r.get("name"): r.get("confidence", 0.0) for r in message.get("intent_ranking") or []}
    age = tracker.get_slot("age")
    try:
        age_value = float(age) if age is not None else None
    except (TypeError, ValueError):
        age_value = None
    return signals_from((message.get("intent") or {}).get("name"), message.get("text") or "", ranking, age_value,
                        user_intents_before_latest(tracker))


def wait_minutes(priority: str) -> int:
    deadline = default_policy().renotify.get(priority)
    return int(deadline.total_seconds() // 60) if deadline else 60


def open_case(tracker: Tracker, dispatcher: CollectingDispatcher, decision: Decision, indicators: tuple[str, ...] = ()) -> Events:
    """Store the case (and its notifications), tell the person what happens next, set the case slots."""
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
            summary=f"{decision.rule}",
        )
    except Exception:
        logger.exception("Could not store a %s case for %s", decision.priority, decision.organization)
        dispatcher.utter_message(response="utter_case_failed")
        return []
    case = opened.case
    if not opened.created and case.status == "claimed":
        dispatcher.utter_message(response="utter_case_already_open", reference=case.reference, organization=case.organization)
    elif case.organization == "UNICEF":
        dispatcher.utter_message(response="utter_case_child", reference=case.reference, minutes=wait_minutes(case.priority))
    elif case.priority == "urgent":
        dispatcher.utter_message(response="utter_case_urgent", reference=case.reference, organization=case.organization)
    else:
        dispatcher.utter_message(response="utter_case_opened", reference=case.reference, organization=case.organization,
                                 minutes=wait_minutes(case.priority))
    return [SlotSet("case_reference", case.reference), SlotSet("case_organization", case.organization),
            SlotSet("case_priority", case.priority)]


def ask_indicator(dispatcher: CollectingDispatcher, index: int) -> Events:
    indicators = default_policy().indicators
    if index >= len(indicators):
        dispatcher.utter_message(response="utter_indicators_done")
        return [SlotSet("awaiting", None)]
    dispatcher.utter_message(response=indicators[index].question)
    return [SlotSet("awaiting", f"indicator:{index}")]


class ActionTriage(Action):
    def name(self) -> Text:
        return "action_triage"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> Events:
        signals = signals_of(tracker)
        policy = default_policy()
        decision = policy.decide(signals)
        if decision is None:
            dispatcher.utter_message(response="utter_how_can_help")
            return []
        events: Events = []
        if policy.facts(signals)["danger"]:
            # numbers first, in the same reply; the case follows without waiting for consent
            if not send_emergency(dispatcher, tracker.get_slot("country"), tracker.get_slot("language")):
                events += [SlotSet("awaiting", "country:emergency"), SlotSet("country_asked", True)]
        if not decision.consent:
            return events + open_case(tracker, dispatcher, decision)
        existing: Optional[str] = tracker.get_slot("case_reference")
        if existing and default_store().open_case_of(tracker.sender_id) is not None:
            dispatcher.utter_message(response="utter_case_already_open", reference=existing,
                                     organization=tracker.get_slot("case_organization") or decision.organization)
            return events
        offer = "utter_offer_person" if decision.category == "request_human" else "utter_offer_caseworker"
        dispatcher.utter_message(response=offer)
        return events + [SlotSet("awaiting", f"consent:{decision.rule}")]
