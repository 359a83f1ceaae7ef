"""action_extract_context: runs after every user message (custom slot mapping).

Sets `language` (explicit choice > numbered menu answer > detection with the
current language as prior) and `country` from what the person wrote.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.content.catalog import default_catalog
from bot.language.choice import explicit_choice
from bot.language.detect import detect
from rasa_ext.nlu.number_reply import menu_number


class ActionExtractContext(Action):
    def name(self) -> Text:
        return "action_extract_context"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        catalog = default_catalog()
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")
        entities = message.get("entities") or []
        events: List[Dict[Text, Any]] = []

        prior = tracker.get_slot("language")
        pinned = bool(tracker.get_slot("language_chosen"))
        awaiting = tracker.get_slot("awaiting")
        chosen = explicit_choice(
            intent=intent,
            entities=entities,
            number=menu_number(text) if awaiting == "language_menu" else None,
            languages=list(catalog.languages),
        )
        if chosen:
            events += [SlotSet("language", chosen), SlotSet("language_chosen", True)]
        elif not pinned:
            found = detect(text, catalog.languages, prior=prior)
            language = found.language or catalog.default_language
            if language != prior:
                events.append(SlotSet("language", language))

        country = next((e.get("value") for e in entities if e.get("entity") == "country" and e.get("value")), None)
        if country and isinstance(country, str) and len(country) == 2 and country.upper() != tracker.get_slot("country"):
            events.append(SlotSet("country", country.upper()))
        return events
