"""Erasure on request: ask once, then record the request and say what will be deleted and what stays.

The deletion itself happens after this turn is saved (channels/turn.py, or
the dispatcher's sweep): see bot/privacy/erasure.py for why.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions._tracker import previous_bot_response

logger = logging.getLogger(__name__)

Events = List[Dict[Text, Any]]
CONFIRM = "utter_ask_delete_confirm"


class ActionAskErase(Action):
    def name(self) -> Text:
        return "action_ask_erase"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> Events:
        from actions.triage import yes_no_choices

        dispatcher.utter_message(response=CONFIRM, choices=yes_no_choices(tracker.get_slot("language")))
        return [SlotSet("awaiting", "erase"), SlotSet("reasked", None)]


def answer_erase(tracker: Tracker, dispatcher: CollectingDispatcher, answer: Optional[str]) -> Optional[Events]:
    """'yes' / 1 right after the question erases, 'no' / 2 keeps; anything else is read as a new message."""
    if answer is None or previous_bot_response(tracker) != CONFIRM:
        return None
    if answer == "no":
        dispatcher.utter_message(response="utter_delete_cancelled")
        return [SlotSet("awaiting", None)]
    from bot.privacy.erasure import default_eraser

    try:
        plan = default_eraser().request(tracker.sender_id, tracker.get_latest_input_channel())
    except Exception:
        logger.exception("Could not record an erasure request")
        dispatcher.utter_message(response="utter_case_failed")
        return [SlotSet("awaiting", None)]
    dispatcher.utter_message(response="utter_data_deleted")
    if plan.anonymised_cases:
        dispatcher.utter_message(response="utter_data_deleted_cases")
    for reference, organization in plan.kept_cases:
        dispatcher.utter_message(response="utter_data_kept_for_case", reference=reference, organization=organization)
    return [SlotSet("awaiting", None)]
