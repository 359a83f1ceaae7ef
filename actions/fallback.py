"""action_fallback: unclear, out-of-scope or numbered replies.

A message that answers the bot's open question (a menu number, a country,
"1 for more") is handled as that answer; otherwise the person gets what the
helpline can do, and after two misunderstandings in a row, the offer of a
person; in a basic language (Lao, Kyrgyz), the basic menu. Never silence.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions._tracker import previous_bot_action
from actions.pending import answer_pending
from bot.content.catalog import default_catalog


class ActionFallback(Action):
    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        answered = answer_pending(tracker, dispatcher)
        if answered is not None:
            return answered
        if default_catalog().is_basic(tracker.get_slot("language")):
            # Little is understood in a basic language: say what it offers (numbers, contacts, a person).
            dispatcher.utter_message(response="utter_basic_menu")
        elif previous_bot_action(tracker) == self.name():
            dispatcher.utter_message(response="utter_fallback_offer_human")
        else:
            dispatcher.utter_message(response="utter_fallback")
        return []
