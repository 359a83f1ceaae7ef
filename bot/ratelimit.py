"""Per-conversation rate limit, shared by every server process through the database.

A fixed one-minute window per conversation: the first `limit` messages pass,
the next one gets a friendly answer, later ones in the same minute are
dropped silently (on SMS every answer costs the helpline money and can be
abused to spend it). The counter is one row per conversation and minute,
incremented with a single UPDATE, so two servers count together.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, UniqueConstraint, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.cases.models import Base, utcnow
from bot.db import session_factory

DEFAULT_PER_MINUTE = 20


class RateWindow(Base):
    __tablename__ = "rate_windows"
    __table_args__ = (UniqueConstraint("conversation_id", "window", name="uq_rate_conversation_window"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False)
    window = Column(Integer, nullable=False)  # minutes since the epoch
    count = Column(Integer, nullable=False, default=0)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Verdict(Enum):
    ALLOW = "allow"
    TELL = "tell"  # the first message over the limit: answer kindly
    DROP = "drop"  # further messages in the same minute


class RateLimiter:
    def __init__(self, engine: Engine, per_minute: int = DEFAULT_PER_MINUTE) -> None:
        self.Session = session_factory(engine)
        self.per_minute = per_minute

    def check(self, conversation_id: str, now: Optional[dt.datetime] = None) -> Verdict:
        if self.per_minute <= 0:
            return Verdict.ALLOW
        now = now or utcnow()
        window = int(now.timestamp() // 60)
        count = self._increment(conversation_id, window, now)
        if count <= self.per_minute:
            return Verdict.ALLOW
        return Verdict.TELL if count == self.per_minute + 1 else Verdict.DROP

    def _increment(self, conversation_id: str, window: int, now: dt.datetime) -> int:
        where = (RateWindow.conversation_id == conversation_id, RateWindow.window == window)
        with self.Session() as session:
            for _ in range(3):
                if session.execute(update(RateWindow).where(*where).values(count=RateWindow.count + 1)).rowcount:
                    # read before commit: the row is still locked by our UPDATE, so this is our own count
                    count = int(session.execute(select(RateWindow.count).where(*where)).scalar() or 0)
                    session.commit()
                    return count
                session.add(RateWindow(conversation_id=conversation_id, window=window, count=1, at=now))
                try:
                    session.commit()
                    return 1
                except IntegrityError:  # another process created this minute's row first
                    session.rollback()
        return 1

    def forget_old(self, now: Optional[dt.datetime] = None) -> int:
        now = now or utcnow()
        with self.Session() as session:
            count = session.execute(delete(RateWindow).where(RateWindow.window < int(now.timestamp() // 60) - 1)).rowcount or 0
            session.commit()
            return count
