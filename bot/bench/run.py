"""`helpline bench`: measure understanding and language identification the same way every time.

Writes bench/report.json and bench/report.md and prints the tables.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bot.bench import langid as langid_bench
from bot.bench import nlu as nlu_bench
from bot.bench.data import heldout
from bot.content.catalog import default_catalog
from bot.language.model import trained_model

TARGET_INTENT_ACCURACY = 0.90


def _progress(label: str):
    def show(done: int, total: int) -> None:
        if done == total or done % 200 == 0:
            print(f"\r  {label}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
    return show


def markdown(report: dict[str, Any]) -> str:
    lines = ["# Benchmark report", "", f"Measured {report['measured_at']} on model `{report['model']}`.", ""]
    nlu = report["understanding"]
    lines += ["## Understanding (held-out tests/nlu, never trained on)", "",
              "| language | support | accuracy | macro-F1 | fallback rate | examples |", "|---|---|---|---|---|---|"]
    for lang, row in nlu["per_language"].items():
        lines.append(f"| {lang} | {report['support'].get(lang, '?')} | {row['accuracy']:.3f} | {row['macro_f1']:.3f} | {row['fallback_rate']:.3f} | {row['examples']} |")
    lines += ["", "Most confused intent pairs (gold -> predicted):", ""]
    lines += [f"- {c['gold']} -> {c['predicted']}: {c['count']}" for c in nlu["most_confused"]]
    lid = report["language_identification"]
    buckets = list(lid["counts"])
    lines += ["", "## Language identification (held-out messages)", "",
              "| method | " + " | ".join(f"{b} (n={lid['counts'][b]})" for b in buckets) + " |",
              "|---|" + "---|" * len(buckets)]
    for method, accuracies in lid["accuracy"].items():
        lines.append(f"| {method} | " + " | ".join(f"{accuracies.get(b, 0):.3f}" for b in buckets) + " |")
    lines += ["", "First-message accuracy per language: " + ", ".join(f"{k} {v:.3f}" for k, v in lid["first_message_by_language"].items()), ""]
    return "\n".join(lines)


def run(root: Path, model_path: Path) -> int:
    catalog = default_catalog()
    languages = list(catalog.languages)
    rows = heldout(root, languages)
    print(f"helpline bench: {len(rows)} held-out messages in {len(languages)} languages", file=sys.stderr)
    started = time.time()
    print("  training the language-identification model...", file=sys.stderr)
    model = trained_model(tuple(languages))
    understanding = nlu_bench.evaluate(model_path, rows, _progress("intent classification"))
    print("  language identification...", file=sys.stderr)
    identification = langid_bench.evaluate(rows, languages, model)
    report = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "model": model_path.name,
        "seconds": round(time.time() - started, 1),
        "support": {code: lang.support for code, lang in catalog.languages.items()},
        "understanding": understanding,
        "language_identification": identification,
    }
    out = root / "bench"
    out.mkdir(exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text = markdown(report)
    (out / "report.md").write_text(text, encoding="utf-8")
    print(text)
    below = [l for l, r in understanding["per_language"].items() if catalog.languages[l].support == "full" and r["accuracy"] < TARGET_INTENT_ACCURACY]
    if below:
        print(f"below the {TARGET_INTENT_ACCURACY} intent-accuracy target: {', '.join(below)}", file=sys.stderr)
    return 0
