"""REST channel for integration and testing: POST /webhooks/rest/webhook.

Same contract as Rasa's REST channel (`{"sender", "message"}` in, a JSON list
of `{"recipient_id", "text", ...}` out) but it refuses any request without the
API token before reading the body, cleans the text (no forced intents) and
never logs message texts or sender ids.
"""

from __future__ import annotations

import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import logsafety
from bot.ratelimit import Verdict
from channels.auth import token_status
from channels.handoff import pending_for_rest, to_responder
from channels.ordering import arrival_stamp
from channels.services import ChannelServices, default_services
from channels.turn import Turn, refused_answer

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


class RestInput(InputChannel):
    """Token-protected REST input channel named `rest`."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(token=str(credentials.get("token") or ""))

    def __init__(self, token: str, services: Optional[Callable[[], ChannelServices]] = None) -> None:
        if not token:
            raise ValueError("The REST channel needs a token (HELPLINE_API_TOKEN).")
        self.token = token
        self._services = services or default_services

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("helpline_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            status = token_status(request, self.token)
            if status != 200:
                return response.json({"error": "a valid API token is required"}, status=status)
            try:
                body = request.json
            except Exception:  # sanic raises InvalidUsage on malformed JSON
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "body must be a JSON object"}, status=400)
            sender = body.get("sender")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return response.json({"error": f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} characters"}, status=400)
            raw = body.get("message")
            if raw is not None and not isinstance(raw, str):
                return response.json({"error": "'message' must be a string"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None

            sender = sender.strip()
            logsafety.hide(raw or "", sender)  # the sender id too: after an erasure nothing of it may remain in a log
            services = self._services()
            async with services.order.turn(sender, arrival_stamp(request.headers)):  # before any other work: the conversation's messages keep their order
                turn = Turn.start(services, self.name(), sender, raw or "")
                verdict = await turn.rate_verdict()
                if verdict is not Verdict.ALLOW:
                    answer = await refused_answer(turn, request.app, verdict)
                    return response.json([{"recipient_id": sender, "text": answer}] if answer else [])
                collector = CollectingOutputChannel()
                if not await to_responder(lambda: services.handoff, sender, turn.text):
                    message = UserMessage(turn.text, collector, sender, input_channel=self.name(), metadata=metadata)
                    try:
                        await on_new_message(message)
                    except CancelledError:
                        logger.error("REST message timed out before the bot answered.")
                    except Exception:
                        logger.exception("REST message failed while the bot handled it.")
                    notices = await turn.finish(request.app, tip=False)
                    collector.messages.extend({"recipient_id": sender, "text": notice} for notice in notices)
                waiting = await pending_for_rest(lambda: services.handoff, sender)
                return response.json([{"recipient_id": sender, "text": t} for t in waiting] + collector.messages)

        return webhook
