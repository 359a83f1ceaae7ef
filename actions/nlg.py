"""NLG endpoint: Rasa posts {response, arguments, tracker, channel}; we return the text.

The language comes from the conversation's `language` slot and the form (SMS
short form or full form) from the output channel.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.content.catalog import default_catalog

logger = logging.getLogger(__name__)


def render_for_rasa(body: dict[str, Any]) -> dict[str, Any]:
    """Pure function behind the route, so tests need no server."""
    name = body.get("response") or body.get("template")
    tracker = body.get("tracker") or {}
    slots = tracker.get("slots") or {}
    channel = (body.get("channel") or {}).get("name")
    arguments = body.get("arguments") or {}
    catalog = default_catalog()
    return catalog.render(str(name), slots.get("language"), channel, **arguments).as_nlg()


async def nlg_route(request: Request) -> HTTPResponse:
    body = request.json if isinstance(request.json, dict) else {}
    try:
        return response.json(render_for_rasa(body))
    except KeyError:
        logger.error("NLG asked for an unknown response %r", body.get("response"))
        return response.json({"error": "unknown response"}, status=404)
