"""Safety timing: from a child's message on Telegram to the UNICEF responder's notification.

The stack runs with its dispatcher and a local stand-in Bot API; each sample
is a new chat writing one labelled child report (several languages). The
clock stops when the stand-in receives the sendMessage for the responder.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any, Optional, Sequence

import httpx

from bot.bench.stack import BENCH_TELEGRAM_SECRET, RESPONDER_CHAT


async def notification_times(base_url: str, standin: Any, reports: Sequence[str], timeout: float = 20.0) -> list[Optional[float]]:
    """Seconds per report until the responder was notified (None: not within `timeout`)."""
    times: list[Optional[float]] = []
    chats = itertools.count(880_000_001)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        for update_id, text in enumerate(reports, start=1):
            chat = next(chats)
            before = sum(1 for m in standin.sent if str(m.get("chat_id")) == str(RESPONDER_CHAT))
            update = {"update_id": 10_000 + update_id, "message": {"message_id": update_id, "date": 0, "text": text,
                                                                  "chat": {"id": chat, "type": "private"}}}
            started = time.perf_counter()
            await client.post("/webhooks/telegram/webhook", content=json.dumps(update),
                              headers={"X-Telegram-Bot-Api-Secret-Token": BENCH_TELEGRAM_SECRET, "Content-Type": "application/json"})
            took: Optional[float] = None
            while time.perf_counter() - started < timeout:
                if sum(1 for m in standin.sent if str(m.get("chat_id")) == str(RESPONDER_CHAT)) > before:
                    took = round(time.perf_counter() - started, 3)
                    break
                await asyncio.sleep(0.02)
            times.append(took)
    return times


def percentile(values: Sequence[float], p: float) -> Optional[float]:
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 3)
