"""A local stand-in Telegram Bot API for trying the helpline without Telegram.

    .venv/bin/python scripts/standin_bot_api.py [--port 8081] [--token 123:TEST]

Set TELEGRAM_API_URL=http://127.0.0.1:8081/bot and TELEGRAM_BOT_TOKEN=123:TEST.
GET /sent lists the messages the helpline sent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sanic import response

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bot.bench.telegram_standin import BotApiStandIn  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123:TEST")
    args = parser.parse_args()
    standin = BotApiStandIn(args.token)

    async def sent(_request):
        return response.json(standin.sent)

    standin.app.add_route(sent, "/sent", methods=["GET"], name="sent")
    standin.app.run(host="127.0.0.1", port=args.port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
