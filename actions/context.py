"""action_extract_context: runs after every user message (custom slot mapping).

Sets `language` (explicit choice > numbered menu answer > detection with the
current language as prior), `age` (an age the writer states of themselves) and `country` from what the
person wrote.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions._tracker import latest_metadata
from bot.content.catalog import default_catalog
from bot.country import default_country_names
from bot.language.choice import explicit_choice
from bot.language.detect import detect
from bot.language.model import trained_model
from bot.risk.age import stated_age
from bot.risk.cues import default_cues
from bot.text import menu_number


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
        elif not pinned and not latest_metadata(tracker).get("command"):  # "/delete" says nothing of the language
            found = detect(text, catalog.languages, prior=prior, model=trained_model(tuple(catalog.languages)))
            language = found.language or catalog.default_language
            if language != prior:
                events.append(SlotSet("language", language))

        # Remembered for later messages only when the writer speaks of themselves: a parent's
        # "my son is 7" must not make the parent a child in their next message.
        age = stated_age(text) if not default_cues().reporter_cue(text) else None
        if age is not None and age != tracker.get_slot("age"):
            events.append(SlotSet("age", age))

        country = country_in_message(text, entities, asked=str(awaiting or "").startswith(("country:", "confirm_country:")))
        if country and country != tracker.get_slot("country"):
            events.append(SlotSet("country", country))
        return events


def country_in_message(text: str, entities: List[Dict[Text, Any]], asked: bool) -> Optional[str]:
    """ISO code of the country the message names: NLU's entity, else our name list.

    Names that are also everyday words count inside a sentence only when we
    asked for the country (bot/country.py).
    """
    names = default_country_names()
    for entity in entities:
        value = str(entity.get("value") or "").upper()
        if entity.get("entity") == "country" and len(value) == 2 and value.isalpha():
            return value
    return names.find(text, asked=asked)
