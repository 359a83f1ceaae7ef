"""Train the Rasa model only when its inputs changed.

The model file is named after a fingerprint of everything that shapes it
(config, domain, training data, Rasa version), so an unchanged project finds
its model and starts without training, and switching branches back reuses an
older model instead of retraining.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Mapping

MODEL_PREFIX = "helpline-"
KEEP_MODELS = 3


def training_inputs(root: Path) -> list[Path]:
    """Files whose content decides the trained model."""
    files = [root / "config.yml"]
    domain = root / "domain.yml"
    files += sorted((root / "domain").rglob("*.yml")) if (root / "domain").is_dir() else [domain]
    files += sorted(p for p in (root / "data").rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml", ".txt"))
    return [p for p in files if p.exists()]


def fingerprint(root: Path, files: Iterable[Path] | None = None) -> str:
    """Hash of the training inputs' paths and bytes plus the Rasa version."""
    import rasa

    digest = hashlib.sha256(f"rasa={rasa.__version__}\n".encode())
    for path in files if files is not None else training_inputs(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path) -> Path:
    return root / "models" / f"{MODEL_PREFIX}{fingerprint(root)}.tar.gz"


def current_model(root: Path) -> Path | None:
    """The model matching the training inputs, or None if it must be trained."""
    path = model_path(root)
    return path if path.is_file() else None


def train(root: Path, env: Mapping[str, str] | None = None, force: bool = False) -> Path:
    """Return the up-to-date model, training it first if needed."""
    target = model_path(root)
    if target.is_file() and not force:
        print(f"Model is up to date: {target.relative_to(root)} (no training needed)")
        target.touch()  # newest model is the one `rasa test` picks
        return target
    print("Training the model (config, domain or data changed)...", flush=True)
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", "config.yml",
        "--domain", "domain.yml",
        "--data", "data",
        "--out", "models",
        "--fixed-model-name", target.name[: -len(".tar.gz")],
    ]
    subprocess.run(command, cwd=root, env=dict(env or os.environ), check=True)
    if not target.is_file():
        raise RuntimeError(f"rasa train finished but {target} is missing")
    _prune(root / "models", keep=target)
    return target


def _prune(folder: Path, keep: Path) -> None:
    """Keep the newest few models so switching back is cheap but disk stays small."""
    models = sorted(folder.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [m for m in models if m != keep][KEEP_MODELS - 1 :]:
        old.unlink(missing_ok=True)
