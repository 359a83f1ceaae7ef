"""Cases, their audit trail and the outbox, in one database shared by every server process.

Every write that matters is one transaction: a case is stored together with
its first audit event and its outbox rows before anyone is notified. Unique
keys (one open case per conversation, one outbox row per dedupe key) make
retries and concurrent servers harmless.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Sequence

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.cases.models import PRIORITIES, Case, CaseEvent, OutboxMessage, as_utc, utcnow
from bot.cases.responders import Responder, Responders
from bot.db import session_factory

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L

# Builds the notification text for one responder: (case, kind) -> text.
NotificationText = Callable[[Case, str], str]


def new_reference() -> str:
    return "HL-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))


def higher(a: str, b: str) -> str:
    return a if PRIORITIES.index(a) >= PRIORITIES.index(b) else b


# Categories that say what a responder must know first; a later message can turn a case into one of them.
SAFETY_CATEGORIES = ("self_harm", "child_in_danger", "immediate_danger")


class CaseError(Exception):
    """An operation a responder may not or cannot do; the message says why."""


@dataclass(frozen=True)
class Opened:
    case: Case
    created: bool


class CaseStore:
    def __init__(self, engine: Engine, responders: Responders, notification_text: NotificationText) -> None:
        self.engine = engine
        self.responders = responders
        self.notification_text = notification_text
        self.Session = session_factory(engine)

    # -- creating and updating cases -------------------------------------------------

    def open_case(
        self,
        conversation_id: str,
        organization: str,
        priority: str,
        category: str,
        language: Optional[str] = None,
        country: Optional[str] = None,
        channel: Optional[str] = None,
        indicators: Sequence[str] = (),
        summary: str = "",
        reference: Optional[str] = None,
    ) -> Opened:
        """Create the conversation's case, or return (and escalate) the one already open.
        `reference`: the one the person was already given (a spooled escalation), if free."""
        for _ in range(5):
            with self.Session() as session:
                existing = session.execute(select(Case).where(Case.open_key == conversation_id)).scalar_one_or_none()
                if existing is not None:
                    self._escalate(session, existing, organization, priority, indicators, category)
                    session.commit()
                    return Opened(existing, False)
                case = Case(
                    reference=reference or new_reference(), organization=organization, priority=priority, category=category,
                    status="new", language=language, country=country, channel=channel,
                    conversation_id=conversation_id, open_key=conversation_id,
                    indicators=sorted(set(indicators)), summary=summary[:500],
                )
                session.add(case)
                try:
                    session.flush()
                    session.add(CaseEvent(case_id=case.id, kind="created", detail={"organization": organization, "priority": priority, "category": category}))
                    self._enqueue(session, case, "new_case", self.responders.for_case(organization, country, language))
                    session.commit()
                    return Opened(case, True)
                except IntegrityError:
                    session.rollback()  # a concurrent process opened it first, or a reference collided: look again
                    reference = None
        raise RuntimeError("could not open a case after 5 attempts")

    def _escalate(self, session, case: Case, organization: str, priority: str, indicators: Iterable[str],
                  category: Optional[str] = None) -> None:
        changed = {}
        if category in SAFETY_CATEGORIES and category != case.category and case.category != "self_harm":
            changed["category"] = [case.category, category]  # responders must see the newest risk first
            case.category = category
        new_priority = higher(case.priority, priority)
        if new_priority != case.priority:
            changed["priority"] = [case.priority, new_priority]
            case.priority = new_priority
        if organization != case.organization and organization == "UNICEF":
            changed["organization"] = [case.organization, organization]  # a child: UNICEF takes over
            case.organization = organization
        merged = sorted(set(case.indicators or []) | set(indicators))
        if merged != sorted(case.indicators or []):
            changed["indicators"] = merged
            case.indicators = merged
        if changed:
            session.add(CaseEvent(case_id=case.id, kind="escalated", detail=changed))
            if "organization" in changed or "priority" in changed:
                kind = f"escalated-{case.organization}-{case.priority}"
                self._enqueue(session, case, kind, self.responders.for_case(case.organization, case.country, case.language))

    def add_indicators(self, reference: str, indicators: Sequence[str], threshold_for_high: int = 2) -> Case:
        """Record answers to the indicator questions; two or more raise the priority to high."""
        with self.Session() as session:
            case = self._get(session, reference)
            merged = sorted(set(case.indicators or []) | set(indicators))
            detail = {"indicators": merged}
            case.indicators = merged
            if len(merged) >= threshold_for_high and case.priority == "normal":
                case.priority = "high"
                detail["priority"] = ["normal", "high"]
                self._enqueue(session, case, "escalated-high", self.responders.for_case(case.organization, case.country, case.language))
            session.add(CaseEvent(case_id=case.id, kind="indicators", detail=detail))
            session.commit()
            return case

    # -- responders --------------------------------------------------------------------

    def _authorised(self, session, case: Case, responder_id: str, action: str) -> Responder:
        responder = self.responders.by_id.get(responder_id)
        if responder is None or responder.organization != case.organization:
            session.add(CaseEvent(case_id=case.id, kind="refused", actor=responder_id, detail={"action": action}))
            session.commit()
            raise CaseError(f"{responder_id} may not {action} {case.reference}")
        return responder

    def read(self, reference: str, responder_id: str) -> Case:
        with self.Session() as session:
            case = self._get(session, reference)
            self._authorised(session, case, responder_id, "read")
            session.add(CaseEvent(case_id=case.id, kind="read", actor=responder_id))
            session.commit()
            return case

    def claim(self, reference: str, responder_id: str) -> Case:
        with self.Session() as session:
            case = self._get(session, reference)
            self._authorised(session, case, responder_id, "claim")
            if case.status == "closed":
                raise CaseError(f"{reference} is closed")
            if case.status == "claimed" and case.claimed_by != responder_id:
                raise CaseError(f"{reference} is already claimed by {case.claimed_by}")
            claimed = session.execute(
                update(Case)
                .where(Case.id == case.id, or_(Case.claimed_by.is_(None), Case.claimed_by == responder_id))
                .values(status="claimed", claimed_by=responder_id, claimed_at=utcnow(), updated_at=utcnow())
            ).rowcount
            if not claimed:
                session.rollback()
                raise CaseError(f"{reference} was just claimed by someone else")
            session.add(CaseEvent(case_id=case.id, kind="claimed", actor=responder_id))
            session.commit()
            session.refresh(case)
            return case

    def reply(self, reference: str, responder_id: str, text: str) -> Case:
        with self.Session() as session:
            case = self._get(session, reference)
            self._authorised(session, case, responder_id, "reply")
            if case.status != "claimed" or case.claimed_by != responder_id:
                raise CaseError(f"claim {reference} before replying")
            session.add(CaseEvent(case_id=case.id, kind="reply", actor=responder_id, detail={"chars": len(text)}))
            session.commit()
            return case

    def close(self, reference: str, responder_id: str) -> Case:
        with self.Session() as session:
            case = self._get(session, reference)
            self._authorised(session, case, responder_id, "close")
            if case.status == "closed":
                return case
            case.status = "closed"
            case.closed_at = utcnow()
            case.open_key = None
            session.add(CaseEvent(case_id=case.id, kind="closed", actor=responder_id))
            session.commit()
            return case

    def flag_urgent(self, reference: str, category: str, flag_text: str) -> Case:
        """The person wrote of self-harm or danger now while a responder holds the case: urgent, flagged to the holder.

        The case and the flag are written in one transaction before anyone is notified.
        """
        with self.Session() as session:
            case = self._get(session, reference)
            self._escalate(session, case, case.organization, "urgent", (), category)
            holder = self.responders.by_id.get(case.claimed_by or "")
            session.add(CaseEvent(case_id=case.id, kind="urgent_flag", detail={"category": category}))
            if holder is not None:
                self._add_for_responder(session, case, holder, "urgent_flag", flag_text, uuid.uuid4().hex)
            session.commit()
            return case

    def record_user_message(self, reference: str) -> None:
        with self.Session() as session:
            case = self._get(session, reference)
            session.add(CaseEvent(case_id=case.id, kind="user_message", actor="user"))
            session.commit()

    # -- queries ----------------------------------------------------------------------------

    def _get(self, session, reference: str) -> Case:
        case = session.execute(select(Case).where(Case.reference == reference.strip().upper())).scalar_one_or_none()
        if case is None:
            raise CaseError(f"no case {reference}")
        return case

    def get(self, reference: str) -> Case:
        with self.Session() as session:
            return self._get(session, reference)

    def open_case_of(self, conversation_id: str) -> Optional[Case]:
        with self.Session() as session:
            return session.execute(select(Case).where(Case.open_key == conversation_id)).scalar_one_or_none()

    def list(self, organization: Optional[str] = None, status: Optional[str] = None) -> list[Case]:
        query = select(Case).order_by(Case.id)
        if organization:
            query = query.where(Case.organization == organization.upper())
        if status == "open":
            query = query.where(Case.status != "closed")
        elif status:
            query = query.where(Case.status == status)
        with self.Session() as session:
            return list(session.execute(query).scalars())

    def events(self, reference: str) -> list[CaseEvent]:
        with self.Session() as session:
            case = self._get(session, reference)
            return list(session.execute(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).scalars())

    # -- outbox --------------------------------------------------------------------------------

    def _enqueue(self, session, case: Case, kind: str, responders: Iterable[Responder]) -> int:
        """Add one outbox row per responder address; rows already queued (same key) are skipped."""
        added = 0
        for responder in responders:
            for channel, address in responder.addresses():
                key = f"{case.reference}:{kind}:{responder.id}:{channel}"
                exists = session.execute(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first()
                if exists:
                    continue
                session.add(OutboxMessage(
                    case_id=case.id, responder_id=responder.id, channel=channel, address=address,
                    kind=kind, text=self.notification_text(case, kind), dedupe_key=key,
                ))
                added += 1
        session.flush()
        return added

    @staticmethod
    def _add_for_responder(session, case: Case, responder: Responder, kind: str, text: str, unique: str) -> None:
        for channel, address in responder.addresses():
            session.add(OutboxMessage(case_id=case.id, responder_id=responder.id, channel=channel, address=address,
                                      kind=kind, text=text, dedupe_key=f"{case.reference}:{kind}:{unique}:{channel}"))

    def enqueue_for_responder(self, reference: str, responder_id: str, kind: str, text: str, unique: str) -> None:
        """A message to one responder (a user's message forwarded to the claimer)."""
        responder = self.responders.by_id[responder_id]
        with self.Session() as session:
            self._add_for_responder(session, self._get(session, reference), responder, kind, text, unique)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()

    def lease_due(self, worker: str, now: Optional[dt.datetime] = None, limit: int = 20, lease_seconds: int = 60) -> list[OutboxMessage]:
        """Take due rows for this worker; a row leased by a crashed worker comes back after its lease."""
        now = now or utcnow()
        with self.Session() as session:
            due = select(OutboxMessage.id).where(
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
            ).order_by(OutboxMessage.id).limit(limit)
            if self.engine.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = [row[0] for row in session.execute(due)]
            if not ids:
                session.rollback()
                return []
            until = now + dt.timedelta(seconds=lease_seconds)
            session.execute(update(OutboxMessage).where(
                OutboxMessage.id.in_(ids), OutboxMessage.status == "pending",
                or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
            ).values(lease_until=until, attempts=OutboxMessage.attempts + 1))
            session.commit()
            rows = session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.lease_until == until)).scalars()
            return list(rows)

    def mark_sent(self, row_id: int) -> None:
        with self.Session() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None:  # erased at the person's request meanwhile
                return
            row.status, row.sent_at, row.lease_until, row.last_error = "sent", utcnow(), None, None
            if row.case_id is not None and row.kind == "new_case":
                case = session.get(Case, row.case_id)
                if case.status == "new":
                    case.status = "notified"
                    case.notified_at = utcnow()
                    session.add(CaseEvent(case_id=case.id, kind="notified", detail={"responder": row.responder_id, "channel": row.channel}))
            session.commit()

    def mark_failed(self, row_id: int, error: str, retry_at: dt.datetime) -> None:
        with self.Session() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.last_error, row.next_attempt_at, row.lease_until = error[:500], retry_at, None
            session.commit()

    def pending_outbox(self) -> list[OutboxMessage]:
        with self.Session() as session:
            return list(session.execute(select(OutboxMessage).where(OutboxMessage.status == "pending")).scalars())

    # -- SLA -------------------------------------------------------------------------------------

    def renotify_overdue(self, deadlines: dict[str, dt.timedelta], now: Optional[dt.datetime] = None) -> list[str]:
        """Widen unclaimed cases past their priority's deadline to every responder of the organisation.

        One round per deadline elapsed; the conditional update on `sla_round`
        makes a second process doing the same pass a no-op.
        """
        now = now or utcnow()
        widened = []
        with self.Session() as session:
            cases = session.execute(select(Case).where(Case.status.in_(("new", "notified")))).scalars().all()
            for case in cases:
                deadline = deadlines.get(case.priority)
                if deadline is None:
                    continue
                rounds_due = int((now - as_utc(case.created_at)) / deadline)
                if rounds_due <= case.sla_round:
                    continue
                won = session.execute(update(Case).where(and_(Case.id == case.id, Case.sla_round == case.sla_round))
                                      .values(sla_round=rounds_due)).rowcount
                if not won:
                    continue
                kind = f"sla-{rounds_due}"
                self._enqueue(session, case, kind, self.responders.for_case(case.organization, case.country, case.language, widen=True))
                session.add(CaseEvent(case_id=case.id, kind="renotified", detail={"round": rounds_due}))
                widened.append(case.reference)
            session.commit()
        return widened
