"""Placeholder: filled in by the foundation work."""

TINY_FAMILIES = ("qwen2_5_vl", "qwen2_vl", "qwen3_vl", "internvl")
