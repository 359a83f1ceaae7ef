"""Telegram message ids of the last 48 hours, so that erasure can delete the chat itself.

A bot may delete its own messages and, in a private chat, the person's, for
48 hours after they were sent. Only message ids (small numbers, meaningless
without the encrypted chat id) are kept, and only for that long.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import BigInteger, Column, DateTime, Integer, String, delete, select
from sqlalchemy.engine import Engine

from bot.cases.models import Base, utcnow
from bot.db import session_factory

DELETABLE_FOR = dt.timedelta(hours=48)


class ChatMessage(Base):
    __tablename__ = "chat_messages"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    message_id = Column(BigInteger, nullable=False)
    at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class ChatLog:
    def __init__(self, engine: Engine) -> None:
        self.Session = session_factory(engine)

    def record(self, conversation_id: str, message_id: Optional[int]) -> None:
        if message_id is None:
            return
        with self.Session() as session:
            session.add(ChatMessage(conversation_id=conversation_id, message_id=int(message_id)))
            session.commit()

    def deletable(self, conversation_id: str, now: Optional[dt.datetime] = None,
                  until: Optional[dt.datetime] = None) -> list[int]:
        """Ids of this chat's messages, sent up to `until`, that Telegram still lets the bot delete."""
        now = now or utcnow()
        query = select(ChatMessage.message_id).where(
            ChatMessage.conversation_id == conversation_id, ChatMessage.at > now - DELETABLE_FOR)
        if until is not None:
            query = query.where(ChatMessage.at <= until)
        with self.Session() as session:
            return list(session.execute(query.order_by(ChatMessage.message_id)).scalars())

    def forget_old(self, now: Optional[dt.datetime] = None) -> int:
        now = now or utcnow()
        with self.Session() as session:
            count = session.execute(delete(ChatMessage).where(ChatMessage.at <= now - DELETABLE_FOR)).rowcount or 0
            session.commit()
            return count
