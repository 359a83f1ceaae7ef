"""Serve a Sanic app on a free local port inside the current event loop (tests and the benchmark)."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

import httpx
from sanic import Sanic


def _touchup_once() -> None:
    """Sanic 21.12 rewrites its protocol class methods ("touchup") at each server
    start, which fails the second time in one process. Run it once only."""
    from sanic.touchup import TouchUp

    original = TouchUp.run.__func__  # type: ignore[attr-defined]
    done: list[bool] = []

    def run_once(cls: type, app: Sanic) -> None:
        if not done:
            original(cls, app)
            done.append(True)

    TouchUp.run = classmethod(run_once)  # type: ignore[assignment]


_touchup_once()


@contextlib.asynccontextmanager
async def served(app: Sanic) -> AsyncIterator[httpx.AsyncClient]:
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port chosen by the system (Sanic reads port=0 as its default 8000)
    sock.listen(100)
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        server.close()
        await server.wait_closed()
