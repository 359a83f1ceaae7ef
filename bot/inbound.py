"""De-duplication of inbound webhooks (Twilio MessageSid, Telegram update_id) in our shared database.

The unique key makes the first insert win across every server process: a
retried webhook finds its id already recorded and is not processed again,
once it was handled. Channels call `first_time` inside the conversation's
turn (channels/ordering.py), so a recorded but unhandled webhook there means
the server handling it died: the retry handles it (at least once, never
lost; the turn keeps it from running twice). Whether that server got as far
as saving the turn is for the channel to check (the tracker holds the
message's id then): processed once, answered again.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Optional

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
    # the text, encrypted, while the message is not handled yet (so it can be handled again if its server dies)
    # and after the bot failed on it (kept to hand it to a person); cleared once it was answered normally
    failed_text = Column(LargeBinary)
    handled_at = Column(DateTime(timezone=True))  # NULL while (or if never) handled


class Arrival(enum.Enum):
    NEW = "new"
    DONE = "done"  # handled before: a retry or a duplicate, nothing to do
    UNFINISHED = "unfinished"  # recorded, never marked handled: its server died (or is still on it, outside a turn)


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
            return int(session.execute(select(func.count()).select_from(InboundMessage).where(
                InboundMessage.failed_text.isnot(None), InboundMessage.handled_at.isnot(None))).scalar() or 0)

    def arrival(self, channel: str, external_id: str, conversation_id: str, encrypted_text: Optional[bytes] = None) -> "Arrival":
        """Record the webhook and say what it is: new, a retry of a handled one, or one never finished.

        Called within the conversation's turn, UNFINISHED means whoever recorded it died before finishing.
        """
        with self.Session() as session:
            session.add(InboundMessage(channel=channel, external_id=str(external_id), conversation_id=conversation_id,
                                       failed_text=encrypted_text))
            try:
                session.commit()
                return Arrival.NEW
            except IntegrityError:
                session.rollback()
            unhandled = session.execute(select(InboundMessage.id).where(
                InboundMessage.channel == channel, InboundMessage.external_id == str(external_id),
                InboundMessage.handled_at.is_(None))).first()
            return Arrival.UNFINISHED if unhandled is not None else Arrival.DONE

    def first_time(self, channel: str, external_id: str, conversation_id: str, encrypted_text: Optional[bytes] = None) -> bool:
        """Record the webhook; False when it was handled before (a retry of a handled message, a duplicate)."""
        return self.arrival(channel, external_id, conversation_id, encrypted_text) is not Arrival.DONE

    def handled(self, channel: str, external_id: str, failed: bool = False) -> None:
        """Answered: the kept text goes, unless the bot failed on it (then it stays for a person)."""
        values: dict = {"handled_at": utcnow()}
        if not failed:
            values["failed_text"] = None
        with self.Session() as session:
            session.execute(update(InboundMessage).where(
                InboundMessage.channel == channel, InboundMessage.external_id == str(external_id),
                InboundMessage.handled_at.is_(None)).values(**values))
            session.commit()

    def claim_stale(self, channel: str, older_than: dt.timedelta, limit: int = 20) -> list[tuple[str, str, bytes]]:
        """Messages recorded but never handled (their server died after answering Twilio), each claimed by one
        server for another `older_than`: (external id, conversation, encrypted text)."""
        now = utcnow()
        claimed = []
        with self.Session() as session:
            rows = session.execute(select(InboundMessage.id, InboundMessage.external_id, InboundMessage.conversation_id,
                                          InboundMessage.failed_text, InboundMessage.received_at).where(
                InboundMessage.channel == channel, InboundMessage.handled_at.is_(None), InboundMessage.failed_text.isnot(None),
                InboundMessage.received_at < now - older_than).limit(limit)).all()
            for row_id, external_id, conversation_id, token, received_at in rows:
                won = session.execute(update(InboundMessage).where(
                    InboundMessage.id == row_id, InboundMessage.received_at == received_at).values(received_at=now)).rowcount
                if won:
                    claimed.append((external_id, conversation_id, token))
            session.commit()
        return claimed
