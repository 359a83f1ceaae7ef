"""Rotating the encryption key: every encrypted value is re-encrypted with the new key, in one transaction.

What is encrypted: the contacts' addresses and the texts of messages the bot
failed on. During a rotation the old key stays configured as
HELPLINE_ENCRYPTION_OLD_KEYS, so a crash half-way never leaves data that no
configured key can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db import session_factory
from bot.inbound import InboundMessage
from bot.privacy.contacts import Contact


@dataclass
class Rotated:
    contacts: int
    kept_messages: int


def rotate(engine: Engine, new_key: str, old_keys: Sequence[str]) -> Rotated:
    """Re-encrypt everything with `new_key`; values readable with any of `old_keys` (or the new one)."""
    fernet = MultiFernet([Fernet(k.encode()) for k in (new_key, *old_keys)])
    with session_factory(engine)() as session:
        contacts = session.execute(select(Contact)).scalars().all()
        for contact in contacts:
            contact.address = fernet.rotate(contact.address)
        kept = session.execute(select(InboundMessage).where(InboundMessage.failed_text.isnot(None))).scalars().all()
        for message in kept:
            message.failed_text = fernet.rotate(message.failed_text)
        session.commit()
    return Rotated(len(contacts), len(kept))
