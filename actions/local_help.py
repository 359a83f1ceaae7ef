"""Local contacts: after a topic answer, and as emergency numbers, from the sourced directory.

action_local_help gives the topic's contacts for the person's country; when
the country is unknown it asks once (confirming a phone number's country when
the channel gave one). action_emergency_contacts gives emergency numbers, or
safe advice and the country question when the country is unknown.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions._tracker import latest_metadata
from bot.content.catalog import default_catalog
from bot.country import default_country_names
from bot.directory import ContactLine, default_directory, format_lines

PHONE_REGION_KEY = "phone_region"


def send_contacts(dispatcher: CollectingDispatcher, country: str, kinds: Sequence[str], language: Optional[str]) -> None:
    """The topic's contacts for the country, or an honest 'no checked contacts'."""
    directory = default_directory()
    name = default_country_names().name(country, language)
    lines = directory.services(country, kinds) if directory.knows(country) else []
    if lines:
        contacts = format_lines(lines, default_catalog().labels(language))
        dispatcher.utter_message(response="utter_local_contacts", country_name=name, contacts=contacts)
    else:
        dispatcher.utter_message(response="utter_no_local_contacts", country_name=name)


def send_emergency(dispatcher: CollectingDispatcher, country: Optional[str], language: Optional[str]) -> bool:
    """Emergency numbers for the country; False (and safe advice) when none are known."""
    directory = default_directory()
    lines = directory.emergency(country) if country and directory.knows(country) else []
    return _send_numbers(dispatcher, lines, language, "utter_emergency_contacts", "utter_emergency_unknown_country")


def _send_numbers(dispatcher: CollectingDispatcher, lines: Sequence[ContactLine], language: Optional[str], found: str, unknown: str) -> bool:
    if lines:
        dispatcher.utter_message(response=found, contacts=format_lines(lines, default_catalog().labels(language)))
        return True
    dispatcher.utter_message(response=unknown)
    return False


def send_crisis(dispatcher: CollectingDispatcher, country: Optional[str], language: Optional[str]) -> bool:
    """For someone who may hurt themselves: the crisis line (when sourced) and emergency numbers, warmly;
    without a known country, the same warmth, the safe advice and the country question. False then."""
    directory = default_directory()
    lines = directory.crisis(country) if country and directory.knows(country) else []
    return _send_numbers(dispatcher, lines, language, "utter_self_harm_contacts", "utter_self_harm_unknown_country")


def ask_country(dispatcher: CollectingDispatcher, tracker: Tracker, purpose: str) -> List[Dict[Text, Any]]:
    """Ask where the person is; a phone number's country is offered as a default to confirm."""
    region = latest_metadata(tracker).get(PHONE_REGION_KEY)
    language = tracker.get_slot("language")
    if region and default_directory().knows(region):
        dispatcher.utter_message(response="utter_confirm_country", country_name=default_country_names().name(region, language))
        return [SlotSet("awaiting", f"confirm_country:{region}:{purpose}")]
    dispatcher.utter_message(response="utter_ask_country")
    return [SlotSet("awaiting", f"country:{purpose}")]


class ActionLocalHelp(Action):
    def name(self) -> Text:
        return "action_local_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        catalog = default_catalog()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        topic = next((t for t in catalog.topics.values() if t.intent == intent), None)
        if topic is None or not topic.contacts:
            return []
        country = tracker.get_slot("country")
        if country:
            send_contacts(dispatcher, country, topic.contacts, tracker.get_slot("language"))
            return []
        if tracker.get_slot("country_asked"):
            return []
        return ask_country(dispatcher, tracker, topic.key) + [SlotSet("country_asked", True)]


class ActionEmergencyContacts(Action):
    def name(self) -> Text:
        return "action_emergency_contacts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        if send_emergency(dispatcher, tracker.get_slot("country"), tracker.get_slot("language")):
            return []
        return [SlotSet("awaiting", "country:emergency"), SlotSet("country_asked", True)]
