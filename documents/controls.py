"""Invisible bidirectional controls in a reporter's text, made visible (issue 12, item 7).

U+202E (RIGHT-TO-LEFT OVERRIDE) and its friends change the order in which the characters
around them are displayed, so a sentence can read differently on the case page or in the
signed confirmation (Appendix 1) from what the reporter sent: "paid 100" can show as
"paid 001". They are never needed in Kazakh, Russian or English text. Rather than dropping
them silently (which would also change what was sent), each one is replaced by a visible
placeholder naming it, e.g. "[U+202E]".
"""

from __future__ import annotations

import re

# The Unicode Bidi_Control characters: ALM, LRM, RLM, the embeddings and overrides (LRE, RLE,
# PDF, LRO, RLO) and the isolates (LRI, RLI, FSI, PDI).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def placeholder(char: str) -> str:
    return f"[U+{ord(char):04X}]"


def has_controls(text: str) -> bool:
    return BIDI_CONTROLS.search(text) is not None


def reveal_controls(text: str) -> str:
    """``text`` with every bidirectional control replaced by its placeholder."""
    return BIDI_CONTROLS.sub(lambda m: placeholder(m.group(0)), text)
