"""The encrypted contact store: the raw address needed to reply, by pseudonym.

One table, each address encrypted with Fernet (AES-128-CBC + HMAC, from
`cryptography`); the key comes from HELPLINE_ENCRYPTION_KEY. Nothing else in
the system holds a phone number or a chat id.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Column, DateTime, LargeBinary, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.cases.models import Base, as_utc, utcnow
from bot.db import session_factory


class Contact(Base):
    __tablename__ = "contacts"

    pseudonym = Column(String(128), primary_key=True)
    channel = Column(String(20), nullable=False)
    address = Column(LargeBinary, nullable=False)  # Fernet token
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)


class ContactStore:
    def __init__(self, engine: Engine, key: str, old_keys: tuple[str, ...] = ()) -> None:
        self.Session = session_factory(engine)
        self.fernet = MultiFernet([Fernet(k.encode()) for k in (key, *old_keys)])

    def remember(self, pseudonym: str, channel: str, address: str) -> bool:
        """Keep the address to reply to; True when this conversation is new to us (or was erased)."""
        token = self.fernet.encrypt(address.encode())
        with self.Session() as session:
            row = session.get(Contact, pseudonym)
            if row is None:
                session.add(Contact(pseudonym=pseudonym, channel=channel, address=token, updated_at=utcnow()))
                try:
                    session.commit()
                    return True
                except IntegrityError:  # the same person's other message, on another server, came first
                    session.rollback()
                    return False
            row.address, row.channel, row.updated_at = token, channel, utcnow()
            session.commit()
            return False

    def last_seen(self, pseudonym: str) -> Optional[dt.datetime]:
        """When the person last wrote (the contact is refreshed with every message)."""
        with self.Session() as session:
            row = session.get(Contact, pseudonym)
            return as_utc(row.updated_at) if row else None

    def address(self, pseudonym: str) -> Optional[tuple[str, str]]:
        """(channel, raw address), or None when unknown or erased."""
        with self.Session() as session:
            row = session.get(Contact, pseudonym)
            if row is None:
                return None
            try:
                return row.channel, self.fernet.decrypt(row.address).decode()
            except InvalidToken:
                return None

    def forget(self, pseudonym: str) -> bool:
        with self.Session() as session:
            row = session.get(Contact, pseudonym)
            if row is None:
                return False
            session.delete(row)
            session.commit()
            return True

    def rotate(self) -> int:
        """Re-encrypt every address with the first (new) key; old keys may then be dropped."""
        with self.Session() as session:
            rows = session.execute(select(Contact)).scalars().all()
            for row in rows:
                row.address = self.fernet.rotate(row.address)
            session.commit()
            return len(rows)
