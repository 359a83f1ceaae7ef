"""What our channels share, built once per server process: settings, database, pseudonyms, contacts, de-duplication, hand-off."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from bot.handoff import Handoff
from bot.inbound import InboundLog
from bot.privacy.contacts import ContactStore
from bot.privacy.identity import pseudonym
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from channels.ordering import ConversationOrder
    from bot.cases.store import CaseStore
    from bot.privacy.chatlog import ChatLog
    from bot.privacy.erasure import Eraser
    from bot.ratelimit import RateLimiter
    from bot.spool import DiskSpool


@dataclass
class ChannelServices:
    settings: Settings

    @cached_property
    def engine(self):  # type: ignore[no-untyped-def]
        from bot.db import engine_for

        return engine_for(self.settings.database_url)

    @cached_property
    def contacts(self) -> ContactStore:
        return ContactStore(self.engine, self.settings.encryption_key, self.settings.encryption_old_keys)

    @cached_property
    def inbound(self) -> InboundLog:
        return InboundLog(self.engine)

    @cached_property
    def inbound_spool(self) -> "DiskSpool":
        """SMS that arrived while the database could not record them (channels/twilio_sms.py)."""
        from bot.settings import runtime_dir
        from bot.spool import DiskSpool

        return DiskSpool(runtime_dir(self.settings) / "spool" / "inbound")

    @cached_property
    def store(self) -> "CaseStore":
        from bot.cases.responders import Responders
        from bot.cases.service import responders_path
        from bot.cases.store import CaseStore
        from bot.notify.messages import notification_text

        return CaseStore(self.engine, Responders.load(responders_path()), notification_text)

    @cached_property
    def handoff(self) -> Handoff:
        return Handoff(self.store)

    @cached_property
    def eraser(self) -> "Eraser":
        from bot.db import tracker_engine
        from bot.privacy.erasure import Eraser

        return Eraser(self.store, tracker_engine(self.settings.tracker_store_url))

    @cached_property
    def rate_limiter(self) -> "RateLimiter":
        from bot.ratelimit import RateLimiter

        return RateLimiter(self.engine, self.settings.rate_limit_per_minute)

    @cached_property
    def order(self) -> "ConversationOrder":
        import os

        from channels.ordering import ConversationOrder

        # HELPLINE_CHANNEL_ORDER=off only for the scale test's comparison (what Rasa's lock alone does)
        return ConversationOrder(self.settings.lock_store_url, enabled=os.environ.get("HELPLINE_CHANNEL_ORDER", "on") != "off")

    @cached_property
    def chat_log(self) -> "ChatLog":
        from bot.privacy.chatlog import ChatLog

        return ChatLog(self.engine)

    def keep_failed(self, channel: str, external_id: str, text: str) -> None:
        """Keep a message the bot failed on, encrypted with the contact store's key."""
        self.inbound.keep_failed(channel, external_id, self.contacts.fernet.encrypt(text.encode()))

    def conversation_id(self, channel: str, raw_id: str) -> str:
        return pseudonym(channel, raw_id, self.settings.pseudonym_key)


@lru_cache(maxsize=1)
def default_services() -> ChannelServices:
    return ChannelServices(load_settings())
