"""Language identification accuracy on first messages and with a conversation prior.

Each held-out example is a first message (no prior) and, separately, a
message in an ongoing conversation whose language is already right (prior =
true language). Raw seeded langdetect on the same messages is the baseline.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from bot.bench.data import Labelled, length_bucket
from bot.language.detect import detect, word_count


def _raw_langdetect(text: str) -> str | None:
    from langdetect import DetectorFactory, detect as ld_detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        return ld_detect(text).split("-")[0]
    except LangDetectException:
        return None


def evaluate(rows: Sequence[Labelled], languages: Sequence[str], model: Any) -> dict[str, Any]:
    tallies: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    per_language: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        bucket = length_bucket(word_count(row.text))
        first = detect(row.text, languages, prior=None, model=model).language == row.language
        prior = detect(row.text, languages, prior=row.language, model=model).language == row.language
        raw = _raw_langdetect(row.text) == row.language
        for name, ok in (("first message", first), ("with prior", prior), ("raw langdetect", raw)):
            for key in (bucket, "all", "3+ words" if bucket != "1-2 words" else None):
                if key:
                    tallies[name][key][0] += int(ok)
                    tallies[name][key][1] += 1
        per_language[row.language][0] += int(first)
        per_language[row.language][1] += 1
    return {
        "accuracy": {name: {k: round(c / n, 3) for k, (c, n) in sorted(b.items())} for name, b in tallies.items()},
        "counts": {k: n for k, (c, n) in sorted(tallies["first message"].items())},
        "first_message_by_language": {k: round(c / n, 3) for k, (c, n) in sorted(per_language.items())},
    }
