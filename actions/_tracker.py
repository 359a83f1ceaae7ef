"""Read-only helpers over a rasa_sdk tracker's event list."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

_INTERNAL = ("action_listen", "action_extract_slots", "action_extract_context", "action_session_start")


def events_since_last_user_message(tracker: Tracker) -> List[Dict[str, Any]]:
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return events[index + 1 :]
    return []


def slot_set_this_turn(tracker: Tracker, name: str) -> bool:
    """Whether the slot got a value while processing the latest user message."""
    return any(e.get("event") == "slot" and e.get("name") == name and e.get("value") is not None for e in events_since_last_user_message(tracker))


def previous_bot_action(tracker: Tracker) -> Optional[str]:
    """The last action run before the latest user message, ignoring listen and slot extraction."""
    seen_user = False
    for event in reversed(list(tracker.events)):
        if event.get("event") == "user":
            seen_user = True
            continue
        if seen_user and event.get("event") == "action" and event.get("name") not in _INTERNAL:
            return event.get("name")
    return None


def previous_bot_response(tracker: Tracker) -> Optional[str]:
    """The utter_* name of the last bot message before the latest user message."""
    seen_user = False
    for event in reversed(list(tracker.events)):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
            continue
        if seen_user and event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action")
    return None


def latest_metadata(tracker: Tracker) -> Dict[str, Any]:
    return (tracker.latest_message or {}).get("metadata") or {}
