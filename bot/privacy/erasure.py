"""Erasure on request: a person asks to delete their data, confirms, and it goes.

The bot's action only *records* the request (`request`) and tells the person
what will happen: Rasa saves the tracker after the action, so deleting the
tracker from inside the action would be undone. The channel erases right
after the turn is saved (`run`), and the dispatcher's `sweep` finishes any
request a channel could not (a crash, Rasa's own HTTP API).

What goes: the conversation's tracker events, its encrypted contact, queued
and delivered messages, de-duplication and rate-limit records, Telegram
message ids; its cases are anonymised (closed first, with their responders
told, when still open). What stays: an open child-protection (UNICEF) or
urgent case, with its notes and contact, because someone may be in danger;
the request then waits and finishes as soon as that case is closed. When a
request is done, its row keeps only dates: anonymous counts.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, delete, or_, select
from sqlalchemy.engine import Engine

from bot.cases.models import Base, Case, CaseEvent, OutboxMessage, UserMessage, as_utc, utcnow
from bot.cases.store import CaseStore
from bot.db import checkpoint_sqlite, session_factory
from bot.inbound import InboundMessage
from bot.privacy.contacts import Contact

logger = logging.getLogger(__name__)

# A request the channel did not finish is finished by the dispatcher after this long.
SWEEP_AFTER = dt.timedelta(minutes=2)


class ErasureRequest(Base):
    __tablename__ = "erasure_requests"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), unique=True)  # NULL once done
    channel = Column(String(20))
    status = Column(String(12), nullable=False, default="pending")  # pending | waiting_case | done
    requested_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    done_at = Column(DateTime(timezone=True))


@dataclass
class ErasurePlan:
    """What the person is told: cases kept open for their protection, earlier cases anonymised."""

    kept_cases: list[tuple[str, str]] = field(default_factory=list)  # (reference, organization)
    anonymised_cases: int = 0


@dataclass
class ErasureReport:
    tracker_events: int = 0
    contacts: int = 0
    messages: int = 0
    dedupe_records: int = 0
    cases_anonymised: int = 0
    cases_kept: int = 0
    done: bool = False


def stays_with_responders(case: Case) -> bool:
    """An open child-protection or urgent case is not erased while open: someone may be in danger."""
    return case.status != "closed" and (case.organization == "UNICEF" or case.priority == "urgent")


class Eraser:
    def __init__(self, store: CaseStore, tracker_engine: Optional[Engine]) -> None:
        self.store = store
        self.engine: Engine = store.Session.kw["bind"]
        self.Session = session_factory(self.engine)
        self.tracker_engine = tracker_engine

    # -- asked by the bot's action --------------------------------------------------------

    def request(self, conversation_id: str, channel: Optional[str], now: Optional[dt.datetime] = None) -> ErasurePlan:
        """Record the confirmed request (idempotent) and say what will stay."""
        now = now or utcnow()
        with self.Session() as session:
            row = session.execute(select(ErasureRequest).where(ErasureRequest.conversation_id == conversation_id)).scalar_one_or_none()
            if row is None:
                session.add(ErasureRequest(conversation_id=conversation_id, channel=channel, status="pending", requested_at=now))
            else:
                row.status, row.requested_at = "pending", now
            session.commit()
            cases = session.execute(select(Case).where(Case.conversation_id == conversation_id)).scalars().all()
        kept = [(c.reference, c.organization) for c in cases if stays_with_responders(c)]
        return ErasurePlan(kept_cases=kept, anonymised_cases=len(cases) - len(kept))

    def requested(self, conversation_id: str) -> Optional[dt.datetime]:
        """When this conversation's pending request was made, or None."""
        with self.Session() as session:
            row = session.execute(select(ErasureRequest).where(
                ErasureRequest.conversation_id == conversation_id, ErasureRequest.status == "pending")).scalar_one_or_none()
            return as_utc(row.requested_at) if row else None

    # -- done by the channel after the turn, or by the dispatcher -----------------------------

    def run(self, conversation_id: str, now: Optional[dt.datetime] = None) -> Optional[ErasureReport]:
        """Erase this conversation if it has an unfinished request; None if it has none."""
        now = now or utcnow()
        with self.Session() as session:
            row = session.execute(select(ErasureRequest).where(
                ErasureRequest.conversation_id == conversation_id,
                ErasureRequest.status.in_(("pending", "waiting_case")))).scalar_one_or_none()
            if row is None:
                return None
            # a first run follows the turn that confirmed; a later one (after a protective case closed)
            # leaves alone what the person wrote since, in a new conversation
            until = now if row.status == "pending" else as_utc(row.requested_at) + dt.timedelta(minutes=1)
            report = self._erase_tables(session, conversation_id, until, now)
            if report.done:
                row.status, row.done_at, row.conversation_id = "done", now, None
            else:
                row.status = "waiting_case"
            session.commit()
        report.tracker_events = self._erase_tracker(conversation_id, until)
        checkpoint_sqlite(self.engine)
        logger.info("Erasure: %s tracker events, %s cases anonymised, %s kept open for protection, %s",
                    report.tracker_events, report.cases_anonymised, report.cases_kept, "done" if report.done else "waiting for the case")
        return report

    def sweep(self, now: Optional[dt.datetime] = None) -> int:
        """Finish requests a channel did not, and those that waited for a protective case to close."""
        now = now or utcnow()
        with self.Session() as session:
            waiting = session.execute(select(ErasureRequest.conversation_id).where(or_(
                ErasureRequest.status == "waiting_case",
                (ErasureRequest.status == "pending") & (ErasureRequest.requested_at <= now - SWEEP_AFTER),
            ))).scalars().all()
            finished = 0
            for conversation_id in waiting:
                still_open = session.execute(select(Case.id).where(
                    Case.conversation_id == conversation_id, Case.status != "closed")).first()
                row_status = session.execute(select(ErasureRequest.status).where(ErasureRequest.conversation_id == conversation_id)).scalar()
                if row_status == "waiting_case" and still_open:
                    continue
                report = self.run(conversation_id, now)
                finished += bool(report and report.done)
        return finished

    def _erase_tables(self, session, conversation_id: str, until: dt.datetime, now: dt.datetime) -> ErasureReport:
        report = ErasureReport()
        cases = session.execute(select(Case).where(Case.conversation_id == conversation_id)).scalars().all()
        kept = [c for c in cases if stays_with_responders(c)]
        kept_ids = [c.id for c in kept]
        for case in cases:
            if case in kept:
                continue
            was_open = case.status != "closed"
            if was_open:
                case.status, case.closed_at, case.open_key = "closed", now, None
                session.add(CaseEvent(case_id=case.id, kind="closed", actor="erasure"))
            session.execute(delete(OutboxMessage).where(OutboxMessage.case_id == case.id))
            case.conversation_id = f"anonymised-{case.reference}"
            case.summary = ""
            session.add(CaseEvent(case_id=case.id, kind="erased", actor="person"))
            if was_open:
                claimer = self.store.responders.by_id.get(case.claimed_by or "")
                told = [claimer] if claimer else self.store.responders.for_case(case.organization, case.country, case.language)
                self.store._enqueue(session, case, "erased", told)
            report.cases_anonymised += 1
        report.cases_kept = len(kept)
        messages = delete(UserMessage).where(UserMessage.conversation_id == conversation_id)
        if kept_ids:
            messages = messages.where(or_(UserMessage.case_id.is_(None), UserMessage.case_id.notin_(kept_ids)))
        report.messages = session.execute(messages).rowcount or 0
        report.dedupe_records = session.execute(delete(InboundMessage).where(InboundMessage.conversation_id == conversation_id)).rowcount or 0
        from bot.privacy.chatlog import ChatMessage
        from bot.ratelimit import RateWindow

        session.execute(delete(RateWindow).where(RateWindow.conversation_id == conversation_id))
        session.execute(delete(ChatMessage).where(ChatMessage.conversation_id == conversation_id))
        if not kept:
            report.contacts = session.execute(delete(Contact).where(
                Contact.pseudonym == conversation_id, Contact.updated_at <= until)).rowcount or 0
            report.done = True
        return report

    def _erase_tracker(self, conversation_id: str, until: dt.datetime) -> int:
        """Rasa's events of the conversation up to `until`."""
        if self.tracker_engine is None:
            return 0
        from bot.privacy.retention import delete_tracker_events

        count = delete_tracker_events(self.tracker_engine, [conversation_id], until.timestamp())
        checkpoint_sqlite(self.tracker_engine)
        return count


def default_eraser() -> Eraser:
    """The eraser on this process's configured databases."""
    from bot.cases.service import default_store
    from bot.db import tracker_engine
    from bot.settings import load_settings

    return Eraser(default_store(), tracker_engine(load_settings().tracker_store_url))
