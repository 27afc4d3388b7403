"""Evaluation: batched greedy generation, resumable predictions, the paper's metrics (docs/evaluation.md).

- ``run_eval(EvalConfig(...))`` -> ``EvalResult`` (what ``grit eval`` runs)
- ``compute_metrics(records)``, ``format_table(metrics)``, ``read_predictions(path)``
- ``build_record(row, completion, judgment, to_pixels)``: one predictions.jsonl line
- ``union_iou(pred_boxes, gt_boxes)``: the paper's grounding IoU
- ``infer(model, image, question)`` / ``Inferencer``: one question about one image (``grit infer``)
Torch and transformers are imported only when a model is loaded.
"""

from grit.boxes import union_iou
from grit.evaluate.generate import GenerationSettings
from grit.evaluate.metrics import compute_metrics, format_table
from grit.evaluate.predictions import PredictionsWriter, SettingsMismatchError, read_predictions
from grit.evaluate.records import build_record
from grit.evaluate.run import EvalConfig, EvalResult, run_eval

__all__ = [
    "EvalConfig",
    "EvalResult",
    "GenerationSettings",
    "PredictionsWriter",
    "SettingsMismatchError",
    "build_record",
    "compute_metrics",
    "format_table",
    "read_predictions",
    "run_eval",
    "union_iou",
]
