"""Triage evaluation: labelled conversations through the whole dialogue, as a person would have them.

Every conversation is sent, message by message, through the trained model,
the dialogue policies (SafetyFirstPolicy and the rules) and the real action
server, on a private SQLite database; what counts is what a person would
get: the case stored for the conversation (organisation, priority,
category) and whether the bot offered a case. Consent answers, refusals,
"are you in danger right now?" and re-asked questions are all exercised.

Labels (tests/triage/*.yml): `expect` is {organization, priority[, category]}
or null; `category` names what the conversation tests (self_harm, refusal,
parent_question, ...). Figures:
- self-harm recall: self_harm conversations that got an urgent case of category self_harm
- urgent recall, UNICEF recall, IOM recall: over conversations expecting them
- refusals respected: refusal conversations that got no case
- parents' questions with a UNICEF case: parent_question conversations that got one
- false escalations: conversations expecting nothing (refusals aside) that got a case or an offer
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import yaml

# What `make test` and `make bench` require (issue 13).
TARGETS = {
    "self_harm_recall": (">=", 1.0),
    "urgent_recall": (">=", 0.98),
    "unicef_recall": (">=", 1.0),
    "iom_recall": (">=", 0.95),
    "refusals_respected": (">=", 1.0),
    "false_escalations": ("<=", 0.03),
}
OFFERS = ("utter_offer_caseworker", "utter_offer_person", "utter_offer_caseworker_reporter")


@dataclass(frozen=True)
class Conversation:
    language: str
    messages: tuple[str, ...]
    organization: Optional[str]  # None: nothing should happen
    priority: Optional[str]
    case_category: Optional[str] = None  # the case's category when it matters (self_harm)
    label: str = ""  # what the conversation tests (self_harm, refusal, parent_question, ...)
    id: str = ""
    source: str = ""


@dataclass(frozen=True)
class Outcome:
    organization: Optional[str]
    priority: Optional[str]
    category: Optional[str]
    offered: bool
    answers: tuple[str, ...]


def load_conversations(path: Path) -> list[Conversation]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found = []
    for index, item in enumerate(data.get("conversations", [])):
        expect = item.get("expect") or {}
        found.append(Conversation(
            item["language"], tuple(str(m) for m in item["messages"]), expect.get("organization"), expect.get("priority"),
            expect.get("category"), item.get("category") or _label_of(expect), item.get("id") or f"{path.stem}-{index + 1}",
            path.parent.name + "/" + path.name,
        ))
    return found


def _label_of(expect: dict[str, Any]) -> str:
    if not expect:
        return "negative"
    return f"{expect.get('organization')}-{expect.get('priority')}"


# The labelled sets, newest first. "heldout" is blind: written by helpers who saw neither the
# training data nor the other sets, and its misses are not printed by default (reading them
# would make it one more set to tune on). "second" was the held-out set of session 4; its
# misses were read and worked on, so it is now a development set like the first one.
BLIND_SET = "heldout"
SET_NAMES = (BLIND_SET, "second", "existing")


def labelled_sets(root: Path) -> dict[str, list[Conversation]]:
    """The project's labelled sets: the first one (tests/triage/conversations_*.yml), second/ and heldout/."""
    folder = root / "tests" / "triage"
    return {
        BLIND_SET: [c for p in sorted((folder / BLIND_SET).glob("*.yml")) for c in load_conversations(p)],
        "second": [c for p in sorted((folder / "second").glob("*.yml")) for c in load_conversations(p)],
        "existing": [c for p in sorted(folder.glob("conversations*.yml")) for c in load_conversations(p)],
    }


# -- running the conversations ---------------------------------------------------------------


