"""Batched greedy generation (the paper's evaluation decoding) with transformers, or optionally vLLM.

A backend turns a batch of (chat messages, PIL image) into completion strings. Both stop at
``</answer>`` (PAPER.md §2) and never emit image placeholder tokens
(``grit.generation.placeholder_token_ids``). Completions are decoded keeping special tokens
(InternVL's ``<ref>``/``<box>`` and Qwen2-VL's ``<|box_start|>`` are special and carry boxes) and
cut at the first end-of-turn or padding token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from grit.generation import placeholder_token_ids

STOP_STRING = "</answer>"


class Backend(Protocol):
    processor: Any
    model_type: str

    def generate(self, prompts: Sequence[list[dict[str, Any]]], images: Sequence[Any]) -> list[str]: ...


@dataclass
class GenerationSettings:
    """Decoding and processor settings that change what the model writes (part of the resume key)."""

    max_new_tokens: int = 1000  # PAPER.md §4: max completion 1000 tokens
    stop_at_answer: bool = True
    min_pixels: int | None = None  # None: the processor's own pixel budget
    max_pixels: int | None = None
    dtype: str = "auto"


def _resolve_dtype(name: str) -> Any:
    import torch

    if name == "auto":
        return (
            torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
        )
    return {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}[name]


def load_processor(model: str, settings: GenerationSettings) -> Any:
    from transformers import AutoProcessor

    from grit.families import apply_pixel_budget

    processor = AutoProcessor.from_pretrained(model, padding_side="left")
    apply_pixel_budget(processor, settings.min_pixels, settings.max_pixels)
    return processor


def model_type_of(model: str) -> str:
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(model).model_type


def strip_end_tokens(text: str, end_tokens: Sequence[str]) -> str:
    """Cut a decoded completion at the first end-of-turn/padding token and after ``</answer>``."""
    for token in end_tokens:
        j = text.find(token)
        if j >= 0:
            text = text[:j]
    j = text.find(STOP_STRING)
    if j >= 0:
        text = text[: j + len(STOP_STRING)]
    return text


@dataclass
class HFBackend:
    """transformers ``generate`` with left padding, greedy, batched."""

    model_path: str
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    device: str | None = None
    processor: Any = field(init=False)
    model: Any = field(init=False)
    model_type: str = field(init=False)

    def __post_init__(self) -> None:
        import torch
        from transformers import AutoModelForImageTextToText

        self.processor = load_processor(self.model_path, self.settings)
        self.model = AutoModelForImageTextToText.from_pretrained(
            self.model_path, dtype=_resolve_dtype(self.settings.dtype)
        )
        device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model.to(device).eval()
        self.model_type = self.model.config.model_type
        tok = self.processor.tokenizer
        self._suppress = placeholder_token_ids(self.processor)
        ends = {tok.eos_token, tok.pad_token, "<|im_end|>", "<|endoftext|>", "<|eot_id|>"}
        self._end_tokens = sorted(t for t in ends if t)

    def generate(self, prompts: Sequence[list[dict[str, Any]]], images: Sequence[Any]) -> list[str]:
        import torch

        processor = self.processor
        texts = [
            processor.apply_chat_template(p, add_generation_prompt=True, tokenize=False) for p in prompts
        ]
        inputs = processor(text=texts, images=list(images), return_tensors="pt", padding=True)
        inputs = inputs.to(self.model.device)
        kwargs: dict[str, Any] = {
            "do_sample": False,
            "max_new_tokens": self.settings.max_new_tokens,
            "suppress_tokens": self._suppress,
        }
        if self.settings.stop_at_answer:
            kwargs.update(stop_strings=[STOP_STRING], tokenizer=processor.tokenizer)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **kwargs)
        new = out[:, inputs["input_ids"].shape[1] :]
        decoded = processor.tokenizer.batch_decode(new, skip_special_tokens=False)
        return [strip_end_tokens(t, self._end_tokens) for t in decoded]


@dataclass
class VLLMBackend:
    """vLLM offline generation (optional extra ``grit[vllm]``); the prompt is the processor's chat text.

    Not exercised by the test suite (needs a GPU); kept small on purpose.
    """

    model_path: str
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    processor: Any = field(init=False)
    model_type: str = field(init=False)

    def __post_init__(self) -> None:
        try:
            from vllm import LLM, SamplingParams
        except ImportError as exc:
            raise RuntimeError("the vLLM backend needs vllm: pip install 'grit[vllm]'") from exc
        self.processor = load_processor(self.model_path, self.settings)
        self.model_type = model_type_of(self.model_path)
        mm_kwargs: dict[str, Any] = {}
        if self.settings.min_pixels is not None:
            mm_kwargs["min_pixels"] = self.settings.min_pixels
        if self.settings.max_pixels is not None:
            mm_kwargs["max_pixels"] = self.settings.max_pixels
        self._llm = LLM(
            model=self.model_path,
            limit_mm_per_prompt={"image": 1},
            mm_processor_kwargs=mm_kwargs or None,
        )
        tok = self.processor.tokenizer
        self._params = SamplingParams(
            temperature=0.0,
            max_tokens=self.settings.max_new_tokens,
            stop=[STOP_STRING] if self.settings.stop_at_answer else None,
            include_stop_str_in_output=True,
            skip_special_tokens=False,
            logit_bias={i: -100.0 for i in placeholder_token_ids(tok)} or None,
        )
        self._end_tokens = sorted(t for t in {tok.eos_token, tok.pad_token, "<|im_end|>"} if t)

    def generate(self, prompts: Sequence[list[dict[str, Any]]], images: Sequence[Any]) -> list[str]:
        texts = [
            self.processor.apply_chat_template(p, add_generation_prompt=True, tokenize=False) for p in prompts
        ]
        requests = [
            {"prompt": t, "multi_modal_data": {"image": im}} for t, im in zip(texts, images, strict=False)
        ]
        outputs = self._llm.generate(requests, self._params, use_tqdm=False)
        return [strip_end_tokens(o.outputs[0].text, self._end_tokens) for o in outputs]


@dataclass
class ReplayBackend:
    """Completions written elsewhere (``--completions FILE``: JSON Lines with ``id`` and ``completion``).

    Lets a user score outputs of another system with grit's metrics, and lets tests feed known
    completions through the whole evaluation path. Only the processor is loaded (for coordinate frames).
    """

    model_path: str
    completions: Mapping[str, str]
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    processor: Any = field(init=False)
    model_type: str = field(init=False)
    ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.processor = load_processor(self.model_path, self.settings)
        self.model_type = model_type_of(self.model_path)

    def generate_for(self, ids: Sequence[str]) -> list[str]:
        return [self.completions.get(str(i), "") for i in ids]

    def generate(self, prompts: Sequence[list[dict[str, Any]]], images: Sequence[Any]) -> list[str]:
        raise TypeError("ReplayBackend answers by row id: call generate_for(ids)")


def read_completions(path: str) -> dict[str, str]:
    import json

    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                out[str(item["id"])] = str(item["completion"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(
                    f"{path}:{number}: expected an object with 'id' and 'completion' ({exc})"
                ) from None
    return out
