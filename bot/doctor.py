"""`helpline doctor`: every problem on one line, with its fix."""

from __future__ import annotations

import os
import stat
from typing import Callable

from bot.settings import Settings
from bot.training import current_model


def _check_database(url: str, label: str, variable: str) -> str | None:
    from sqlalchemy import create_engine, text

    try:
        kwargs = {"connect_args": {"connect_timeout": 3}} if url.startswith("postgres") else {}
        engine = create_engine(url, future=True, **kwargs)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver error means unreachable
        reason = str(exc).splitlines()[0][:160]
        return f"{label} unreachable ({reason}): check {variable} and that the server is running."
    return None


def _check_redis(url: str) -> str | None:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis lock store unreachable ({str(exc)[:120]}): check HELPLINE_LOCK_STORE_URL and that Redis runs."
    return None


def _responder_problems(settings: Settings) -> list[str]:
    from bot.cases.responders import ResponderError, Responders
    from bot.cases.service import responders_path

    path = responders_path()
    if not path.is_file():
        return [f"No responders file ({path}): cases are stored but nobody is notified. Copy responders.example.yml to responders.yml."]
    try:
        responders = Responders.load(path)
    except (ResponderError, ValueError) as exc:
        return [f"{path} is invalid ({exc}): fix it (see responders.example.yml)."]
    found = []
    for org in ("IOM", "UNICEF"):
        if not any(r.organization == org for r in responders.all):
            found.append(f"No {org} responder in {path}: {org} cases would reach nobody. Add one.")
    if any(r.telegram_chat_id for r in responders.all) and not settings.telegram_bot_token:
        found.append("Responders have Telegram chats but TELEGRAM_BOT_TOKEN is not set: notifications cannot be sent. Set it.")
    if any(r.phone for r in responders.all) and not settings.twilio_enabled:
        found.append("Responders have phone numbers but Twilio is not configured: SMS notifications cannot be sent. Set TWILIO_*.")
    return found


def _telegram_webhook_problems(settings: Settings) -> list[str]:
    """Ask the Bot API which webhook it calls, and whether it reported errors."""
    import asyncio

    expected = f"{settings.public_url}/webhooks/telegram/webhook"

    async def info():  # type: ignore[no-untyped-def]
        from telegram import Bot

        async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_url) as bot:
            return await bot.get_webhook_info()

    try:
        webhook = asyncio.run(asyncio.wait_for(info(), timeout=10))
    except Exception as exc:
        return [f"Telegram Bot API unreachable or token refused ({type(exc).__name__}): check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL."]
    found = []
    if webhook.url != expected:
        found.append(f"Telegram webhook is '{webhook.url or 'not set'}', not {expected}: run `helpline telegram set-webhook`.")
    if webhook.last_error_message:
        found.append(f"Telegram reports a webhook error ('{webhook.last_error_message}'): check HELPLINE_PUBLIC_URL and the proxy.")
    return found


def find_problems(settings: Settings) -> list[str]:
    """All problems found, each one line naming the setting and the fix."""
    problems = list(settings.problems())
    secrets_file = settings.root / "var" / "secrets.env"
    if secrets_file.exists() and stat.S_IMODE(os.stat(secrets_file).st_mode) & 0o077:
        problems.append(f"{secrets_file} is readable by others: run `chmod 600 {secrets_file}`.")
    checks: list[Callable[[], str | None]] = [
        lambda: _check_database(settings.database_url, "Case database", "HELPLINE_DATABASE_URL"),
        lambda: _check_database(settings.tracker_store_url, "Tracker store", "HELPLINE_TRACKER_STORE_URL"),
    ]
    if settings.lock_store_url:
        checks.append(lambda: _check_redis(settings.lock_store_url))
    for check in checks:
        found = check()
        if found:
            problems.append(found)
    if current_model(settings.root) is None:
        problems.append("No model for the current data: run `helpline train` (or `make run`, which trains).")
    problems += _responder_problems(settings)
    if settings.telegram_enabled and settings.public_url:
        problems += _telegram_webhook_problems(settings)
    try:
        from bot.db import engine_for
        from bot.inbound import InboundLog

        failed = InboundLog(engine_for(settings.database_url)).failed_count()
        if failed:
            problems.append(f"{failed} message(s) the bot failed on are kept encrypted in inbound_messages: check the action server logs.")
    except Exception:
        pass  # the database problem is reported above
    if settings.telegram_enabled and not settings.public_url:
        problems.append("TELEGRAM_BOT_TOKEN is set but HELPLINE_PUBLIC_URL is not: set the public https URL for webhooks.")
    if settings.twilio_enabled and not settings.public_url:
        problems.append("TWILIO_AUTH_TOKEN is set but HELPLINE_PUBLIC_URL is not: Twilio signatures are checked against it.")
    if settings.twilio_enabled and not settings.twilio_from_number:
        problems.append("TWILIO_FROM_NUMBER is missing: set the Twilio number replies are sent from.")
    return problems


def run(settings: Settings) -> int:
    problems = find_problems(settings)
    print(f"helpline doctor ({settings.env} mode, root {settings.root})")
    channels = ["rest"] + (["telegram"] if settings.telegram_enabled else []) + (["twilio_sms"] if settings.twilio_enabled else [])
    print(f"  channels configured: {', '.join(channels)}")
    if not problems:
        print("  no problems found")
        return 0
    for problem in problems:
        print(f"  problem: {problem}")
    return 1
