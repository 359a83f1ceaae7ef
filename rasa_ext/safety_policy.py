"""Dialogue policy: safety first, then answers to the bot's open question, before any rule.

Rasa's rules map an intent to an action whatever the bot asked last, so a
self-harm message classified as "goodbye", or a refusal classified as "thank",
would be answered by the wrong rule. This policy, ranked above RulePolicy,
predicts action_triage or action_yes_no for such messages (the decision is
bot/risk/routing.py) and abstains otherwise. After its own action it predicts
action_listen, because no rule covers that turn.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.risk.routing import ANSWER, TRIAGE, route

ACTIONS = {TRIAGE: "action_triage", ANSWER: "action_yes_no"}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class SafetyFirstPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 5}  # RulePolicy has 4: a tie at confidence 1.0 goes to this policy

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from bot.risk.cues import default_cues

        default_cues()  # compiled when the model loads, not on the first message

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource  # nothing to learn: the decision is data (content/triage*.yml)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = self._next_action(tracker)
        if action is not None:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)

    def _next_action(self, tracker: DialogueStateTracker) -> Optional[str]:
        last = next((e for e in reversed(tracker.events) if isinstance(e, ActionExecuted)), None)
        if last is None:
            return None
        if last.action_name != ACTION_LISTEN_NAME:
            return ACTION_LISTEN_NAME if last.policy and self.__class__.__name__ in last.policy else None
        message = tracker.latest_message
        if not isinstance(message, UserUttered) or message.text is None:
            return None
        parse = message.parse_data or {}
        ranking = {r.get("name"): float(r.get("confidence") or 0.0) for r in parse.get("intent_ranking") or []}
        age = tracker.get_slot("age")
        users = [e for e in tracker.events if isinstance(e, UserUttered)]
        previous = [e.intent_name for e in users[:-1]]
        decided = route(tracker.get_slot("awaiting"), message.text, message.intent_name, ranking,
                        float(age) if isinstance(age, (int, float)) else None, previous, _action_before_latest_message(tracker),
                        tracker.get_slot("language"))
        return ACTIONS.get(decided) if decided else None


_INTERNAL = (ACTION_LISTEN_NAME, "action_extract_slots", "action_extract_context", "action_session_start")


def _action_before_latest_message(tracker: DialogueStateTracker) -> Optional[str]:
    """The bot's last own action before the person's latest message (the one that may have asked a question)."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if seen_user:
                return None
            seen_user = True
        elif seen_user and isinstance(event, ActionExecuted) and event.action_name not in _INTERNAL:
            return event.action_name
    return None
