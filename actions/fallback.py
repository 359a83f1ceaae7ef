"""action_fallback: unclear, out-of-scope or numbered replies.

A number answers the open numbered menu (language menu); otherwise the person
gets what the helpline can do, and after two misunderstandings in a row, the
offer of a person. Never silence.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.language import _events_since_last_user_message, language_menu_arguments


def _previous_bot_action(tracker: Tracker) -> str | None:
    """The last action run before the latest user message (ignoring listen and slot extraction)."""
    seen_user = False
    for event in reversed(list(tracker.events)):
        if event.get("event") == "user":
            if seen_user:
                continue
            seen_user = True
            continue
        if seen_user and event.get("event") == "action" and event.get("name") not in ("action_listen", "action_extract_slots", "action_extract_context"):
            return event.get("name")
    return None


class ActionFallback(Action):
    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        awaiting = tracker.get_slot("awaiting")
        if awaiting == "language_menu":
            chose = any(
                e.get("event") == "slot" and e.get("name") == "language_chosen" and e.get("value")
                for e in _events_since_last_user_message(tracker)
            )
            if chose:
                dispatcher.utter_message(response="utter_language_changed")
                return [SlotSet("awaiting", None)]
            dispatcher.utter_message(response="utter_language_menu", **language_menu_arguments())
            return []
        if _previous_bot_action(tracker) == self.name():
            dispatcher.utter_message(response="utter_fallback_offer_human")
        else:
            dispatcher.utter_message(response="utter_fallback")
        return []
