"""action_choose_language: confirm a named language, or show the numbered menu."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.content.catalog import default_catalog
from bot.language.choice import menu_choices


def language_menu_arguments() -> Dict[str, Any]:
    catalog = default_catalog()
    choices = [(n, catalog.languages[code].native) for n, code in menu_choices(list(catalog.languages))]
    return {"menu": "\n".join(f"{n} {label}" for n, label in choices), "choices": choices}


class ActionChooseLanguage(Action):
    def name(self) -> Text:
        return "action_choose_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        just_chosen = any(
            e.get("event") == "slot" and e.get("name") == "language_chosen" and e.get("value")
            for e in _events_since_last_user_message(tracker)
        )
        if just_chosen:
            dispatcher.utter_message(response="utter_language_changed")
            return [SlotSet("awaiting", None)]
        dispatcher.utter_message(response="utter_language_menu", **language_menu_arguments())
        return [SlotSet("awaiting", "language_menu")]


def _events_since_last_user_message(tracker: Tracker) -> List[Dict[Text, Any]]:
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return events[index + 1 :]
    return []
