"""Tables for cases, their append-only audit trail and the notification outbox.

A case and its outbox rows are written in one transaction before anyone is
notified. `open_key` holds the conversation id while the case is open and
NULL once closed: its unique index makes a repeated message or a retried
action find the open case instead of creating a second one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

ORGANIZATIONS = ("IOM", "UNICEF")
PRIORITIES = ("normal", "high", "urgent")  # ascending
STATUSES = ("new", "notified", "claimed", "closed")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """SQLite returns naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.timezone.utc)


class Case(Base):
    __tablename__ = "cases"

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), nullable=False, unique=True)
    organization = Column(String(8), nullable=False)
    priority = Column(String(8), nullable=False)
    category = Column(String(40), nullable=False)
    status = Column(String(10), nullable=False, default="new")
    language = Column(String(8))
    country = Column(String(2))
    channel = Column(String(20))
    conversation_id = Column(String(128), nullable=False, index=True)  # pseudonymous
    open_key = Column(String(128), unique=True)  # = conversation_id while open, NULL when closed
    indicators = Column(JSON, nullable=False, default=list)
    summary = Column(Text, nullable=False, default="")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    notified_at = Column(DateTime(timezone=True))
    claimed_at = Column(DateTime(timezone=True))
    claimed_by = Column(String(64))
    closed_at = Column(DateTime(timezone=True))
    sla_round = Column(Integer, nullable=False, default=0)  # re-notification rounds done

    events = relationship("CaseEvent", back_populates="case", order_by="CaseEvent.id")

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "organization": self.organization,
            "priority": self.priority,
            "category": self.category,
            "status": self.status,
            "language": self.language,
            "country": self.country,
            "channel": self.channel,
            "indicators": list(self.indicators or []),
            "summary": self.summary,
            "created_at": _iso(self.created_at),
            "notified_at": _iso(self.notified_at),
            "claimed_at": _iso(self.claimed_at),
            "claimed_by": self.claimed_by,
            "closed_at": _iso(self.closed_at),
        }


class CaseEvent(Base):
    """Append-only: rows are inserted, never updated or deleted (except anonymisation of `detail`)."""

    __tablename__ = "case_events"

    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    kind = Column(String(32), nullable=False)
    actor = Column(String(64), nullable=False, default="bot")
    detail = Column(JSON, nullable=False, default=dict)

    case = relationship("Case", back_populates="events")


class OutboxMessage(Base):
    """One notification to one responder; delivered exactly once by the dispatcher."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),)

    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), index=True)
    responder_id = Column(String(64), nullable=False)
    channel = Column(String(16), nullable=False)  # telegram | sms
    address = Column(Text, nullable=False)  # chat id or phone of the responder (staff, not users)
    kind = Column(String(24), nullable=False)
    text = Column(Text, nullable=False)
    dedupe_key = Column(String(200), nullable=False)
    status = Column(String(10), nullable=False, default="pending", index=True)  # pending | sent
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    lease_until = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True))
    last_error = Column(Text)


class UserMessage(Base):
    """A message for the person from their responder (or about their case), waiting for delivery
    on the person's own channel. REST conversations receive it with their next response."""

    __tablename__ = "user_messages"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(20))
    case_id = Column(Integer, ForeignKey("cases.id"))
    text = Column(Text, nullable=False)
    status = Column(String(10), nullable=False, default="pending", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True))


def _iso(value: Optional[dt.datetime]) -> Optional[str]:
    value = as_utc(value)
    return value.isoformat() if value else None
