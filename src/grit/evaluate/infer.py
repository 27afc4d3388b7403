"""One question about one image: the chain, its boxes in original pixels and the annotated picture.

``infer(model, image, question)`` loads the model each call; keep an ``Inferencer`` to ask many
questions of one loaded model. This is what ``grit infer`` runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grit.chain import Chain, parse_chain
from grit.draw import draw_boxes
from grit.evaluate import frames
from grit.evaluate.generate import GenerationSettings, HFBackend
from grit.prompts import build_messages


@dataclass
class InferResult:
    """The completion, its parsed chain, boxes in original-image pixels and the picture with them drawn."""

    question: str
    completion: str
    chain: Chain
    boxes: list[list[float]]
    image: Any  # PIL image with the boxes drawn and numbered

    @property
    def answer(self) -> str | None:
        return self.chain.answer

    def terminal_text(self, color: bool = True) -> str:
        """The chain with each box in its picture colour (control characters neutralised)."""
        from grit.report.chain_markup import chain_terminal

        return chain_terminal(self.completion, color=color, chain=self.chain)


def _open_image(image: Any) -> Any:
    from PIL import Image

    if isinstance(image, (str, Path)):
        with Image.open(image) as im:
            return im.convert("RGB")
    return image.convert("RGB")


@dataclass
class Inferencer:
    """A loaded model that answers questions about images with grounded reasoning chains."""

    model: str
    prompt_mode: str = "grit"
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    system_prompt: str | None = None
    device: str | None = None
    backend: Any = None

    def __post_init__(self) -> None:
        if self.backend is None:
            self.backend = HFBackend(self.model, self.settings, device=self.device)

    def __call__(self, image: Any, question: str) -> InferResult:
        picture = _open_image(image)
        messages = build_messages(question, self.prompt_mode, self.system_prompt)  # type: ignore[arg-type]
        [completion] = self.backend.generate([messages], [picture])
        chain = parse_chain(completion)
        model_boxes = [list(b.coords) for b in chain.boxes]
        boxes = frames.to_pixels(model_boxes, self.backend.model_type, picture.size, self.backend.processor)
        drawn = draw_boxes(picture, boxes, labels=[b.label for b in chain.boxes])
        return InferResult(question, completion, chain, boxes, drawn)


def infer(
    model: str,
    image: Any,
    question: str,
    prompt_mode: str = "grit",
    max_new_tokens: int = 1000,
    device: str | None = None,
    out: str | Path | None = None,
) -> InferResult:
    """Answer ``question`` about ``image`` (a path or PIL image); save the annotated picture to ``out``."""
    runner = Inferencer(model, prompt_mode, GenerationSettings(max_new_tokens=max_new_tokens), device=device)
    result = runner(image, question)
    if out is not None:
        result.image.save(out)
    return result
