"""Retention: message texts are kept no longer than needed (`helpline purge`).

A conversation's tracker (its texts) is deleted once its last message is older
than the retention period, unless it has an open case (kept until the case is
closed, plus the period). Closed cases older than the period are anonymised:
the pseudonymous conversation id and summary go, the statistics (organisation,
priority, category, dates, indicators) stay. Delivered notifications and
messages, de-duplication records and the encrypted contacts of purged
conversations go too. Running it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Optional

from sqlalchemy import Column, DateTime, String, delete, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Engine

from bot.cases.models import Base, Case, OutboxMessage, UserMessage, as_utc, utcnow
from bot.db import checkpoint_sqlite, session_factory
from bot.inbound import InboundMessage
from bot.privacy.chatlog import ChatLog
from bot.privacy.contacts import Contact
from bot.ratelimit import RateLimiter

DEFAULT_RETENTION_DAYS = 30


@dataclass
class PurgeReport:
    conversations: int = 0
    tracker_events: int = 0
    cases_anonymised: int = 0
    notifications: int = 0
    user_messages: int = 0
    dedupe_records: int = 0
    contacts: int = 0
    details: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [f"{name.replace('_', ' ')}: {value}" for name, value in vars(self).items() if name != "details"]


def purge(engine: Engine, tracker_engine: Engine, retention: dt.timedelta, now: Optional[dt.datetime] = None) -> PurgeReport:
    now = now or utcnow()
    cutoff = now - retention
    report = PurgeReport()
    Session = session_factory(engine)
    with Session() as session:
        # conversations whose case is open, or closed within the period, keep everything
        protected = set(session.execute(select(Case.conversation_id).where(
            or_(Case.status != "closed", Case.closed_at >= cutoff))).scalars())
        stale_cases = session.execute(select(Case).where(
            Case.status == "closed", Case.closed_at < cutoff, ~Case.conversation_id.like("anonymised-%"))).scalars().all()
        for case in stale_cases:
            case.conversation_id = f"anonymised-{case.reference}"
            case.summary = ""
            report.cases_anonymised += 1
        report.notifications = session.execute(delete(OutboxMessage).where(
            OutboxMessage.status == "sent", OutboxMessage.sent_at < cutoff)).rowcount or 0
        report.user_messages = session.execute(delete(UserMessage).where(
            UserMessage.status == "sent", UserMessage.sent_at < cutoff)).rowcount or 0
        report.dedupe_records = session.execute(delete(InboundMessage).where(
            InboundMessage.received_at < cutoff, InboundMessage.failed_text.is_(None))).rowcount or 0
        session.commit()
    # counters and Telegram message ids are only useful for minutes and two days
    RateLimiter(engine).forget_old(now)
    ChatLog(engine).forget_old(now)

    stale = _stale_conversations(tracker_engine, cutoff.timestamp()) - protected
    if stale:
        report.tracker_events = delete_tracker_events(tracker_engine, stale)
        with Session() as session:
            report.contacts = session.execute(delete(Contact).where(Contact.pseudonym.in_(stale))).rowcount or 0
            session.commit()
    report.conversations = len(stale)
    checkpoint_sqlite(engine)
    checkpoint_sqlite(tracker_engine)
    return report


def delete_tracker_events(tracker_engine: Engine, senders: Iterable[str], until: Optional[float] = None) -> int:
    """Delete these conversations' events from Rasa's SQL tracker store (only those up to `until`, a Unix
    time, when given); the one place retention and erasure remove what people wrote."""
    statement = "DELETE FROM events WHERE sender_id = :s" + (" AND timestamp <= :t" if until is not None else "")
    deleted = 0
    with tracker_engine.begin() as connection:
        if not tracker_engine.dialect.has_table(connection, "events"):
            return 0
        for sender in senders:
            deleted += connection.execute(text(statement), {"s": sender, "t": until}).rowcount or 0
    return deleted


def _stale_conversations(tracker_engine: Engine, cutoff_timestamp: float) -> set[str]:
    """Senders whose newest tracker event is older than the cutoff."""
    with tracker_engine.connect() as connection:
        if not tracker_engine.dialect.has_table(connection, "events"):
            return set()
        rows = connection.execute(text(
            "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"), {"cutoff": cutoff_timestamp})
        return {row[0] for row in rows}


class Job(Base):
    """When a periodic job last ran; the conditional update makes one process its owner per period."""

    __tablename__ = "jobs"

    name = Column(String(40), primary_key=True)
    last_run_at = Column(DateTime(timezone=True), nullable=False)


def take_turn(engine: Engine, name: str, every: dt.timedelta, now: Optional[dt.datetime] = None) -> bool:
    """True for exactly one caller per period, across every server process."""
    now = now or utcnow()
    Session = session_factory(engine)
    with Session() as session:
        if session.get(Job, name) is None:
            session.add(Job(name=name, last_run_at=now))
            try:
                session.commit()
                return True
            except IntegrityError:
                session.rollback()
        won = session.execute(update(Job).where(Job.name == name, Job.last_run_at <= now - every).values(last_run_at=now)).rowcount
        session.commit()
        return bool(won)
