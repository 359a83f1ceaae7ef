"""NLU component: a message that is only a number is a menu answer, not an intent.

Over SMS people answer menus with "1", "2" (in any script: ٢, २, ২, ۲). DIET
would guess a random intent for them; this component, placed after the
classifiers, marks such messages `nlu_fallback` with full confidence so the
dialogue hands them to `action_fallback`, which knows which menu is open.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.text import menu_number

FALLBACK_INTENT = "nlu_fallback"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class NumberReplyClassifier(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "NumberReplyClassifier":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if menu_number(message.get(TEXT)) is None:
                continue
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT, {"name": FALLBACK_INTENT, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": FALLBACK_INTENT, "confidence": 1.0}] + ranking, add_to_output=True)
        return messages
