"""Which country the person is in: names in every language, and a phone number's country as a default.

Names come from content/countries/<lang>.yml. A phone number's country is
only a default to confirm: migrants often keep the SIM of another country.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from bot.settings import PROJECT_ROOT
from bot.text import words_pattern



def fold(text: str) -> str:
    """Lowercase without diacritics, so 'Perú', 'peru' and 'PERU' match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class CountryNames:
    def __init__(self, names_by_language: Mapping[str, Mapping[str, list[str]]], default_language: str = "en",
                 ambiguous: Iterable[str] = ()) -> None:
        self.by_language = names_by_language
        self.ambiguous = {fold(str(a)).strip() for a in ambiguous}
        self.default_language = default_language
        variants: dict[str, str] = {}
        for names in names_by_language.values():
            for code, items in (names or {}).items():
                for name in items or []:
                    variants.setdefault(fold(str(name)).strip(), str(code))
        self._variants = variants
        self._pattern = words_pattern(variants)

    @classmethod
    def load(cls, folder: Path, default_language: str = "en", ambiguous_file: Path | None = None) -> "CountryNames":
        data = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in sorted(folder.glob("*.yml"))}
        ambiguous = yaml.safe_load(ambiguous_file.read_text(encoding="utf-8")) if ambiguous_file and ambiguous_file.is_file() else []
        return cls(data, default_language, ambiguous or [])

    def name(self, code: str, language: str | None) -> str:
        """The country's name to show in the language (English, then the code, if unknown)."""
        for lang in (language, self.default_language):
            names = (self.by_language.get(lang or "") or {}).get(code)
            if names:
                return str(names[0])
        return code

    def find(self, text: str, asked: bool = False) -> str | None:
        """The one country the message names, or None.

        A message that is just a country name always counts. Inside a longer
        message, names that are also everyday words (content/country_ambiguous.yml:
        "mali" is "financial" in Persian and Urdu) count only when we asked
        which country the person is in.
        """
        if self._pattern is None or not text:
            return None
        folded = fold(text)
        bare = " ".join("".join(" " if unicodedata.category(ch)[0] in "PS" and ch != "'" else ch for ch in folded).split())
        if bare in self._variants:
            return self._variants[bare]
        found = {self._variants[m.group(1)] for m in self._pattern.finditer(folded) if asked or m.group(1) not in self.ambiguous}
        return found.pop() if len(found) == 1 else None


def from_phone_number(number: str | None) -> str | None:
    """ISO 3166-1 alpha-2 region of an E.164 number (e.g. '+977...' -> 'NP'), or None."""
    if not number:
        return None
    import phonenumbers

    raw = number.split(":", 1)[-1]  # 'whatsapp:+977...' -> '+977...'
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed) or None


@lru_cache(maxsize=1)
def default_country_names() -> CountryNames:
    return CountryNames.load(PROJECT_ROOT / "content" / "countries", ambiguous_file=PROJECT_ROOT / "content" / "country_ambiguous.yml")
