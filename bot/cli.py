"""`helpline`: run, train, test and check the helpline.

    helpline run       train if needed, then serve actions + Rasa in the foreground
    helpline train     train only if config, domain or data changed (--force to retrain)
    helpline test      rasa data validate, pytest, Rasa test stories
    helpline bench     measure intent accuracy and language identification (bench/report.md)
    helpline doctor    check settings, secrets, databases, model and channels
    helpline purge     delete message texts past the retention period
    helpline keys rotate  re-encrypt stored contacts with a new encryption key
    helpline stats     anonymous counts of cases and erasures
    helpline migrate   bring the database to the newest schema (Alembic)
    helpline triage-eval  self-harm / urgent / UNICEF / IOM recall, refusals, false escalations (fails below targets)
    helpline cases     list / show / claim / reply / close cases (responders)
    helpline audit REF the audit trail of a case
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bot import doctor as doctor_module
from bot.cases.cli import add_parsers as add_case_parsers
from bot.settings import SettingsError, child_environment, ensure_local_secrets, load_settings, require_valid
from bot.supervisor import Child, run_together
from bot.training import train as train_model


def _prepare(generate_secrets: bool) -> "Settings":  # type: ignore[name-defined]  # noqa: F821
    settings = load_settings()
    if generate_secrets and not settings.production:
        ensure_local_secrets(settings.root)
        settings = load_settings()
    return require_valid(settings)


def cmd_train(args: argparse.Namespace) -> int:
    settings = load_settings()
    train_model(settings.root, env=child_environment(settings), force=args.force)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    servers = max(1, int(getattr(args, "servers", 1) or 1))
    try:
        settings = _prepare(generate_secrets=True)
        if servers > 1:
            from bot.scaled import check

            check(settings, servers)
    except (SettingsError, RuntimeError) as exc:
        print(exc, file=sys.stderr)
        return 2
    env = child_environment(settings)
    model = train_model(settings.root, env=env)
    (settings.root / "var").mkdir(exist_ok=True)
    cmd_migrate(argparse.Namespace())  # once, before any server opens the database
    base = f"http://{'localhost' if settings.host in ('127.0.0.1', '0.0.0.0') else settings.host}:{settings.port}"
    if servers > 1:
        from bot.scaled import children, server_ports

        started = children(settings, model, servers, settings.root / "var")
        what = (f"  nginx on {base} -> {servers} Rasa servers on ports {', '.join(map(str, server_ports(settings, servers)))}\n"
                f"  one dispatcher per server (safe: leased outbox rows, one owner per timer)")
    else:
        started = [
            Child("action server", [sys.executable, "-m", "actions.server"]),
            Child("notification dispatcher", [sys.executable, "-m", "bot.notify.dispatcher"]),
            Child("Rasa server", [sys.executable, "-m", "rasa_ext.serve", str(model)]),
        ]
        what = "  notification dispatcher: delivers case notifications to responders (responders.yml)"
    print(
        "helpline: starting (the Rasa server takes about a minute to load the model)\n"
        f"  Rasa server + channels: {base}  (REST: POST {base}/webhooks/rest/webhook?token=...)\n"
        f"  action + NLG server:    {settings.actions_url}  (local only)\n"
        f"{what}\n"
        f"  API token: HELPLINE_API_TOKEN in {'the environment' if settings.production else 'var/secrets.env or .env'}\n"
        "  Ctrl-C stops them all.",
        flush=True,
    )
    return run_together(started, env=env, cwd=str(settings.root))


def cmd_test(_: argparse.Namespace) -> int:
    settings = load_settings()
    env = child_environment(settings)
    root = settings.root
    steps: list[tuple[str, list[str]]] = [
        ("validate training data", [sys.executable, "-m", "rasa", "data", "validate", "--config", "config.yml", "--domain", "domain.yml", "--data", "data"]),
        ("pytest", [sys.executable, "-m", "pytest", "-q"]),
    ]
    for label, command in steps:
        print(f"== {label}", flush=True)
        if subprocess.run(command, cwd=root, env=env).returncode != 0:
            print(f"helpline test: '{label}' failed", file=sys.stderr)
            return 1
    print("== test stories", flush=True)
    model = train_model(root, env=env)
    stories = [str(p.relative_to(root)) for p in sorted((root / "tests").rglob("test_*.yml"))]
    if stories:
        result = subprocess.run(
            [sys.executable, "-m", "rasa", "test", "core", "--model", str(model), "--stories", "tests/stories",
             "--fail-on-prediction-errors", "--out", "results", "--endpoints", "endpoints.yml"],
            cwd=root, env=env,
        )
        if result.returncode != 0:
            print("helpline test: test stories failed (see results/failed_test_stories.yml)", file=sys.stderr)
            return 1
    print("== triage evaluation (real model and actions, labelled conversations, targets of issue 13)", flush=True)
    if subprocess.run([sys.executable, "-m", "bot.cli", "triage-eval", "--model", str(model)], cwd=root, env=env).returncode != 0:
        print("helpline test: the triage evaluation is below its targets", file=sys.stderr)
        return 1
    print("== end-to-end privacy check (real model, SMS and Telegram)", flush=True)
    e2e_env = {**env, "HELPLINE_E2E_MODEL": str(model)}
    if subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/e2e"], cwd=root, env=e2e_env).returncode != 0:
        print("helpline test: the end-to-end privacy check failed", file=sys.stderr)
        return 1
    print("helpline test: all passed", flush=True)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench.run import run as run_bench

    settings = load_settings()
    model = train_model(settings.root, env=child_environment(settings))
    return run_bench(settings.root, model, quick=args.quick)


def cmd_scale_test(args: argparse.Namespace) -> int:
    from bot.bench.scale import run as run_scale

    settings = load_settings()
    model = train_model(settings.root, env=child_environment(settings))
    return run_scale(settings.root, model, people=args.people)


def cmd_triage_eval(args: argparse.Namespace) -> int:
    """Labelled conversations through the whole dialogue; exit 1 below the targets (make test runs it)."""
    import json

    from bot.bench.triage import BLIND_SET, evaluate_sets, judge, labelled_sets, load_floors, report_lines, unmet_targets

    settings = load_settings()
    model = Path(args.model) if getattr(args, "model", None) else train_model(settings.root, env=child_environment(settings))
    failures: list[str] = []
    floors = load_floors(settings.root)
    results = evaluate_sets(model, labelled_sets(settings.root))
    for name, result in results.items():
        print("\n".join(report_lines(name, result)), flush=True)
        if name == BLIND_SET and not getattr(args, "show_heldout_misses", False):
            print(f"  ({len(result['misses'])} misses not shown: the held-out set stays blind; --show-heldout-misses)")
        else:
            for miss in result["misses"]:
                print("  miss:", json.dumps(miss, ensure_ascii=False), flush=True)
        failures += [f"{name}: {f}" for f in judge(result["figures"], floors.get(name))]
        for unmet in unmet_targets(result["figures"]):
            print(f"  NOT YET AT TARGET ({name} set): {unmet}", flush=True)
    if getattr(args, "json", None):
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    for failure in failures:
        print(f"helpline triage-eval: below target: {failure}", file=sys.stderr)
    return 1 if failures else 0


def cmd_telegram_set_webhook(_: argparse.Namespace) -> int:
    import asyncio

    from telegram import Bot

    settings = load_settings()
    if not (settings.telegram_bot_token and settings.telegram_webhook_secret and settings.public_url):
        print("Set TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET and HELPLINE_PUBLIC_URL first.", file=sys.stderr)
        return 2
    url = f"{settings.public_url}/webhooks/telegram/webhook"

    async def register() -> None:
        async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_url) as bot:
            await bot.set_webhook(url=url, secret_token=settings.telegram_webhook_secret,
                                  allowed_updates=["message", "callback_query"], drop_pending_updates=False)
            info = await bot.get_webhook_info()
            print(f"Telegram webhook: {info.url} (pending updates: {info.pending_update_count})")
            # the name shown on a watched phone: neutral (HELPLINE_DISPLAY_NAME)
            await bot.set_my_name(name=settings.display_name)
            print(f"Telegram display name: {settings.display_name}")

    asyncio.run(register())
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    import datetime as dt

    from bot.db import engine_for, tracker_engine
    from bot.privacy.retention import purge

    settings = load_settings()
    days = args.days if args.days is not None else settings.retention_days
    report = purge(engine_for(settings.database_url), tracker_engine(settings.tracker_store_url), dt.timedelta(days=days))
    print(f"helpline purge (retention {days} days):")
    for line in report.lines():
        print(f"  {line}")
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """New encryption key: re-encrypt every stored contact and kept message with it."""
    from cryptography.fernet import Fernet

    from bot.db import engine_for
    from bot.privacy.keys import rotate
    from bot.settings import secret_source, write_local_secret

    settings = require_valid(load_settings())
    new_key = args.new_key or Fernet.generate_key().decode()
    try:
        Fernet(new_key.encode())
    except (ValueError, TypeError):
        print("--new-key is not a Fernet key (make one with Fernet.generate_key()).", file=sys.stderr)
        return 2
    old_keys = (settings.encryption_key, *settings.encryption_old_keys)
    local = secret_source("HELPLINE_ENCRYPTION_KEY", settings.root) == "var/secrets.env"
    if local:  # both keys configured before any value changes: a crash half-way loses nothing
        write_local_secret(settings.root, "HELPLINE_ENCRYPTION_OLD_KEYS", ",".join(old_keys))
        write_local_secret(settings.root, "HELPLINE_ENCRYPTION_KEY", new_key)
    done = rotate(engine_for(settings.database_url), new_key, old_keys)
    print(f"helpline keys rotate: {done.contacts} contacts and {done.kept_messages} kept messages re-encrypted.")
    if local:
        write_local_secret(settings.root, "HELPLINE_ENCRYPTION_OLD_KEYS", None)
        print("The new key is in var/secrets.env. Restart the helpline (`make run`) so every process uses it.")
    else:
        print("Set HELPLINE_ENCRYPTION_KEY to the new key below wherever the helpline's environment is kept, then restart:")
        if not args.new_key:
            print(new_key)
    return 0


def cmd_stats(_: argparse.Namespace) -> int:
    """Anonymous counts only: what the helpline did, without anything of anyone."""
    from bot.db import engine_for
    from bot.privacy.stats import counts

    for line in counts(engine_for(load_settings().database_url)).lines():
        print(line)
    return 0


def cmd_migrate(_: argparse.Namespace) -> int:
    """Bring our database to the newest schema (make run does this at every start)."""
    from bot.db import make_engine
    from bot.migrate import current_revision, ensure_schema

    engine = make_engine(load_settings().database_url)
    before = current_revision(engine)
    ensure_schema(engine)
    print(f"helpline migrate: schema {before or 'none'} -> {current_revision(engine)}")
    return 0


def cmd_doctor(_: argparse.Namespace) -> int:
    return doctor_module.run(load_settings())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helpline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="train if needed and serve")
    run_parser.add_argument("--servers", type=int, default=1, help="several Rasa servers behind nginx (needs PostgreSQL and Redis)")
    run_parser.set_defaults(func=cmd_run)
    train = sub.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even if the model is up to date")
    train.set_defaults(func=cmd_train)
    sub.add_parser("test", help="validate data, run pytest and the test stories").set_defaults(func=cmd_test)
    bench = sub.add_parser("bench", help="measure understanding, safety, speed, memory and SMS cost (bench/report.md)")
    bench.add_argument("--quick", action="store_true", help="a small run of every section (smoke test, under 5 minutes)")
    bench.set_defaults(func=cmd_bench)
    scale = sub.add_parser("scale-test", help="two Rasa servers behind nginx on PostgreSQL and Redis: order, exactly-once, throughput, a killed server")
    scale.add_argument("--people", type=int, default=200)
    scale.set_defaults(func=cmd_scale_test)
    triage_eval = sub.add_parser("triage-eval", help="self-harm, urgent, UNICEF and IOM recall, refusals, false escalations on labelled conversations")
    triage_eval.add_argument("--model", help="a trained model (default: train if needed)")
    triage_eval.add_argument("--json", help="also write the full results to this file")
    triage_eval.add_argument("--show-heldout-misses", action="store_true",
                             help="print the blind held-out set's misses too (then it is no longer blind)")
    triage_eval.set_defaults(func=cmd_triage_eval)
    sub.add_parser("doctor", help="check settings, secrets, databases, model, channels").set_defaults(func=cmd_doctor)
    purge_parser = sub.add_parser("purge", help="delete message texts past the retention period (idempotent)")
    purge_parser.add_argument("--days", type=int, help="retention in days (default HELPLINE_RETENTION_DAYS, 30)")
    purge_parser.set_defaults(func=cmd_purge)
    keys = sub.add_parser("keys", help="encryption key management").add_subparsers(dest="keys_command", required=True)
    rotate_parser = keys.add_parser("rotate", help="re-encrypt stored contacts with a new key (stop the helpline first)")
    rotate_parser.add_argument("--new-key", help="the new Fernet key (default: generate one)")
    rotate_parser.set_defaults(func=cmd_keys_rotate)
    sub.add_parser("stats", help="anonymous counts of cases and erasures").set_defaults(func=cmd_stats)
    sub.add_parser("migrate", help="bring the database to the newest schema (Alembic migrations)").set_defaults(func=cmd_migrate)
    telegram = sub.add_parser("telegram", help="Telegram helpers")
    telegram_sub = telegram.add_subparsers(dest="telegram_command", required=True)
    telegram_sub.add_parser("set-webhook", help="register the webhook with its secret token").set_defaults(func=cmd_telegram_set_webhook)
    add_case_parsers(sub)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except subprocess.CalledProcessError as exc:
        print(f"helpline: a step failed ({exc.cmd[2:4] if len(exc.cmd) > 3 else exc.cmd}); see the output above", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
