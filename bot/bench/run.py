"""`helpline bench`: understanding, language identification, safety, speed, footprint and SMS cost,
measured the same way every time.

Writes bench/report.json, bench/report.md (every figure with its target and a
pass/fail mark, charts embedded) and bench/*.png. `--quick` runs a small
version of every section (a smoke test: figures are printed, not judged).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from bot.bench import charts
from bot.bench import langid as langid_bench
from bot.bench import nlu as nlu_bench
from bot.bench import smscost
from bot.bench.triage import BLIND_SET, SET_NAMES as TRIAGE_SETS
from bot.bench.data import Labelled, heldout
from bot.content.catalog import default_catalog
from bot.language.model import trained_model


@dataclass(frozen=True)
class Size:
    """How much of each section runs: the full benchmark, or the CI smoke test."""

    quick: bool
    per_language: Optional[int]  # held-out messages per language (None: all)
    levels: tuple[int, ...]
    conversations: dict[int, int]  # per concurrency level
    seconds_per_level: float
    notifications: int
    stock: bool
    training: bool


FULL = Size(False, None, (1, 10, 50), {1: 30, 10: 100, 50: 250}, 90.0, 20, True, True)
QUICK = Size(True, 12, (1, 10), {1: 4, 10: 20}, 20.0, 3, False, False)

TARGETS = {
    "intent_accuracy": 0.90, "langid_3plus": 0.97, "notify_p95_s": 2.0,
    "p50_ms": 60.0, "p95_ms": 150.0, "throughput_ratio": 1.0, "rasa_memory_mb": 1536.0, "first_answer_s": 60.0,
    "training_s": 600.0, "sms_median": 2, "sms_max": 3,
}


class Progress:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:6.0f}s] {message}", file=sys.stderr, flush=True)

    def counter(self, label: str):  # type: ignore[no-untyped-def]
        def show(done: int, total: int) -> None:
            if done == total or done % 250 == 0:
                self(f"  {label}: {done}/{total}")
        return show


def _sample(rows: list[Labelled], per_language: Optional[int]) -> list[Labelled]:
    if per_language is None:
        return rows
    taken: dict[str, int] = {}
    sample = []
    for row in rows[::7] + rows:  # a spread over intents first
        if taken.get(row.language, 0) < per_language and row not in sample:
            sample.append(row)
            taken[row.language] = taken.get(row.language, 0) + 1
    return sample


def _safety(root: Path, model_path: Path, progress: Progress, quick: bool = False) -> dict[str, Any]:
    from bot.bench.triage import evaluate_sets, labelled_sets

    sets = labelled_sets(root)
    if quick:  # `make test` runs the whole evaluation; the smoke run only checks that this section works
        sets = {name: conversations[::10] for name, conversations in sets.items()}
    progress(f"safety: {sum(len(c) for c in sets.values())} labelled conversations through the whole dialogue")
    result: dict[str, Any] = dict(evaluate_sets(model_path, sets))
    result["child_reports"] = [c.messages[-1] for c in sets["existing"] if c.organization == "UNICEF" and len(c.messages) == 1]
    return result


async def _live(model_path: Path, size: Size, rows: list[Labelled], reports: list[str], progress: Progress) -> dict[str, Any]:
    """Everything that needs running servers: start-up, notification timing, load, memory; and the stock bot."""
    from bot.bench.load import conversations, rest_sender, run_load, stock_rest_sender, twilio_sender
    from bot.bench.notify import notification_times, percentile
    from bot.bench.stack import BENCH_TELEGRAM_TOKEN, BENCH_TOKEN, BENCH_TWILIO_TOKEN, Stack
    from bot.bench.serving import served
    from bot.bench.telegram_standin import BotApiStandIn

    catalog = default_catalog()
    full_languages = [c for c, l in catalog.languages.items() if l.support == "full"]
    speed: dict[str, Any] = {"runs": {}}
    standin = BotApiStandIn(BENCH_TELEGRAM_TOKEN)
    async with served(standin.app) as api:
        stack = Stack(model_path, telegram_api_url=f"{api.base_url}/bot", dispatcher=True)
        progress("starting the helpline (action server, dispatcher, Rasa server) in a private home")
        stack.start()
        try:
            first_answer = await asyncio.to_thread(stack.wait_first_answer)
            progress(f"  first answer {first_answer} s after start")
            sample = reports[: size.notifications] if len(reports) >= size.notifications else reports
            progress(f"safety: {len(sample)} child reports on Telegram -> UNICEF responder notification")
            times = await notification_times(stack.base_url, standin, sample)
            got = [t for t in times if t is not None]
            notification = {"samples": len(times), "delivered": len(got), "p50_s": percentile(got, 50), "p95_s": percentile(got, 95),
                            "max_s": max(got) if got else None}
            for label, send in (("helpline REST", rest_sender(BENCH_TOKEN)),
                                ("helpline Twilio", twilio_sender(BENCH_TWILIO_TOKEN, stack.base_url))):
                speed["runs"][label] = []
                for level in size.levels:
                    scripts = conversations(rows, full_languages, size.conversations[level], seed=level)
                    await run_load(stack.base_url, send, scripts[: min(5, len(scripts))], min(level, 5), 30.0)  # warm-up
                    result = await run_load(stack.base_url, send, scripts, level, size.seconds_per_level, label, progress)
                    speed["runs"][label].append(result.summary())
                    progress(f"  {label} x{level}: {result.summary()}")
                    if label == "helpline Twilio":
                        speed.setdefault("twilio_answers", []).extend(result.answers)
            memory = stack.peak_memory()
        finally:
            stack.stop()
    footprint = {"first_answer_s": first_answer, "peak_memory_mb": memory}
    if size.stock:
        from bot.bench.stock import StockServer, stock_project

        progress("stock Rasa 3.6 bot (rasa init): preparing")
        folder, trained = await asyncio.to_thread(stock_project, Path(__file__).resolve().parents[2] / "var" / "bench-stock")
        with StockServer(folder) as stock:
            speed["runs"]["stock Rasa (rasa init) REST"] = []
            for level in size.levels:
                scripts = conversations(rows, full_languages, size.conversations[level], seed=level)
                await run_load(stock.base_url, stock_rest_sender(), scripts[:5], min(level, 5), 30.0)
                result = await run_load(stock.base_url, stock_rest_sender(), scripts, level, size.seconds_per_level, "stock", progress)
                speed["runs"]["stock Rasa (rasa init) REST"].append(result.summary())
                progress(f"  stock x{level}: {result.summary()}")
            footprint["stock_peak_memory_mb"] = stock.peak_memory()
        footprint["stock_training_s"] = trained
    return {"speed": speed, "footprint": footprint, "notification": notification}


def _training_seconds(root: Path, progress: Progress) -> Optional[float]:
    import subprocess

    from bot.settings import child_environment, load_settings

    progress("footprint: training the model from scratch (timed)")
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "rasa", "train", "--config", "config.yml", "--domain", "domain.yml",
                               "--data", "data", "--out", out, "--fixed-model-name", "timed", "--force"],
                              cwd=root, env=child_environment(load_settings()), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return round(time.perf_counter() - started, 1) if done.returncode == 0 else None


def run(root: Path, model_path: Path, quick: bool = False) -> int:
    size = QUICK if quick else FULL
    progress = Progress()
    catalog = default_catalog()
    languages = list(catalog.languages)
    all_rows = heldout(root, languages)
    rows = _sample(all_rows, size.per_language)
    progress(f"helpline bench{' --quick' if quick else ''}: {len(rows)} held-out messages in {len(languages)} languages")
    progress("language model for identification")
    model = trained_model(tuple(languages))
    progress("understanding: every held-out message through the trained model")
    understanding = nlu_bench.evaluate(model_path, rows, progress.counter("intent classification"))
    progress("language identification")
    identification = langid_bench.evaluate(rows, languages, model)
    safety = _safety(root, model_path, progress, quick)
    reports = safety.pop("child_reports")
    live = asyncio.run(_live(model_path, size, all_rows, reports, progress))
    training = _training_seconds(root, progress) if size.training else None
    twilio_answers = live["speed"].pop("twilio_answers", [])
    report: dict[str, Any] = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "quick": quick,
        "model": model_path.name,
        "support": {code: lang.support for code, lang in catalog.languages.items()},
        "understanding": understanding,
        "language_identification": identification,
        "safety": {**safety, "notification": live["notification"]},
        "speed": live["speed"],
        "footprint": {**live["footprint"], "training_s": training, "model_mb": round(model_path.stat().st_size / 2**20, 1),
                      "model_files": _model_files(model_path)},
        "sms_cost": {"per_language": smscost.per_language(), "per_conversation": smscost.per_conversation(twilio_answers)},
    }
    report["summary"] = summary(report)
    report["seconds"] = round(time.perf_counter() - progress.started, 1)
    out = root / "bench"
    out.mkdir(exist_ok=True)
    report["charts"] = (charts.understanding(report, out) + [charts.language_identification(report, out)]
                        + charts.load(report, out) + [charts.sms(report, out)])
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    text = markdown(report)
    (out / "report.md").write_text(text, encoding="utf-8")
    print(text)
    progress(f"done: bench/report.md, bench/report.json and {len(report['charts'])} charts")
    return 0


def _model_files(model_path: Path) -> int:
    try:
        with tarfile.open(model_path) as archive:
            return len(archive.getmembers())
    except (tarfile.TarError, OSError):
        return 0


def _row(figure: str, value: Any, target: str, ok: Optional[bool]) -> dict[str, Any]:
    return {"figure": figure, "value": value, "target": target, "pass": ok}


def triage_rows(safety: dict[str, Any]) -> list[dict[str, Any]]:
    """The triage figures of both labelled sets with the targets of issue 13 (bot/bench/triage.py)."""
    from bot.bench.triage import FIGURE_NAMES, TARGETS as TRIAGE_TARGETS, meets

    rows = []
    for name in TRIAGE_SETS:
        for figure in FIGURE_NAMES:
            row = (safety.get(name) or {}).get("figures", {}).get(figure)
            if row is None:
                continue
            target = TRIAGE_TARGETS.get(figure)
            ok = None if target is None or row["value"] is None else meets(target[0], row["value"], target[1])
            rows.append(_row(f"{figure.replace('_', ' ')} ({name} set, n={row['n']})", row["value"],
                             f"{target[0]} {target[1]}" if target else "(reported)", ok))
    return rows


def summary(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure with its target and whether it is met (None: not measured in this run)."""
    rows = []
    support = report["support"]
    for language, row in report["understanding"]["per_language"].items():
        if support.get(language) == "full":
            rows.append(_row(f"intent accuracy {language}", row["accuracy"], ">= 0.90", row["accuracy"] >= TARGETS["intent_accuracy"]))
    lid = report["language_identification"]["accuracy"]["first message"].get("3+ words")
    raw = report["language_identification"]["accuracy"]["raw langdetect"].get("3+ words")
    rows.append(_row("language id, first message, 3+ words", lid, ">= 0.97", lid is not None and lid >= TARGETS["langid_3plus"]))
    rows.append(_row("  ratio to raw langdetect (3+ words)", round(lid / raw, 2) if lid and raw else None, "(reported)", None))
    safety = report["safety"]
    rows += triage_rows(safety)
    notification = safety["notification"]
    p95 = notification.get("p95_s")
    rows.append(_row("notification p50 (s)", notification.get("p50_s"), "(reported)", None))
    rows.append(_row("notification p95 (s)", p95, "< 2", p95 is not None and p95 < TARGETS["notify_p95_s"]
                     and notification["delivered"] == notification["samples"]))
    runs = report["speed"]["runs"]
    rest = {r["concurrency"]: r for r in runs.get("helpline REST", [])}
    if 1 in rest:
        rows.append(_row("REST latency p50, 1 conversation (ms)", rest[1]["p50_ms"], "< 60", rest[1]["p50_ms"] < TARGETS["p50_ms"]))
        rows.append(_row("REST latency p95, 1 conversation (ms)", rest[1]["p95_ms"], "< 150", rest[1]["p95_ms"] < TARGETS["p95_ms"]))
    twilio = {r["concurrency"]: r for r in runs.get("helpline Twilio", [])}
    if 1 in twilio:
        rows.append(_row("Twilio latency p50 / p95, 1 conversation (ms)", f"{twilio[1]['p50_ms']} / {twilio[1]['p95_ms']}", "(reported)", None))
    stock = {r["concurrency"]: r for r in runs.get("stock Rasa (rasa init) REST", [])}
    for level in (10, 50):
        if level in rest and level in stock and stock[level]["messages_per_second"]:
            ratio = round(rest[level]["messages_per_second"] / stock[level]["messages_per_second"], 2)
            rows.append(_row(f"throughput vs stock Rasa, {level} conversations (ratio)", ratio, ">= 1.0", ratio >= TARGETS["throughput_ratio"]))
        elif level in rest:
            rows.append(_row(f"throughput, {level} conversations (msg/s)", rest[level]["messages_per_second"], ">= stock (not run)", None))
    footprint = report["footprint"]
    rasa_memory = (footprint.get("peak_memory_mb") or {}).get("Rasa server")
    rows.append(_row("Rasa server peak memory (MB)", rasa_memory, "< 1536", rasa_memory is not None and rasa_memory < TARGETS["rasa_memory_mb"]))
    rows.append(_row("action server peak memory (MB)", (footprint.get("peak_memory_mb") or {}).get("action server"), "(reported)", None))
    rows.append(_row("start to first answer (s)", footprint["first_answer_s"], "< 60", footprint["first_answer_s"] < TARGETS["first_answer_s"]))
    training = footprint.get("training_s")
    rows.append(_row("training (s)", training, "< 600", None if training is None else training < TARGETS["training_s"]))
    rows.append(_row("model size (MB)", footprint["model_mb"], "(reported)", None))
    sms = report["sms_cost"]["per_language"]
    worst_median = max(v["median"] for v in sms.values())
    worst_max = max(v["max"] for v in sms.values())
    rows.append(_row("SMS segments per short answer, worst median", worst_median, "<= 2", worst_median <= TARGETS["sms_median"]))
    rows.append(_row("SMS segments per short answer, worst max", worst_max, "<= 3", worst_max <= TARGETS["sms_max"]))
    conversation = report["sms_cost"]["per_conversation"]
    if conversation.get("conversations"):
        rows.append(_row("SMS segments per 5-message conversation (median)", conversation["median"], "(reported)", None))
    return rows


