"""Intent accuracy and macro-F1 per language of the trained Rasa model on the held-out sets.

The real model is loaded and every message goes through the whole NLU
pipeline, so a message that falls back (low confidence) counts as wrong.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Sequence

from bot.bench.data import Labelled


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    scores = per_intent_f1(gold, predicted)
    return sum(scores.values()) / len(scores) if scores else 0.0


def per_intent_f1(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    scores = {}
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores[label] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return scores


async def _parse_all(model_path: Path, texts: Sequence[str], progress: Callable[[int, int], None]) -> list[str]:
    from rasa.core.agent import Agent

    from rasa_ext.serve import configure_logging

    configure_logging("WARNING")  # Rasa's debug events would print every message
    agent = Agent.load(str(model_path))
    intents = []
    for index, text in enumerate(texts):
        parsed = await agent.parse_message(text)
        intents.append((parsed.get("intent") or {}).get("name") or "None")
        progress(index + 1, len(texts))
    return intents


def evaluate(model_path: Path, rows: Sequence[Labelled], progress: Callable[[int, int], None] = lambda i, n: None) -> dict[str, Any]:
    predicted = asyncio.run(_parse_all(model_path, [r.text for r in rows], progress))
    by_language: dict[str, list[tuple[str, str]]] = defaultdict(list)
    confusions: Counter[tuple[str, str]] = Counter()
    for row, intent in zip(rows, predicted):
        by_language[row.language].append((row.intent, intent))
        if row.intent != intent:
            confusions[(row.intent, intent)] += 1
    result: dict[str, Any] = {"per_language": {}, "most_confused": []}
    for language, pairs in sorted(by_language.items()):
        gold = [g for g, _ in pairs]
        pred = [p for _, p in pairs]
        result["per_language"][language] = {
            "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 3),
            "macro_f1": round(macro_f1(gold, pred), 3),
            "fallback_rate": round(sum(p == "nlu_fallback" for p in pred) / len(pred), 3),
            "examples": len(pairs),
            "per_intent_f1": {k: round(v, 3) for k, v in per_intent_f1(gold, pred).items()},
        }
    result["most_confused"] = [{"gold": g, "predicted": p, "count": n} for (g, p), n in confusions.most_common(5)]
    return result
