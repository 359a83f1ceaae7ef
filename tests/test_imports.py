"""Every module of ours imports on a clean checkout (a file that never reached git fails here, not in production)."""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "actions", "channels", "rasa_ext")


def _modules() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


@pytest.mark.parametrize("module", _modules())
def test_module_imports(module):
    importlib.import_module(module)


def test_every_source_file_is_tracked_by_git():
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split())
    if not tracked:
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "ls-files", "--others", "--ignored", "--exclude-standard", *PACKAGES, "tests"],
                             cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert [p for p in ignored if p.endswith((".py", ".yml"))] == [], "source files ignored by .gitignore"
