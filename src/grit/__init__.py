"""grit: teach vision-language models to think with images (GRIT, Fan et al., 2025).

A model answers a visual question with a grounded reasoning chain -- text interleaved with
bounding boxes -- learned by GRPO-GR from answer-correctness and format rewards only.
Heavy modules (torch, transformers, trl) are imported lazily by the parts that need them,
so ``import grit`` and ``grit --help`` stay fast.
"""

__version__ = "0.1.0"
