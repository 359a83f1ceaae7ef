"""Deliver the outbox to responders, retrying with backoff until delivered; re-notify late cases.

Runs as its own process in `helpline run` (`python -m bot.notify.dispatcher`).
Rows are leased, so several dispatchers (several servers) never send the same
row at the same time, and a row leased by a crashed dispatcher is delivered
by another after its lease. A row is marked sent right after the platform
accepted it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
import socket
from typing import TYPE_CHECKING, Callable, Optional

from bot.cases.models import utcnow
from bot.cases.store import CaseStore
from bot.notify.senders import DeliveryError, Sender

if TYPE_CHECKING:
    from bot.privacy.contacts import ContactStore
    from bot.cases.spool import EscalationSpool
    from bot.privacy.erasure import Eraser

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0


def backoff(attempts: int) -> float:
    """Seconds before the next try: 2, 4, 8 ... capped at five minutes."""
    return min(MAX_BACKOFF_SECONDS, 2.0 ** max(1, attempts))


class Dispatcher:
    def __init__(self, store: CaseStore, sender: Sender, renotify: dict[str, dt.timedelta],
                 clock: Callable[[], dt.datetime] = utcnow, worker: Optional[str] = None,
                 contacts: Optional["ContactStore"] = None, eraser: Optional["Eraser"] = None,
                 sms_window: dt.timedelta = dt.timedelta(hours=24), spool: Optional["EscalationSpool"] = None) -> None:
        self.store = store
        self.sender = sender
        self.renotify = renotify
        self.clock = clock
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.contacts = contacts  # to reach people on Telegram and SMS with their responder's replies
        self.eraser = eraser  # finishes erasures a channel could not, and those waiting for a case to close
        # over SMS the helpline never writes first: only within this time after the person's last message
        self.sms_window = sms_window
        self.spool = spool  # escalations an action kept on disk while the database was down

    async def run_once(self) -> int:
        """One pass: widen overdue cases, then try every due row once. Returns rows delivered."""
        now = self.clock()
        if self.spool is not None and self.spool.import_into(self.store):
            logger.warning("Escalations kept on disk during a database outage are now cases")
        for reference in self.store.renotify_overdue(self.renotify, now=now):
            logger.warning("Case %s unclaimed past its deadline: re-notified to all responders of its organisation", reference)
        delivered = 0
        for row in self.store.lease_due(self.worker, now=now):
            try:
                await self.sender.send(row.channel, row.address, row.text)
            except DeliveryError as exc:
                wait = exc.retry_after if exc.retry_after is not None else backoff(row.attempts)
                self.store.mark_failed(row.id, str(exc), now + dt.timedelta(seconds=wait))
                logger.warning("Notification %s to %s failed (attempt %s): %s; retry in %.0fs", row.id, row.responder_id, row.attempts, exc, wait)
                continue
            self.store.mark_sent(row.id)
            delivered += 1
            logger.info("Notification %s (%s) delivered to %s over %s", row.id, row.kind, row.responder_id, row.channel)
        delivered += await self._deliver_to_people(now)
        if self.eraser is not None:
            await asyncio.to_thread(self.eraser.sweep, now)
        return delivered

    async def _deliver_to_people(self, now: dt.datetime) -> int:
        """Responders' replies and closing notices, on the person's own channel (REST ones wait for their next request)."""
        if self.contacts is None:
            return 0
        from bot.handoff import Handoff

        handoff = Handoff(self.store)
        delivered = 0
        for row in handoff.claim_for_delivery(("telegram", "twilio_sms"), now):
            contact = self.contacts.address(row.conversation_id)
            try:
                if contact is None:
                    raise DeliveryError("no contact for this conversation (erased?)")
                channel, address = contact
                if channel == "twilio_sms" and not self._may_text(row.conversation_id, now):
                    # held, not failed: released when the person writes again (the SMS channel sets it due)
                    handoff.delivered(row.id, False, now + self.sms_window)
                    logger.info("Message %s held: the person has not written by SMS within %s", row.id, self.sms_window)
                    continue
                await self.sender.send("sms" if channel == "twilio_sms" else "telegram", address, row.text)
            except DeliveryError as exc:
                handoff.delivered(row.id, False, now + dt.timedelta(seconds=backoff(row.attempts)))
                logger.warning("Message %s to a person failed (attempt %s): %s", row.id, row.attempts, exc)
                continue
            handoff.delivered(row.id, True, now)
            delivered += 1
        return delivered

    def _may_text(self, conversation_id: str, now: dt.datetime) -> bool:
        last = self.contacts.last_seen(conversation_id) if self.contacts else None
        return last is not None and now - last <= self.sms_window

    async def run_forever(self, interval: float = 1.0, stop: Optional[asyncio.Event] = None,
                          daily: Optional[Callable[[], None]] = None) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.run_once()
                if daily is not None:
                    await asyncio.to_thread(daily)
            except Exception:  # the database may be briefly unavailable: keep going
                logger.exception("Dispatcher pass failed; trying again")
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval)
            except asyncio.TimeoutError:
                pass


def build_from_settings() -> Dispatcher:
    from bot.cases.service import default_spool, default_store
    from bot.notify.senders import ChannelSender, SmsSender, TelegramSender
    from bot.risk.triage import default_policy
    from bot.settings import load_settings

    settings = load_settings()
    telegram = TelegramSender(settings.telegram_bot_token, settings.telegram_api_url) if settings.telegram_bot_token else None
    sms = SmsSender(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from_number) if settings.twilio_enabled else None
    from bot.db import engine_for
    from bot.privacy.contacts import ContactStore

    from bot.db import tracker_engine
    from bot.cases.spool import EscalationSpool
    from bot.privacy.erasure import Eraser

    store = default_store()
    contacts = (ContactStore(engine_for(settings.database_url), settings.encryption_key, settings.encryption_old_keys)
                if settings.encryption_key else None)
    return Dispatcher(store, ChannelSender(telegram, sms), default_policy().renotify, contacts=contacts,
                      eraser=Eraser(store, tracker_engine(settings.tracker_store_url)),
                      sms_window=dt.timedelta(hours=settings.sms_window_hours), spool=default_spool())


def daily_purge() -> Callable[[], None]:
    """The retention purge, run by one dispatcher once a day (the `jobs` table picks the owner)."""
    from bot.db import engine_for, tracker_engine
    from bot.privacy.retention import purge, take_turn
    from bot.settings import load_settings

    settings = load_settings()
    engine = engine_for(settings.database_url)
    tracker = tracker_engine(settings.tracker_store_url)

    def run() -> None:
        if take_turn(engine, "purge", dt.timedelta(days=1)):
            report = purge(engine, tracker, dt.timedelta(days=settings.retention_days))
            logger.info("Daily purge: %s", "; ".join(report.lines()))

    return run


def main() -> None:
    from bot import logsafety
    from bot.settings import load_settings

    logging.basicConfig(level=load_settings().log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logsafety.install(load_settings().log_level)
    dispatcher = build_from_settings()
    stop = asyncio.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        logger.info("Notification dispatcher started")
        await dispatcher.run_forever(stop=stop, daily=daily_purge())

    asyncio.run(run())


if __name__ == "__main__":
    main()
