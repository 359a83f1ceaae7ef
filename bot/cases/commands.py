"""Responder commands as typed in the responders' Telegram chat: /claim REF, /reply REF text, /close REF, /case REF.

Framework-free: the Telegram channel passes the chat id and text and sends
back the answer. Who may do what is checked by the case store (a responder
acts only on their organisation's cases) and every attempt is audited.
"""

from __future__ import annotations

import json
from typing import Optional

from bot.cases.store import CaseError
from bot.handoff import Handoff

USAGE = "Commands: /claim REF, /reply REF text, /close REF, /case REF"


def handle(handoff: Handoff, chat_id: str, text: str, replying_to: Optional[str] = None) -> Optional[str]:
    """The answer for the responder, or None when the text is not a command from a responder.

    `replying_to` is the text of the notification the responder answered (a
    Telegram reply); a plain reply to it is treated as /reply REF text.
    """
    responder = handoff.store.responders.by_telegram_chat(chat_id)
    if responder is None:
        return None
    text = (text or "").strip()
    if not text.startswith("/") and replying_to:
        reference = _reference_in(replying_to)
        if reference:
            text = f"/reply {reference} {text}"
    if not text.startswith("/"):
        return USAGE
    command, _, rest = text.partition(" ")
    command = command.split("@", 1)[0].lower()
    reference, _, body = rest.strip().partition(" ")
    try:
        if command == "/claim" and reference:
            case = handoff.store.claim(reference, responder.id)
            return f"{case.reference} is yours. The person's messages now come here. Answer with /reply {case.reference} text; /close {case.reference} when done."
        if command == "/reply" and reference and body.strip():
            handoff.reply(reference, responder.id, body)
            return f"Sent to the person on {reference.upper()}."
        if command == "/close" and reference:
            handoff.close(reference, responder.id)
            return f"{reference.upper()} closed; the bot answers the person again."
        if command == "/case" and reference:
            return json.dumps(handoff.store.read(reference, responder.id).as_dict(), indent=1, ensure_ascii=False)
    except CaseError as exc:
        return f"Not done: {exc}"
    return USAGE


def _reference_in(text: str) -> Optional[str]:
    import re

    match = re.search(r"\bHL-[2-9A-HJ-NP-Z]{5}\b", text or "")
    return match.group(0) if match else None
