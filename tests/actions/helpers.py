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