def _mark(ok: Optional[bool]) -> str:
    return "" if ok is None else ("pass" if ok else "**FAIL**")


def markdown(report: dict[str, Any]) -> str:
    lines = ["# Benchmark report", "",
             f"Measured {report['measured_at']} on model `{report['model']}` in {report['seconds']} s"
             + (" (quick smoke run: small samples, figures not comparable)" if report["quick"] else "") + ".", "",
             "## Summary", "", "| figure | value | target | |", "|---|---|---|---|"]
    # a quick run's samples are too small to judge a target: its marks are left out
    lines += [f"| {r['figure']} | {r['value']} | {r['target']} | {'' if report['quick'] else _mark(r['pass'])} |" for r in report["summary"]]
    nlu = report["understanding"]
    lines += ["", "## Understanding (held-out tests/nlu, never trained on)", "", "![understanding](understanding.png)", "",
              "| language | support | accuracy | macro-F1 | fallback rate | examples |", "|---|---|---|---|---|---|"]
    for lang, row in nlu["per_language"].items():
        lines.append(f"| {lang} | {report['support'].get(lang, '?')} | {row['accuracy']:.3f} | {row['macro_f1']:.3f} | {row['fallback_rate']:.3f} | {row['examples']} |")
    lines += ["", "Most confused intent pairs (gold -> predicted):", ""]
    lines += [f"- {c['gold']} -> {c['predicted']}: {c['count']}" for c in nlu["most_confused"]]
    lines += ["", "Per language, F1 per intent:", ""]
    lines += [f"![{lang}](intents_{lang}.png)" for lang in nlu["per_language"]]
    lid = report["language_identification"]
    buckets = list(lid["counts"])
    lines += ["", "## Language identification (held-out messages)", "", "![language identification](language_identification.png)", "",
              "| method | " + " | ".join(f"{b} (n={lid['counts'][b]})" for b in buckets) + " |", "|---|" + "---|" * len(buckets)]
    for method, accuracies in lid["accuracy"].items():
        lines.append(f"| {method} | " + " | ".join(f"{accuracies.get(b, 0):.3f}" for b in buckets) + " |")
    lines += ["", "First-message accuracy per language: " + ", ".join(f"{k} {v:.3f}" for k, v in lid["first_message_by_language"].items())]
    safety = report["safety"]
    from bot.bench.triage import report_lines

    lines += ["", "## Safety", "", "Labelled conversations (tests/triage) through the whole dialogue (bot/bench/triage.py):", "", "```"]
    for name in TRIAGE_SETS:
        if name in safety:
            lines += report_lines(name, safety[name])
    lines += ["```", "", "Notification time, child report on Telegram -> UNICEF responder (local stand-in Bot API): "
              + ", ".join(f"{k} {v}" for k, v in safety["notification"].items()), ""]
    lines += [f"- miss ({name}): {json.dumps(m, ensure_ascii=False)}" for name in TRIAGE_SETS if name != BLIND_SET for m in (safety.get(name) or {}).get("misses", [])]
    lines += ["", "## Speed and load", "", "![speed](speed.png)", "",
              "| target | concurrent | conversations | messages | errors | p50 ms | p95 ms | p99 ms | msg/s |", "|---|---|---|---|---|---|---|---|---|"]
    for label, runs in report["speed"]["runs"].items():
        for r in runs:
            lines.append(f"| {label} | {r['concurrency']} | {r['conversations']} | {r['messages']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['messages_per_second']} |")
    footprint = report["footprint"]
    lines += ["", "## Footprint", "", "| figure | value |", "|---|---|"]
    lines += [f"| peak memory, {name} (MB) | {value} |" for name, value in (footprint.get("peak_memory_mb") or {}).items()]
    lines += [f"| {k.replace('_', ' ')} | {v} |" for k, v in footprint.items() if k != "peak_memory_mb"]
    sms = report["sms_cost"]
    lines += ["", "## SMS cost", "", "![sms](sms_segments.png)", "", "| language | median | max | longest answer |", "|---|---|---|---|"]
    lines += [f"| {lang} | {v['median']} | {v['max']} | {v['worst']} |" for lang, v in sms["per_language"].items()]
    lines += ["", "Per conversation (the Twilio load test's five-message conversations, segments the replies cost): "
              + ", ".join(f"{k} {v}" for k, v in sms["per_conversation"].items()), ""]
    return "\n".join(lines)
