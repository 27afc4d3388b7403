"""A small byte-level BPE tokenizer, trained offline, with a model family's special tokens.

Real Qwen/InternVL tokenizers are byte-level BPEs over ~150k entries; a test model needs the
same *behaviour* (byte-level, digits split one by one, the family's special tokens as single
ids) at a tiny fraction of the size, so the vocabulary is trained here on a short corpus of the
words grit's prompts and chains use.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from grit.prompts import COT_SUFFIX, DIRECT_SUFFIX, GRIT_SUFFIX

_CORPUS = [
    GRIT_SUFFIX,
    DIRECT_SUFFIX,
    COT_SUFFIX,
    "Question: How many red circles are there? Is the blue square left of the green triangle?",
    '<think> I see a red circle at {"bbox_2d": [12, 30, 64, 88], "label": "circle"} and '
    "another one at [100, 20, 150, 70]. </think> <rethink> There are two circles. </rethink> "
    "<answer> 2 </answer>",
    "yes no zero one two three four five six seven eight nine ten left right above below next to",
    "the a an of in on is are there what where which color colour shape square circle triangle "
    "star cross diamond ring object objects image picture box boxes region count number answer",
    "The quick brown fox jumps over the lazy dog. 0123456789 (x1, y1, x2, y2) [[0, 0], [1, 1]]",
]


def train_byte_level_bpe(
    vocab_size: int = 512, corpus: Sequence[str] | None = None
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Vocabulary and merges of a byte-level BPE trained on ``corpus`` (default: grit's prompt words)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(list(corpus) if corpus is not None else _CORPUS * 4, trainer=trainer)
    model = json.loads(tokenizer.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return dict(model["vocab"]), merges


def build_tokenizer(
    special_tokens: Sequence[str],
    plain_added_tokens: Sequence[str] = (),
    named_tokens: dict[str, str] | None = None,
    eos_token: str = "<|im_end|>",
    pad_token: str = "<|endoftext|>",
    chat_template: str | None = None,
    vocab_size: int = 512,
    corpus: Sequence[str] | None = None,
):
    """A ``Qwen2Tokenizer`` (the class every supported family uses) with the given added tokens.

    ``special_tokens`` are added as special (skipped when decoding with skip_special_tokens),
    ``plain_added_tokens`` as single-id non-special tokens (e.g. Qwen3's ``<think>``), and
    ``named_tokens`` become attributes such as ``tokenizer.context_image_token`` that the
    InternVL processor reads.
    """
    from tokenizers import AddedToken
    from transformers import Qwen2Tokenizer

    vocab, merges = train_byte_level_bpe(vocab_size, corpus)
    tokenizer = Qwen2Tokenizer(
        vocab=vocab,
        merges=merges,
        unk_token=None,
        eos_token=eos_token,
        pad_token=pad_token,
        extra_special_tokens=dict(named_tokens or {}),
        model_max_length=32768,
    )
    tokenizer.add_tokens(
        [AddedToken(t, special=True, normalized=False) for t in special_tokens], special_tokens=True
    )
    if plain_added_tokens:
        tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in plain_added_tokens])
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    return tokenizer
