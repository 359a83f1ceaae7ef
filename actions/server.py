"""The action server plus the NLG endpoint: `python -m actions.server`.

One Sanic app serves rasa_sdk's `/webhook` (custom actions) and our `/nlg`
(Rasa asks it to render every `utter_*` response in the conversation's
language and fitted to its channel). It binds to localhost by default: it
has no authentication and must not be exposed.
"""

from __future__ import annotations

import logging

from rasa_sdk.endpoint import create_app as create_action_app
from sanic import Sanic
from sanic.request import Request

from actions.nlg import nlg_route
from bot import logsafety
from bot.content.catalog import default_catalog
from bot.language.model import trained_model
from bot.settings import load_settings


async def hide_conversation_in_logs(request: Request) -> None:
    """Rasa sends the whole tracker with every call: mask the person's words and id in this request's logs."""
    try:
        body = request.json if isinstance(request.json, dict) else {}
    except Exception:
        return
    tracker = body.get("tracker") or {}
    logsafety.hide(str((tracker.get("latest_message") or {}).get("text") or ""), str(tracker.get("sender_id") or ""))


def create_app() -> Sanic:
    from bot.risk.cues import default_cues
    from bot.risk.triage import default_policy

    default_cues()  # thousands of phrases to compile (2 s): before the first message, not during a crisis
    default_policy()
    app = create_action_app("actions", cors_origins=None)
    app.add_route(nlg_route, "/nlg", methods=["POST"])
    app.register_middleware(hide_conversation_in_logs, "request")
    return app


def main() -> None:
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logsafety.install(settings.log_level)
    app = create_app()
    catalog = default_catalog()
    trained_model(tuple(catalog.languages))  # train the language model before the first message, not during it
    logging.getLogger(__name__).info("Action and NLG server on %s", settings.actions_url)
    app.run(settings.actions_host, settings.actions_port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()
