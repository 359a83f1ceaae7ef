"""Answers to the bot's own open question: a numbered menu, a country, yes/no, "1 for more".

The `awaiting` slot says which question is open:
- "language_menu": a number picks the language (action_extract_context sets it);
- "country:<purpose>": a country name answers; <purpose> is a topic key or "emergency";
- "confirm_country:<CC>:<purpose>": yes confirms the phone number's country, no asks for the name.
A bare "1" right after a short SMS topic answer asks for its full form.
"""

from __future__ import annotations

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

    if number == 1:
        previous = previous_bot_response(tracker)
        if default_catalog().topic_of_response(previous):
            dispatcher.utter_message(response=previous, form="full")
            return []
    return None
