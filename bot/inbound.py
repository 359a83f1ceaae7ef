"""De-duplication of inbound webhooks (Twilio MessageSid, Telegram update_id) in our shared database.

The unique key makes the first insert win across every server process: a
retried webhook finds its id already recorded and is not processed again.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, LargeBinary, String, UniqueConstraint, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.cases.models import Base, utcnow
from bot.db import session_factory


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_inbound_channel_external"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(64), nullable=False)
    conversation_id = Column(String(128), index=True)
    received_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    # set only when the bot failed on the message: kept (encrypted) to process it again or hand it to a person
    failed_text = Column(LargeBinary)


class InboundLog:
    def __init__(self, engine: Engine) -> None:
        self.Session = session_factory(engine)

    def keep_failed(self, channel: str, external_id: str, encrypted_text: bytes) -> None:
        """The bot failed on this message: keep it, encrypted, so nothing the person wrote is lost."""
        with self.Session() as session:
            session.execute(update(InboundMessage).where(InboundMessage.channel == channel, InboundMessage.external_id == str(external_id))
                            .values(failed_text=encrypted_text))
            session.commit()

    def failed_count(self) -> int:
        with self.Session() as session:
            return int(session.execute(select(func.count()).select_from(InboundMessage).where(InboundMessage.failed_text.isnot(None))).scalar() or 0)

    def first_time(self, channel: str, external_id: str, conversation_id: str) -> bool:
        """Record the webhook; False when it was recorded before (a retry or a concurrent duplicate)."""
        with self.Session() as session:
            session.add(InboundMessage(channel=channel, external_id=str(external_id), conversation_id=conversation_id))
            try:
                session.commit()
                return True
            except IntegrityError:
                session.rollback()
                return False
