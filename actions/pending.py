"""Answers to the bot's own open question: a numbered menu, a country, yes/no, "1 for more".

The `awaiting` slot says which question is open:
- "language_menu": a number picks the language (action_extract_context sets it);
- "country:<purpose>": a country name answers; <purpose> is a topic key or "emergency";
- "confirm_country:<CC>:<purpose>": yes confirms the phone number's country, no asks for the name.
A bare "1" right after a short SMS topic answer asks for its full form.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions._tracker import previous_bot_response, slot_set_this_turn
from actions.language import language_menu_arguments
from actions.local_help import send_contacts, send_emergency
from bot.content.catalog import default_catalog
from bot.text import menu_number

Events = List[Dict[Text, Any]]


def _after_country(dispatcher: CollectingDispatcher, country: str, purpose: str, language: Optional[str]) -> None:
    if purpose == "emergency":
        send_emergency(dispatcher, country, language)
        return
    topic = default_catalog().topics.get(purpose)
    send_contacts(dispatcher, country, topic.contacts if topic else ("trafficking_hotline", "iom"), language)


def answer_pending(tracker: Tracker, dispatcher: CollectingDispatcher) -> Optional[Events]:
    """Handle the message as an answer to the open question; None if it is not one."""
    awaiting = tracker.get_slot("awaiting") or ""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    number = menu_number(message.get("text"))
    language = tracker.get_slot("language")

    if awaiting == "language_menu":
        if slot_set_this_turn(tracker, "language_chosen"):
            dispatcher.utter_message(response="utter_language_changed")
            return [SlotSet("awaiting", None)]
        if number is not None:  # a number outside the menu: show it again
            dispatcher.utter_message(response="utter_language_menu", **language_menu_arguments())
            return []

    if awaiting.startswith("country:") and slot_set_this_turn(tracker, "country"):
        _after_country(dispatcher, tracker.get_slot("country"), awaiting.split(":", 1)[1], language)
        return [SlotSet("awaiting", None)]

    if awaiting.startswith("confirm_country:"):
        _, code, purpose = (awaiting.split(":", 2) + [""])[:3]
        if slot_set_this_turn(tracker, "country"):  # they named a country instead
            _after_country(dispatcher, tracker.get_slot("country"), purpose, language)
            return [SlotSet("awaiting", None)]
        if intent == "affirm" or number == 1:
            _after_country(dispatcher, code, purpose, language)
            return [SlotSet("country", code), SlotSet("awaiting", None)]
        if intent == "deny" or number == 2:
            dispatcher.utter_message(response="utter_ask_country")
            return [SlotSet("awaiting", f"country:{purpose}")]

    if awaiting.startswith("consent:"):
        return _answer_consent(tracker, dispatcher, awaiting.split(":", 1)[1], intent, number)

    if awaiting == "erase":
        from actions.privacy import answer_erase

        answered = answer_erase(tracker, dispatcher, _yes_no(intent, number))
        if answered is not None:
            return answered

    if awaiting.startswith("indicator:"):
        return _answer_indicator(tracker, dispatcher, int(awaiting.split(":", 1)[1]), intent, number)

    if number == 1:
        previous = previous_bot_response(tracker)
        if default_catalog().topic_of_response(previous):
            dispatcher.utter_message(response=previous, form="full")
            return []
    return None


def _yes_no(intent: Optional[str], number: Optional[int]) -> Optional[str]:
    if intent == "affirm" or number == 1:
        return "yes"
    if intent == "deny" or number == 2:
        return "no"
    return None


def _answer_consent(tracker: Tracker, dispatcher: CollectingDispatcher, rule_name: str, intent: Optional[str], number: Optional[int]) -> Optional[Events]:
    """Yes (or 1) opens the IOM case now; no (or 2) gets information and the way back."""
    from actions.triage import ask_indicator, open_case
    from bot.risk.triage import Decision, default_policy

    answer = _yes_no(intent, number)
    if answer is None:
        return None
    if answer == "no":
        dispatcher.utter_message(response="utter_no_consent")
        dispatcher.utter_message(response="utter_work_rights" if rule_name == "adult exploitation" else "utter_how_can_help")
        events: Events = [SlotSet("awaiting", None)]
        if not send_emergency(dispatcher, tracker.get_slot("country"), tracker.get_slot("language")):
            events.append(SlotSet("country_asked", True))
        return events
    rule = next((r for r in default_policy().rules if r["name"] == rule_name), None)
    if rule is None:
        return [SlotSet("awaiting", None)]
    case = rule["case"]
    decision = Decision(rule["name"], case["organization"], case["priority"], case["category"], False)
    events = open_case(tracker, dispatcher, decision) + [SlotSet("indicator_answers", {})]
    if events and decision.category == "exploitation":
        return events + ask_indicator(dispatcher, 0)
    return events + [SlotSet("awaiting", None)]


def _answer_indicator(tracker: Tracker, dispatcher: CollectingDispatcher, index: int, intent: Optional[str], number: Optional[int]) -> Events:
    """Record yes / no / skip (3, or anything else) and ask the next question; never insist."""
    from actions.triage import ask_indicator
    from bot.cases.service import default_store
    from bot.risk.triage import default_policy

    policy = default_policy()
    if index >= len(policy.indicators):
        return [SlotSet("awaiting", None)]
    answer = _yes_no(intent, number) or "skip"
    answers = dict(tracker.get_slot("indicator_answers") or {})
    answers[policy.indicators[index].key] = answer
    found = policy.indicators_found(answers)
    reference = tracker.get_slot("case_reference")
    events: Events = [SlotSet("indicator_answers", answers)]
    if reference and found:
        try:
            case = default_store().add_indicators(reference, found, policy.high_priority_indicators)
            events.append(SlotSet("case_priority", case.priority))
        except Exception:
            logging.getLogger(__name__).exception("Could not record indicators on %s", reference)
    return events + ask_indicator(dispatcher, index + 1)
