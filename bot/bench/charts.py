"""PNG charts of the benchmark report (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path.name


def understanding(report: dict[str, Any], out: Path) -> list[str]:
    names = []
    per_language = report["understanding"]["per_language"]
    languages = list(per_language)
    fig, ax = plt.subplots(figsize=(9, 3.5))
    x = range(len(languages))
    ax.bar([i - 0.2 for i in x], [per_language[l]["accuracy"] for l in languages], width=0.4, label="accuracy")
    ax.bar([i + 0.2 for i in x], [per_language[l]["macro_f1"] for l in languages], width=0.4, label="macro-F1")
    ax.axhline(0.90, color="red", linestyle="--", linewidth=1, label="target 0.90")
    ax.set_xticks(list(x), languages)
    ax.set_ylim(0.5, 1.0)
    ax.set_title("Intent understanding on held-out messages")
    ax.legend(loc="lower right", fontsize=8)
    names.append(_save(fig, out / "understanding.png"))
    for language, row in per_language.items():
        scores = row.get("per_intent_f1") or {}
        if not scores:
            continue
        fig, ax = plt.subplots(figsize=(6, 0.22 * len(scores) + 1))
        intents = sorted(scores, key=lambda k: scores[k])
        ax.barh(intents, [scores[i] for i in intents], color="#4a7ab5")
        ax.axvline(0.90, color="red", linestyle="--", linewidth=1)
        ax.set_xlim(0, 1)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(f"{language}: F1 per intent (accuracy {row['accuracy']:.3f})", fontsize=9)
        names.append(_save(fig, out / f"intents_{language}.png"))
    return names


def language_identification(report: dict[str, Any], out: Path) -> str:
    lid = report["language_identification"]
    buckets = [b for b in ("1-2 words", "3-5 words", "6+ words", "3+ words") if b in lid["counts"]]
    methods = list(lid["accuracy"])
    fig, ax = plt.subplots(figsize=(7, 3.2))
    width = 0.8 / len(methods)
    for index, method in enumerate(methods):
        ax.bar([i + index * width for i in range(len(buckets))], [lid["accuracy"][method].get(b, 0) for b in buckets], width=width, label=method)
    ax.axhline(0.97, color="red", linestyle="--", linewidth=1, label="target 0.97 (3+ words)")
    ax.set_xticks([i + width for i in range(len(buckets))], buckets)
    ax.set_ylim(0, 1.05)
    ax.set_title("Language identification by message length")
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, out / "language_identification.png")


def load(report: dict[str, Any], out: Path) -> list[str]:
    series = report.get("speed", {}).get("runs", {})
    if not series:
        return []
    names = []
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    for label, runs in series.items():
        levels = [r["concurrency"] for r in runs]
        left.plot(levels, [r["p50_ms"] for r in runs], marker="o", label=f"{label} p50")
        left.plot(levels, [r["p95_ms"] for r in runs], marker="x", linestyle=":", label=f"{label} p95")
        right.plot(levels, [r["messages_per_second"] for r in runs], marker="o", label=label)
    left.set_xlabel("concurrent conversations")
    left.set_ylabel("latency (ms)")
    left.set_yscale("log")
    left.legend(fontsize=6)
    left.set_title("Latency per message")
    right.set_xlabel("concurrent conversations")
    right.set_ylabel("messages / second")
    right.legend(fontsize=7)
    right.set_title("Throughput")
    names.append(_save(fig, out / "speed.png"))
    return names


def sms(report: dict[str, Any], out: Path) -> str:
    rows = report["sms_cost"]["per_language"]
    languages = list(rows)
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.bar([i - 0.2 for i in range(len(languages))], [rows[l]["median"] for l in languages], width=0.4, label="median")
    ax.bar([i + 0.2 for i in range(len(languages))], [rows[l]["max"] for l in languages], width=0.4, label="max")
    ax.axhline(2, color="orange", linestyle="--", linewidth=1, label="median target 2")
    ax.axhline(3, color="red", linestyle="--", linewidth=1, label="max target 3")
    ax.set_xticks(range(len(languages)), languages)
    ax.set_ylabel("SMS segments")
    ax.set_title("Segments per short answer")
    ax.legend(fontsize=7)
    return _save(fig, out / "sms_segments.png")
