"""Which answer a message needs before the dialogue rules see it, in any state of the conversation.

Two things must never be swallowed by whatever the bot asked last:
1. Self-harm, present danger and a bare call for help go to triage, whether
   the bot was waiting for a consent answer, an indicator answer, a country or
   a language (issue 13: "a pending question must never swallow such a message").
2. A reply to an open yes/no question (consent, indicator, "are you in danger
   right now?", erasure) goes to the answering action, in the person's own
   words ("ok do it", "not now, he checks my phone"), so that NLU calling it
   "thank" or "greet" does not leave the question open.

Framework-free: the Rasa policy (rasa_ext/safety_policy.py) and the
evaluation call `route` with what the tracker holds.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional

from bot.risk.cues import default_cues, read_answer
from bot.risk.triage import default_policy, signals_from

TRIAGE = "triage"
ANSWER = "answer"

# Open questions that a yes / no answers (the `awaiting` slot, see actions/pending.py).
YES_NO_QUESTIONS = ("consent:", "indicator:", "in_danger", "erase", "confirm_country:")
# The actions that ask such a question: a reply counts as an answer only right after one of them ran
# (a question answered by a rule in between, "what are my rights?", leaves the old question behind).
ASKING_ACTIONS = ("action_triage", "action_yes_no", "action_fallback", "action_ask_erase", "action_local_help",
                  "action_emergency_contacts")
# Intents that say the message is about something else: the rules answer it and the question stays open.
_OTHER_BUSINESS = ("ask_", "report_", "request_human", "delete_my_data", "choose_language")


def awaits_yes_no(awaiting: Optional[str], last_action: Optional[str] = None, check_fresh: bool = False) -> bool:
    """Whether a yes/no question is open; with check_fresh, only when the bot's last action could have asked it."""
    if not awaiting or not str(awaiting).startswith(YES_NO_QUESTIONS):
        return False
    return not check_fresh or last_action in ASKING_ACTIONS


def route(
    awaiting: Optional[str],
    text: str,
    intent: Optional[str],
    ranking: Mapping[str, float],
    age: Optional[float],
    previous_intents: Iterable[Optional[str]],
    last_action: Optional[str] = None,
    language: Optional[str] = None,
) -> Optional[str]:
    """TRIAGE, ANSWER, or None when the dialogue rules decide."""
    signals = signals_from(intent, text, ranking, age, previous_intents)
    fresh = awaits_yes_no(awaiting, last_action, check_fresh=True)
    answer = read_answer(text, intent, default_cues(), str(awaiting), language) if fresh else None
    if default_policy().safety(signals, answered=answer is not None):
        return TRIAGE
    if not fresh:
        return None
    if answer is not None or intent == "request_human":  # "can i talk to someone" answers an offer of a caseworker
        return ANSWER
    if intent and intent.startswith(_OTHER_BUSINESS):
        return None
    return ANSWER  # unclear: the answering action asks once more
