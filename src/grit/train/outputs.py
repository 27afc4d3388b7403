"""Output-directory safety: grit never deletes or silently overwrites a user's training outputs.

(The authors' training script deletes the whole output directory at start; PAPER.md §3.)
"""

from __future__ import annotations

import os
from pathlib import Path


class OutputDirError(ValueError):
    """The output directory cannot be used as asked; the message says what to pass instead."""


def resolve_output_dir(output_dir: str | os.PathLike, resume: bool, overwrite: bool) -> str | None:
    """Decide how to use ``output_dir``; return the checkpoint to resume from, if any.

    * missing or empty: start fresh;
    * non-empty with ``resume``: continue from its latest ``checkpoint-N`` (an error if none);
    * non-empty with ``overwrite``: start fresh, writing beside what is there (nothing deleted);
    * non-empty otherwise: refused.
    """
    from transformers.trainer_utils import get_last_checkpoint

    path = Path(output_dir)
    if path.exists() and not path.is_dir():
        raise OutputDirError(f"output_dir: {path} exists and is not a directory")
    non_empty = path.is_dir() and any(path.iterdir())
    if resume:
        checkpoint = get_last_checkpoint(str(path)) if path.is_dir() else None
        if checkpoint is None:
            raise OutputDirError(f"--resume: no checkpoint-N folder in {path} to resume from")
        return checkpoint
    if non_empty and not overwrite:
        raise OutputDirError(
            f"output_dir: {path} is not empty. Pass --resume to continue its latest checkpoint, "
            "--overwrite_output_dir to write into it anyway (nothing is deleted), or choose another folder."
        )
    return None
