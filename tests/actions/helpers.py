"""Build rasa_sdk trackers for action tests: intent and text in, events out."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def user(text: str, intent: str, entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def tracker(events: list[dict[str, Any]], slots: dict[str, Any] | None = None) -> Tracker:
    last_user = next((e for e in reversed(events) if e["event"] == "user"), {})
    latest = {"text": last_user.get("text"), **last_user.get("parse_data", {})}
    return Tracker("test-sender", slots or {}, latest, events, False, None, None, "action_listen")


def run(action_obj: Any, trk: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action_obj.run(dispatcher, trk, {}))
    return events, dispatcher.messages


def bot(response: str) -> dict[str, Any]:
    """A bot message as Rasa records it: the NLG response name is in its metadata."""
    return {"event": "bot", "text": response, "metadata": {"utter_action": response}}


def answer_to(question: str, text: str, intent: str, asked_by: str = "action_triage", **slot_values: Any) -> Tracker:
    """A tracker where the action `asked_by` asked `question` (an utter_* name) and the person replied `text`."""
    return tracker([action(asked_by), bot(question), user(text, intent)], slots=slot_values)
