"""A local stand-in for the Telegram Bot API: records sendMessage calls, can be switched off (outage)."""

from __future__ import annotations

import itertools
from typing import Any

from sanic import Sanic, response
from sanic.request import Request

_names = itertools.count()


class BotApiStandIn:
    def __init__(self, token: str = "123:TEST") -> None:
        self.token = token
        self.sent: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every method called, with its data
        self.up = True
        self.rate_limit_next = 0  # answer this many sendMessage calls with 429 first
        self.app = Sanic(f"bot_api_standin_{next(_names)}")
        self.app.add_route(self._method, "/<path:path>", methods=["POST", "GET"])

    async def _method(self, request: Request, path: str):
        prefix, _, method = path.rpartition("/")
        token = prefix[len("bot"):] if prefix.startswith("bot") else ""
        if not self.up:
            return response.json({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
        if token != self.token:
            return response.json({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        if request.content_type.startswith("application/json"):
            data = dict(request.json or {})
        else:
            data = {k: v[0] for k, v in (request.form or {}).items()}
        self.calls.append((method, data))
        if method == "getMe":
            return response.json({"ok": True, "result": {"id": 123, "is_bot": True, "first_name": "Helpline", "username": "helpline_bot"}})
        if method == "sendMessage" and self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            return response.json({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                  "parameters": {"retry_after": 1}}, status=429)
        if method == "sendMessage":
            self.sent.append(data)
            return response.json({"ok": True, "result": {
                "message_id": len(self.sent), "date": 0, "text": data.get("text", ""),
                "chat": {"id": int(data.get("chat_id", 0)), "type": "private"}}})
        if method == "setWebhook":
            self.webhook_url = data.get("url", "")
        if method == "getWebhookInfo":
            return response.json({"ok": True, "result": {"url": getattr(self, "webhook_url", ""), "has_custom_certificate": False,
                                                         "pending_update_count": 0}})
        return response.json({"ok": True, "result": True})


class StandInThread:
    """The stand-in served on its own thread and event loop, for stacks started from synchronous code
    (the scale test's servers must know its address before the load's event loop exists)."""

    def __init__(self, standin: BotApiStandIn) -> None:
        import asyncio
        import socket
        import threading

        self.standin = standin
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(100)
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/bot"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import asyncio

        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            server = await self.standin.app.create_server(sock=self.sock, return_asyncio_server=True, access_log=False)
            await server.startup()

        self.loop.run_until_complete(start())
        self.ready.set()
        self.loop.run_forever()

    def start(self) -> "StandInThread":
        self.thread.start()
        if not self.ready.wait(30):
            raise RuntimeError("the stand-in Bot API did not start")
        return self

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.sock.close()
