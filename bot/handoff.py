"""Hand-off: while a responder holds a case, the person talks to the responder, not the bot.

Channels call `intercept` before Rasa: a message in a claimed conversation is
forwarded to the responder (and recorded), and the bot stays silent. A message
that shows self-harm or danger now makes the case urgent and flags it to the
responder first (issue 13: caught in every state). Replies
and the closing notice are queued for the person in their own language and
delivered on their channel (REST conversations get them with their next
response).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Optional

from sqlalchemy import select

from bot.cases.models import Case, CaseEvent, UserMessage, utcnow
from bot.cases.store import CaseError, CaseStore
from bot.content.catalog import default_catalog
from bot.notify.messages import urgent_flag_text, user_message_text

logger = logging.getLogger(__name__)


def crisis_in(text: str) -> Optional[str]:
    """'self_harm' or 'danger' when a message held for a responder shows either (the words alone: NLU does not run)."""
    from bot.risk.cues import default_cues

    cues = default_cues()
    if cues.self_harm_cue(text):
        return "self_harm"
    if cues.danger_now_cue(text) or cues.help_call_only(text):
        return "danger"
    return None


# A message being sent belongs to one dispatcher for this long; after it, another may send it (its sender died).
DELIVERY_LEASE = dt.timedelta(seconds=60)


class Handoff:
    def __init__(self, store: CaseStore) -> None:
        self.store = store

    def intercept(self, conversation_id: str, text: str) -> bool:
        """True when a responder holds the conversation: the message went to them, not to the bot."""
        case = self.store.open_case_of(conversation_id)
        if case is None or case.status != "claimed" or not case.claimed_by:
            return False
        responder = self.store.responders.by_id.get(case.claimed_by)
        if responder is None:
            logger.error("Case %s is claimed by an unknown responder; the bot answers meanwhile", case.reference)
            return False
        risk = crisis_in(text)
        if risk is not None:
            self.store.flag_urgent(case.reference, "self_harm" if risk == "self_harm" else "immediate_danger",
                                   urgent_flag_text(case.reference, risk))
        unique = uuid.uuid4().hex
        for channel, _ in responder.addresses():
            body = user_message_text(case.reference, text, sms=channel == "sms")
            self.store.enqueue_for_responder(case.reference, responder.id, "user_message", body, f"{unique}:{channel}")
        self.store.record_user_message(case.reference)
        return True

    def _queue_for_user(self, case: Case, response: str, **args: str) -> None:
        rendered = default_catalog().render(response, case.language, case.channel, **args).text
        with self.store.Session() as session:
            session.add(UserMessage(conversation_id=case.conversation_id, channel=case.channel, case_id=case.id, text=rendered))
            session.commit()

    def reply(self, reference: str, responder_id: str, text: str) -> Case:
        """A responder's answer, delivered to the person on their channel."""
        if not text.strip():
            raise CaseError("empty reply")
        case = self.store.reply(reference, responder_id, text)
        self._queue_for_user(case, "utter_responder_message", organization=case.organization, message=text.strip())
        return case

    def close(self, reference: str, responder_id: str) -> Case:
        """Give the conversation back to the bot, and tell the person."""
        before = self.store.get(reference)
        case = self.store.close(reference, responder_id)
        if before.status != "closed":
            self._queue_for_user(case, "utter_case_closed")
        return case

    def queue_answers(self, conversation_id: str, channel: str, texts: list[str]) -> None:
        """The bot's answers that could not go back in the webhook's response: delivered by a dispatcher,
        retried until they are, whichever server is still running."""
        if not texts:
            return
        with self.store.Session() as session:
            session.add_all([UserMessage(conversation_id=conversation_id, channel=channel, text=text) for text in texts])
            session.commit()

    def claim_for_delivery(self, channels: tuple[str, ...], now: "dt.datetime", limit: int = 20) -> list[UserMessage]:
        """Pending messages for people on push channels (Telegram, SMS), each taken by one dispatcher only,
        for DELIVERY_LEASE: a dispatcher that dies while sending leaves the row to another one after that."""
        from sqlalchemy import or_, update

        taken = []
        due = (UserMessage.channel.in_(channels), UserMessage.next_attempt_at <= now,
               or_(UserMessage.status == "pending", UserMessage.status == "sending"))
        with self.store.Session() as session:
            rows = session.execute(select(UserMessage.id, UserMessage.next_attempt_at).where(*due)
                                   .order_by(UserMessage.id).limit(limit)).all()
            for row_id, due_at in rows:
                won = session.execute(update(UserMessage).where(
                    UserMessage.id == row_id, UserMessage.next_attempt_at == due_at, UserMessage.status.in_(("pending", "sending")))
                    .values(status="sending", attempts=UserMessage.attempts + 1, next_attempt_at=now + DELIVERY_LEASE)).rowcount
                if won:
                    taken.append(row_id)
            session.commit()
            return list(session.execute(select(UserMessage).where(UserMessage.id.in_(taken))).scalars()) if taken else []

    def delivered(self, row_id: int, ok: bool, retry_at: "dt.datetime") -> None:
        with self.store.Session() as session:
            row = session.get(UserMessage, row_id)
            if row is None:  # erased at the person's request meanwhile
                return
            if ok:
                row.status, row.sent_at = "sent", utcnow()
            else:
                row.status, row.next_attempt_at = "pending", retry_at
            session.commit()

    def release_held(self, conversation_id: str, now: Optional["dt.datetime"] = None) -> int:
        """The person wrote again: their waiting messages are due now (see the SMS window in the dispatcher)."""
        from sqlalchemy import update

        with self.store.Session() as session:
            count = session.execute(update(UserMessage).where(
                UserMessage.conversation_id == conversation_id, UserMessage.status == "pending",
            ).values(next_attempt_at=now or utcnow())).rowcount or 0
            session.commit()
            return count

    def take_for_rest(self, conversation_id: str) -> list[str]:
        """Pending messages of a REST conversation, marked delivered as they are returned."""
        with self.store.Session() as session:
            rows = session.execute(select(UserMessage).where(
                UserMessage.conversation_id == conversation_id, UserMessage.status == "pending").order_by(UserMessage.id)).scalars().all()
            for row in rows:
                row.status, row.sent_at = "sent", utcnow()
            session.commit()
            return [row.text for row in rows]
