"""Build time and size of each family's tiny test model (targets: < 10 s and < 5 MB each)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from grit.testing import TINY_FAMILIES, build_tiny_model


def main() -> None:
    start = time.perf_counter()
    import transformers  # noqa: F401  (library start-up, paid once per process)

    print(f"importing torch + transformers: {time.perf_counter() - start:.2f} s")
    print(f"{'family':<12} {'build s':>8} {'params':>9} {'MB':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for family in TINY_FAMILIES:
            start = time.perf_counter()
            info = build_tiny_model(family, Path(tmp) / family)
            elapsed = time.perf_counter() - start
            print(f"{family:<12} {elapsed:>8.2f} {info.num_parameters:>9,} {info.size_bytes / 1e6:>6.2f}")


if __name__ == "__main__":
    main()
