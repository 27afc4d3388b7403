"""Reports: the self-contained HTML report of an evaluation and chains marked up for terminals.

- ``write_report(out_dir, records=None, metrics=None, image_for=None, max_samples=500, title=...)`` -> path
- ``render_report(records, metrics, image_for=None, max_samples=500)`` -> HTML string
- ``chain_html(completion)``, ``chain_terminal(completion, color=True)``, ``safe_terminal_text``
"""

from grit.report.chain_markup import chain_html, chain_terminal, safe_terminal_text
from grit.report.html_report import render_report, write_report

__all__ = ["chain_html", "chain_terminal", "render_report", "safe_terminal_text", "write_report"]
