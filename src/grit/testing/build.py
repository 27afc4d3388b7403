"""Build, save and cache tiny random models of the supported families (no network)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grit.testing.families import TINY_FAMILIES
from grit.testing.tokenizer import build_tokenizer


@dataclass(frozen=True)
class TinyModelInfo:
    """Where a tiny model was written and how big it is."""

    family: str
    path: Path
    num_parameters: int
    size_bytes: int


def _directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_tiny_model(
    family: str, out_dir: str | os.PathLike, seed: int = 0, overwrite: bool = False
) -> TinyModelInfo:
    """Build a tiny random model of ``family`` with its processor and save both to ``out_dir``.

    The saved folder loads with ``AutoModelForImageTextToText.from_pretrained`` and
    ``AutoProcessor.from_pretrained`` offline. Refuses a non-empty ``out_dir`` unless
    ``overwrite`` (grit never overwrites a user's files unasked).
    """
    try:
        spec = TINY_FAMILIES[family]
    except KeyError:
        raise ValueError(
            f"unknown family {family!r}; tiny models exist for {sorted(TINY_FAMILIES)}"
        ) from None
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{out} is not empty; pass overwrite=True (--overwrite) to write into it")

    import torch
    from transformers import AutoModelForImageTextToText, GenerationConfig

    tokenizer = build_tokenizer(
        special_tokens=spec.special_tokens,
        plain_added_tokens=spec.plain_tokens,
        named_tokens=spec.named_tokens,
        chat_template=spec.chat_template,
    )
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in spec.special_tokens}
    # Round the embedding table up so that every id, special tokens included, has a row.
    ids["__vocab_size__"] = (len(tokenizer) + 63) // 64 * 64
    config = spec.build_config(ids)

    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config, dtype=torch.float32)
    model.generation_config = GenerationConfig(
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
        pad_token_id=ids["<|endoftext|>"],
    )
    processor = spec.build_processor(tokenizer)

    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return TinyModelInfo(
        family=family,
        path=out,
        num_parameters=sum(p.numel() for p in model.parameters()),
        size_bytes=_directory_size(out),
    )


def tiny_model_path(family: str, cache_dir: str | os.PathLike | None = None, seed: int = 0) -> Path:
    """A cached tiny model of ``family`` (built on first use), for tests and examples.

    The cache lives in ``$GRIT_TINY_CACHE`` or the system temp folder; it is built atomically
    (in a sibling folder, then renamed) so concurrent test workers never see half a model.
    """
    root = Path(
        cache_dir or os.environ.get("GRIT_TINY_CACHE") or Path(tempfile.gettempdir()) / "grit-tiny-models"
    )
    target = root / f"{family}-seed{seed}"
    if (target / "config.json").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{family}-", dir=root))
    build_tiny_model(family, staging, seed=seed, overwrite=True)
    try:
        staging.rename(target)
    except OSError:  # another process won the race; its copy is identical
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
    return target
