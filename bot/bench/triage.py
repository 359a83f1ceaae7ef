"""Triage evaluation: does each labelled conversation reach the right organisation and urgency?

Every message goes through the real trained NLU model, then through the same
signals and policy the bot's action uses (bot/risk/triage.py), with a stated
age remembered across the conversation as the `age` slot is, and a later
message escalating an open case as CaseStore does (priority up, IOM to UNICEF
for a child). A conversation labelled `null` must trigger nothing: neither a
case nor an offer of one (that is a false escalation).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import yaml

from bot.risk.age import stated_age
from bot.risk.triage import Policy, signals_from

PRIORITY_ORDER = ("normal", "high", "urgent")


@dataclass(frozen=True)
class Conversation:
    language: str
    messages: tuple[str, ...]
    organization: Optional[str]  # None: nothing should happen
    priority: Optional[str]


def load_conversations(path: Path) -> list[Conversation]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = []
    for item in data.get("conversations", []):
        expect = item.get("expect") or {}
        found.append(Conversation(item["language"], tuple(item["messages"]), expect.get("organization"), expect.get("priority")))
    return found


def route(policy: Policy, parsed: Sequence[dict[str, Any]]) -> Optional[tuple[str, str]]:
    """(organization, priority) the conversation ends with, or None when no case or offer happened."""
    result: Optional[tuple[str, str]] = None
    age: Optional[float] = None
    previous: list[Optional[str]] = []
    for message in parsed:
        intent = (message.get("intent") or {}).get("name")
        ranking = {r.get("name"): r.get("confidence", 0.0) for r in message.get("intent_ranking") or []}
        found_age = stated_age(message.get("text") or "", message.get("entities") or [])
        age = found_age if found_age is not None else age
        decision = policy.decide(signals_from(intent, message.get("text") or "", ranking, age, previous))
        previous.append(intent)
        if decision is None:
            continue
        if result is None:
            result = (decision.organization, decision.priority)
        else:
            organization = "UNICEF" if "UNICEF" in (result[0], decision.organization) else result[0]
            priority = max(result[1], decision.priority, key=PRIORITY_ORDER.index)
            result = (organization, priority)
    return result


async def _parse(model_path: Path, conversations: Sequence[Conversation]) -> list[list[dict[str, Any]]]:
    from rasa.core.agent import Agent

    from rasa_ext.serve import configure_logging

    configure_logging("WARNING")
    agent = Agent.load(str(model_path))
    parsed = []
    for conversation in conversations:
        parsed.append([await agent.parse_message(text) for text in conversation.messages])
    return parsed


def evaluate(model_path: Path, conversations: Sequence[Conversation], policy: Policy) -> dict[str, Any]:
    parsed = asyncio.run(_parse(model_path, conversations))
    hits = {"UNICEF": 0, "IOM": 0, "urgent": 0}
    positives = {"UNICEF": 0, "IOM": 0, "urgent": 0}
    negatives = false_escalations = 0
    misses: list[dict[str, Any]] = []
    for conversation, messages in zip(conversations, parsed):
        got = route(policy, messages)
        if conversation.organization is None:
            negatives += 1
            if got is not None:
                false_escalations += 1
                misses.append({"language": conversation.language, "expected": None, "got": got, "messages": list(conversation.messages)})
            continue
        positives[conversation.organization] += 1
        ok = got is not None and got[0] == conversation.organization
        hits[conversation.organization] += ok
        if conversation.priority == "urgent":
            positives["urgent"] += 1
            hits["urgent"] += got is not None and got[1] == "urgent"
        if not ok or (conversation.priority == "urgent" and (got is None or got[1] != "urgent")):
            misses.append({"language": conversation.language, "expected": [conversation.organization, conversation.priority],
                           "got": got, "messages": list(conversation.messages)})
    return {
        "conversations": len(conversations),
        "recall": {k: round(hits[k] / positives[k], 3) if positives[k] else None for k in hits},
        "positives": positives,
        "false_escalation_rate": round(false_escalations / negatives, 3) if negatives else None,
        "negatives": negatives,
        "misses": misses,
    }
