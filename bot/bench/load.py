"""Load: realistic multi-turn conversations in several languages, N at a time, bounded in time and count.

Each conversation is one person: five messages in one language, each sent
after the previous answer arrived (as a person does), drawn from the
held-out NLU sets (greeting, two questions, thanks, goodbye). Latency is per
message; throughput is messages answered per second of wall time.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Optional, Sequence
from urllib.parse import urlencode

import httpx

from bot.bench.data import Labelled

QUESTIONS = ("ask_rights_trafficking_victim", "ask_rights_smuggled_migrant", "ask_work_rights", "ask_documents",
             "ask_health", "ask_shelter", "ask_legal_aid", "ask_return_home", "ask_asylum", "ask_child_protection")
SCRIPT = ("greet", "question", "question", "thank", "goodbye")


def conversations(rows: Sequence[Labelled], languages: Sequence[str], count: int, seed: int = 7) -> list[tuple[str, list[str]]]:
    """`count` scripted conversations, languages in turn: (language, messages)."""
    rng = random.Random(seed)
    by_key: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        by_key.setdefault((row.language, row.intent), []).append(row.text)
    usable = [lang for lang in languages if all((lang, i) in by_key for i in ("greet", "thank", "goodbye", QUESTIONS[0]))]
    found = []
    for index in range(count):
        language = usable[index % len(usable)]
        messages = []
        for step in SCRIPT:
            intent = rng.choice([q for q in QUESTIONS if (language, q) in by_key]) if step == "question" else step
            messages.append(rng.choice(by_key[(language, intent)]))
        found.append((language, messages))
    return found


@dataclass
class LoadResult:
    concurrency: int
    conversations: int = 0
    messages: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    answers: list[list[str]] = field(default_factory=list, repr=False)  # per conversation, the bot's texts

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1) if ordered else float("nan")

        return {"concurrency": self.concurrency, "conversations": self.conversations, "messages": self.messages,
                "errors": self.errors, "seconds": round(self.seconds, 1), "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
                "mean_ms": round(statistics.fmean(ordered), 1) if ordered else float("nan"),
                "messages_per_second": round(self.messages / self.seconds, 2) if self.seconds else 0.0}


Send = Callable[[httpx.AsyncClient, str, int, str], Awaitable[list[str]]]


def rest_sender(token: str) -> Send:
    async def send(client: httpx.AsyncClient, sender: str, _: int, text: str) -> list[str]:
        response = await client.post(f"/webhooks/rest/webhook?token={token}", json={"sender": sender, "message": text})
        response.raise_for_status()
        return [m.get("text", "") for m in response.json()]
    return send


def stock_rest_sender() -> Send:
    async def send(client: httpx.AsyncClient, sender: str, _: int, text: str) -> list[str]:
        response = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
        response.raise_for_status()
        return [m.get("text", "") for m in response.json()]
    return send


def twilio_sender(auth_token: str, public_url: str) -> Send:
    """Signed Twilio webhooks, as Twilio sends them; the answer is the TwiML's <Message> bodies."""
    from xml.etree import ElementTree

    from twilio.request_validator import RequestValidator

    validator = RequestValidator(auth_token)
    url = public_url.rstrip("/") + "/webhooks/twilio_sms/webhook"

    async def send(client: httpx.AsyncClient, sender: str, index: int, text: str) -> list[str]:
        number = "+1555" + str(abs(hash(sender)) % 10_000_000).zfill(7)
        fields = {"MessageSid": f"SM{abs(hash((sender, index))):032d}"[:34], "AccountSid": "ACbench", "From": number,
                  "To": "+15005550006", "Body": text, "NumMedia": "0"}
        response = await client.post("/webhooks/twilio_sms/webhook", content=urlencode(fields).encode(),
                                     headers={"X-Twilio-Signature": validator.compute_signature(url, fields),
                                              "Content-Type": "application/x-www-form-urlencoded"})
        response.raise_for_status()
        return [m.text or "" for m in ElementTree.fromstring(response.text).iter("Message")]
    return send


async def run_load(base_url: str, send: Send, scripts: Sequence[tuple[str, list[str]]], concurrency: int,
                   max_seconds: float, label: str = "", progress: Optional[Callable[[str], None]] = None) -> LoadResult:
    """Run the conversations `concurrency` at a time; stop starting new ones after `max_seconds`."""
    result = LoadResult(concurrency)
    queue: asyncio.Queue = asyncio.Queue()
    for index, script in enumerate(scripts):
        queue.put_nowait((index, script))
    started = time.perf_counter()
    run_id = random.Random().randrange(10**9)

    async def person(client: httpx.AsyncClient) -> None:
        while not queue.empty() and time.perf_counter() - started < max_seconds:
            index, (_, messages) = queue.get_nowait()
            sender = f"bench-{run_id}-{concurrency}-{index}"
            texts: list[str] = []
            for turn, text in enumerate(messages):
                sent = time.perf_counter()
                try:
                    texts += await send(client, sender, turn, text)
                    result.latencies_ms.append((time.perf_counter() - sent) * 1000)
                    result.messages += 1
                except Exception:
                    result.errors += 1
            result.answers.append(texts)
            result.conversations += 1
            if progress and result.conversations % 10 == 0:
                progress(f"{label} x{concurrency}: {result.conversations} conversations")

    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(person(client) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result
