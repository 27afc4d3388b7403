"""Where the shipped toy base model lives (package data, about 10 MB of bf16 safetensors)."""

from __future__ import annotations

from pathlib import Path

BASE_DIR = Path(__file__).parent / "base"


def base_model_path() -> Path:
    """The toy base checkpoint inside the installed package; a clear error if it is missing."""
    if not (BASE_DIR / "model.safetensors").exists():
        raise FileNotFoundError(
            f"the toy base model is missing from {BASE_DIR}; rebuild it with "
            "'grit toy pretrain --out DIR' (see docs/demo.md) and pass --model DIR"
        )
    return BASE_DIR
