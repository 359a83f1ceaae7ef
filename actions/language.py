"""action_choose_language: confirm a named language, or show the numbered menu."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions._tracker import slot_set_this_turn
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
        if slot_set_this_turn(tracker, "language_chosen"):
            dispatcher.utter_message(response="utter_language_changed")
            return [SlotSet("awaiting", None)]
        dispatcher.utter_message(response="utter_language_menu", **language_menu_arguments())
        return [SlotSet("awaiting", "language_menu")]

