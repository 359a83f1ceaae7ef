"""Sourced contacts per country, from content/directory.yml (a copy of ../shared/directory.yml).

Every number there carries its public source; null means unknown and stays
unknown: this module only ever returns values present in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from bot.settings import PROJECT_ROOT

# Emergency keys of the directory -> the label key used in content/texts (keys
# not listed use their own name as label key). The suffix keeps a limit the
# key carries (a fire line that serves one city only).
_EMERGENCY_ORDER = ("general", "police", "ambulance", "fire", "fire_rescue", "fire_vientiane", "gendarmerie",
                    "civil_protection", "rescue_provincial", "tourist_police", "humanitarian_info_line")
_LABEL_OF = {"fire_rescue": ("fire", ""), "fire_vientiane": ("fire", " (Vientiane)"), "rescue_provincial": ("rescue", "")}
_META_KEYS = {"source", "quote", "extra_sources", "note"}


@dataclass(frozen=True)
class ContactLine:
    label_key: str
    value: str
    source: str
    suffix: str = ""


class Directory:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.countries: Mapping[str, Any] = data.get("countries", {})

    @classmethod
    def load(cls, path: Path) -> "Directory":
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def knows(self, country: str | None) -> bool:
        return bool(country) and country in self.countries

    def emergency(self, country: str) -> list[ContactLine]:
        """Emergency numbers with a source, general number first."""
        block = (self.countries.get(country) or {}).get("emergency") or {}
        source = block.get("source", "")
        keys = [k for k in _EMERGENCY_ORDER if k in block] + sorted(k for k in block if k not in _EMERGENCY_ORDER and k not in _META_KEYS)
        lines = []
        seen: set[str] = set()
        for key in keys:
            value = block.get(key)
            if not isinstance(value, str) or not value.strip():
                continue
            label, suffix = _LABEL_OF.get(key, (key, ""))
            if (label, value) in seen:
                continue
            seen.add((label, value))
            lines.append(ContactLine(label, value.strip(), source, suffix))
        return lines

    def crisis(self, country: str) -> list[ContactLine]:
        """The suicide / mental-health crisis line when a source gives one, then the emergency numbers."""
        block = (self.countries.get(country) or {}).get("crisis_line") or {}
        line = [ContactLine("crisis_line", str(block["number"]).strip(), block.get("source", ""))] if block.get("number") else []
        return line + self.emergency(country)

    def services(self, country: str, kinds: Iterable[str]) -> list[ContactLine]:
        """Hotlines and offices (trafficking_hotline, child_helpline, iom, unicef) that have a value."""
        entry = self.countries.get(country) or {}
        lines: list[ContactLine] = []
        for kind in kinds:
            if kind in ("trafficking_hotline", "child_helpline"):
                block = entry.get(kind) or {}
                if block.get("number"):
                    lines.append(ContactLine(kind, str(block["number"]).strip(), block.get("source", "")))
            elif kind in ("iom", "unicef"):
                block = entry.get(f"{kind}_office") or {}
                parts = [str(block[k]).strip() for k in ("phone", "website") if block.get(k)]
                if parts:
                    city = f" ({block['city']})" if block.get("city") else ""
                    lines.append(ContactLine(kind, ", ".join(parts), block.get("source", ""), city))
        return lines


def format_lines(lines: Iterable[ContactLine], labels: Mapping[str, str]) -> str:
    """'Police: 100' lines with the language's labels."""
    return "\n".join(f"{labels.get(line.label_key, line.label_key)}{line.suffix}: {line.value}" for line in lines)


@lru_cache(maxsize=1)
def default_directory() -> Directory:
    return Directory.load(PROJECT_ROOT / "content" / "directory.yml")
