"""A chain's text with its box mentions marked, for HTML and for the terminal.

Box ``i`` of a chain has ``grit.draw.box_color(i)`` in the picture, in the HTML text and in the
terminal. The text is model output, hence untrusted: HTML is escaped piece by piece, and in the
terminal every control character (an ANSI escape sequence in a completion could rewrite the
screen) is replaced before colours are added.
"""

from __future__ import annotations

import html
import re

from grit.chain import TAGS, Chain, parse_chain
from grit.draw import box_color

_ESCAPED_TAGS = {html.escape(t): t for t in TAGS}
_TAG_RE = re.compile("|".join(re.escape(t) for t in _ESCAPED_TAGS))
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _pieces(chain: Chain) -> list[tuple[str, int | None]]:
    """The chain text cut into (text, box index or None) pieces."""
    text, at, out = chain.text, 0, []
    for i, b in enumerate(chain.boxes):
        if b.span[0] < at:
            continue
        out.append((text[at : b.span[0]], None))
        out.append((text[b.span[0] : b.span[1]], i))
        at = b.span[1]
    out.append((text[at:], None))
    return [(t, i) for t, i in out if t]


def _html_text(text: str) -> str:
    escaped = html.escape(text, quote=True)
    return _TAG_RE.sub(lambda m: f'<span class="tag">{m.group(0)}</span>', escaped)


def chain_html(completion: str, chain: Chain | None = None) -> str:
    """Escaped HTML of a completion with box ``i`` wrapped in a mark of colour ``box_color(i)``."""
    chain = chain or parse_chain(completion)
    parts = []
    for text, index in _pieces(chain):
        if index is None:
            parts.append(_html_text(text))
            continue
        color = box_color(index)
        parts.append(
            f'<mark class="box" style="border-color:{color};background:{color}40">'
            f"{_html_text(text)}<sup>{index + 1}</sup></mark>"
        )
    return "".join(parts)


def safe_terminal_text(text: str) -> str:
    """``text`` with control characters (ESC included) shown as ``\\xNN`` instead of acted upon."""
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def _ansi(color: str) -> str:
    r, g, b = (int(color[k : k + 2], 16) for k in (1, 3, 5))
    return f"\x1b[1;38;2;{r};{g};{b}m"


def chain_terminal(completion: str, color: bool = True, chain: Chain | None = None) -> str:
    """The completion for a terminal: box ``i`` in ``box_color(i)`` with ``[i+1]`` after it."""
    chain = chain or parse_chain(completion)
    parts = []
    for text, index in _pieces(chain):
        safe = safe_terminal_text(text)
        if index is None:
            parts.append(safe)
        elif color:
            parts.append(f"{_ansi(box_color(index))}{safe}[{index + 1}]\x1b[0m")
        else:
            parts.append(f"{safe}[{index + 1}]")
    return "".join(parts)
