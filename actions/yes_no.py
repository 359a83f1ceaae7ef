"""action_yes_no: "yes" / "no" mean something only as an answer to the bot's question."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.pending import answer_pending


class ActionYesNo(Action):
    def name(self) -> Text:
        return "action_yes_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        answered = answer_pending(tracker, dispatcher)
        if answered is not None:
            return answered
        dispatcher.utter_message(response="utter_how_can_help")
        return []