def _private_home(folder: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    responders = folder / "responders.yml"
    responders.write_text("responders:\n  - {id: unicef-eval, organization: UNICEF, telegram_chat_id: 500}\n"
                          "  - {id: iom-eval, organization: IOM, telegram_chat_id: 600}\n", encoding="utf-8")
    return {"HELPLINE_API_TOKEN": "e" * 32, "HELPLINE_PSEUDONYM_KEY": "p" * 32, "HELPLINE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "HELPLINE_DATABASE_URL": f"sqlite:///{folder / 'helpline.db'}", "HELPLINE_TRACKER_STORE_URL": f"sqlite:///{folder / 'tracker.db'}",
            "HELPLINE_RESPONDERS": str(responders), "HELPLINE_RATE_LIMIT_PER_MINUTE": "1000"}


async def _run(model_path: Path, conversations: Sequence[Conversation], concurrency: int) -> list[Outcome]:
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered
    from rasa.utils.endpoints import EndpointConfig

    from actions.server import create_app as create_action_app
    from bot.bench.serving import served
    from bot.cases.service import default_store
    from rasa_ext.serve import configure_logging

    configure_logging("WARNING")
    async with served(create_action_app()) as actions:
        agent = Agent.load(str(model_path), generator=EndpointConfig(f"{actions.base_url}/nlg"),
                           tracker_store=InMemoryTrackerStore(Domain.empty()), lock_store=InMemoryLockStore(),
                           action_endpoint=EndpointConfig(f"{actions.base_url}/webhook"))
        store = default_store()
        gate = asyncio.Semaphore(concurrency)

        async def one(index: int, conversation: Conversation) -> Outcome:
            sender = f"eval-{index}"
            answers: list[str] = []
            async with gate:
                for text in conversation.messages:
                    output = CollectingOutputChannel()
                    await agent.handle_message(UserMessage(text, output, sender, input_channel="rest"))
                    answers += [str(m.get("text") or "") for m in output.messages]
                tracker = await agent.tracker_store.retrieve(sender)
            responses = [(e.metadata or {}).get("utter_action") for e in (tracker.events if tracker else []) if isinstance(e, BotUttered)]
            case = await asyncio.to_thread(store.open_case_of, sender)
            return Outcome(case.organization if case else None, case.priority if case else None, case.category if case else None,
                           any(r in OFFERS for r in responses), tuple(answers))

        return list(await asyncio.gather(*(one(i, c) for i, c in enumerate(conversations))))


def run_conversations(model_path: Path, conversations: Sequence[Conversation], concurrency: int = 6) -> list[Outcome]:
    """Each conversation through the real dialogue and action server, on a private database that is thrown away."""
    import bot.cases.service
    from bot.cases.models import Base

    with tempfile.TemporaryDirectory(prefix="helpline-triage-") as folder:
        home = _private_home(Path(folder))
        saved = {k: os.environ.get(k) for k in home}
        os.environ.update(home)
        caches = (bot.cases.service.default_store, bot.cases.service.default_spool)
        try:
            for cache in caches:
                cache.cache_clear()
            Base.metadata.create_all(bot.cases.service.default_store().engine)
            return asyncio.run(_run(model_path, conversations, concurrency))
        finally:
            for cache in caches:
                cache.cache_clear()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


# -- scoring -------------------------------------------------------------------------------------


def correct(conversation: Conversation, outcome: Outcome) -> bool:
    """What a person should get: the right organisation, priority (and category), or nothing."""
    if conversation.organization is None:
        if conversation.label == "refusal":
            return outcome.organization is None
        return outcome.organization is None and not outcome.offered
    if accepts_offer(conversation) and outcome.organization is None:
        return outcome.offered
    return (outcome.organization == conversation.organization and outcome.priority == conversation.priority
            and (conversation.case_category is None or outcome.category == conversation.case_category))


def accepts_offer(conversation: Conversation) -> bool:
    """The first set's adult reports end before any consent answer: the IOM offer is their route."""
    return conversation.label == "IOM-normal"


def routed_to(conversation: Conversation, outcome: Outcome) -> Optional[str]:
    """The organisation the person reached: the case's, or IOM's offer where the labels accept it."""
    if outcome.organization is None and outcome.offered and accepts_offer(conversation):
        return "IOM"
    return outcome.organization


def _ratio(hits: int, total: int) -> Optional[float]:
    return round(hits / total, 3) if total else None


def figures(pairs: Iterable[tuple[Conversation, Outcome]]) -> dict[str, Any]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for conversation, outcome in pairs:
        def count(name: str, hit: bool) -> None:
            counts[name][0] += int(hit)
            counts[name][1] += 1

        if conversation.case_category == "self_harm" or conversation.label == "self_harm":
            count("self_harm_recall", outcome.category == "self_harm" and outcome.priority == "urgent")
        if conversation.priority == "urgent":
            count("urgent_recall", outcome.priority == "urgent")
        if conversation.organization == "UNICEF":
            count("unicef_recall", outcome.organization == "UNICEF")
        if conversation.organization == "IOM":
            count("iom_recall", routed_to(conversation, outcome) == "IOM")
        if conversation.label == "refusal":
            count("refusals_respected", outcome.organization is None)
        if conversation.label == "parent_question":
            count("unicef_on_parent_questions", outcome.organization == "UNICEF")
        if conversation.organization is None and conversation.label != "refusal":
            count("false_escalations", outcome.organization is not None or outcome.offered)
    return {name: {"value": _ratio(hit, total), "n": total} for name, (hit, total) in sorted(counts.items())}


def load_floors(root: Path) -> dict[str, dict[str, float]]:
    """tests/triage/floors.yml: per set, the level a figure may not fall below while its target is not met yet."""
    path = root / "tests" / "triage" / "floors.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def required(name: str, floor: Optional[float]) -> tuple[str, float]:
    """The bar a figure must clear: its target, or the recorded floor where that is below the target."""
    sign, target = TARGETS[name]
    if floor is None:
        return sign, target
    return sign, (min(target, floor) if sign == ">=" else max(target, floor))


def meets(sign: str, value: float, bar: float) -> bool:
    """Whether a figure clears its bar (">=" for recalls, "<=" for false escalations)."""
    return value >= bar if sign == ">=" else value <= bar


def judge(result: dict[str, Any], floors: Optional[dict[str, float]] = None) -> list[str]:
    """The figures below their bar (target or floor), as sentences (empty when all hold)."""
    failures = []
    for name in TARGETS:
        value = (result.get(name) or {}).get("value")
        if value is None:
            continue
        sign, bar = required(name, (floors or {}).get(name))
        if not meets(sign, value, bar):
            failures.append(f"{name} {value} (must be {sign} {bar}; target {TARGETS[name][1]}, n={result[name]['n']})")
    return failures


def unmet_targets(result: dict[str, Any]) -> list[str]:
    """Figures that clear their floor but not yet the target: printed, so nobody mistakes a floor for the goal."""
    unmet = []
    for name, (sign, target) in TARGETS.items():
        value = (result.get(name) or {}).get("value")
        if value is not None and not meets(sign, value, target):
            unmet.append(f"{name} {value} (target {sign} {target})")
    return unmet


def evaluate_sets(model_path: Path, sets: dict[str, list[Conversation]]) -> dict[str, dict[str, Any]]:
    """Every set through one action server and one model (Sanic names its apps once per process)."""
    everything = [c for conversations in sets.values() for c in conversations]
    outcomes = iter(run_conversations(model_path, everything))
    return {name: score([(c, next(outcomes)) for c in conversations]) for name, conversations in sets.items()}


def evaluate(model_path: Path, conversations: Sequence[Conversation]) -> dict[str, Any]:
    return evaluate_sets(model_path, {"all": list(conversations)})["all"]


def score(pairs: list[tuple[Conversation, Outcome]]) -> dict[str, Any]:
    by_language: dict[str, list[tuple[Conversation, Outcome]]] = defaultdict(list)
    by_label: dict[str, list[tuple[Conversation, Outcome]]] = defaultdict(list)
    for conversation, outcome in pairs:
        by_language[conversation.language].append((conversation, outcome))
        by_label[conversation.label].append((conversation, outcome))
    misses = [{"id": c.id, "language": c.language, "label": c.label,
               "expected": [c.organization, c.priority, c.case_category] if c.organization else None,
               "got": [o.organization, o.priority, o.category] if o.organization else ("offer" if o.offered else None),
               "messages": list(c.messages)} for c, o in pairs if not correct(c, o)]
    return {
        "conversations": len(pairs),
        "correct": sum(correct(c, o) for c, o in pairs),
        "figures": figures(pairs),
        "by_language": {lang: {"n": len(rows), "correct": sum(correct(c, o) for c, o in rows), "figures": figures(rows)}
                        for lang, rows in sorted(by_language.items())},
        "by_category": {label: {"n": len(rows), "correct": sum(correct(c, o) for c, o in rows)} for label, rows in sorted(by_label.items())},
        "misses": misses,
    }


FIGURE_NAMES = ("self_harm_recall", "urgent_recall", "unicef_recall", "iom_recall", "refusals_respected",
                "unicef_on_parent_questions", "false_escalations")


def report_lines(name: str, result: dict[str, Any]) -> list[str]:
    """A plain-text report: the figures with their targets, then per category and per language."""
    lines = [f"== triage evaluation, {name} set: {result['conversations']} conversations, {result['correct']} handled as labelled"]
    for figure in FIGURE_NAMES:
        row = result["figures"].get(figure)
        if row is None:
            continue
        target = TARGETS.get(figure)
        lines.append(f"  {figure:28} {row['value']!s:6} n={row['n']:<4} " + (f"target {target[0]} {target[1]}" if target else "(reported)"))
    lines.append("  per category (correct / n): " + ", ".join(f"{k} {v['correct']}/{v['n']}" for k, v in result["by_category"].items()))
    header = "  language " + " ".join(f"{f[:14]:>15}" for f in FIGURE_NAMES)
    lines.append(header)
    for lang, row in result["by_language"].items():
        cells = []
        for figure in FIGURE_NAMES:
            value = row["figures"].get(figure)
            cells.append(f"{(str(value['value']) + '/' + str(value['n'])) if value else '-':>15}")
        lines.append(f"  {lang:8} " + " ".join(cells))
    return lines
