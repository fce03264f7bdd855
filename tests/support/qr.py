"""Reading back a QR code that segno drew as SVG: the dark modules of its path, to compare
with the modules of the code for the address it should hold."""

from __future__ import annotations

import re

import segno

_PATH = re.compile(r'<path[^>]*class="qrline"[^>]*\sd="([^"]+)"')
_STEP = re.compile(r"([MmHh])\s*(-?[0-9.]+)(?:[ ,](-?[0-9.]+))?")


def dark_modules(svg: str) -> set[tuple[int, int]]:
    """(column, row) of every dark module the SVG's path strokes (segno draws each row's runs
    of dark modules as horizontal lines through the row's middle)."""
    match = _PATH.search(svg)
    assert match, "no QR path in the SVG"
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, first, second in _STEP.findall(match.group(1)):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            length = float(first) if command == "h" else float(first) - x
            dark.update((int(x) + i, int(y)) for i in range(int(length)))
            x += length
    return dark


def expected_modules(content: str, border: int = 4) -> set[tuple[int, int]]:
    code = segno.make(content, error="m", micro=False)
    return {
        (col, row)
        for row, line in enumerate(code.matrix_iter(border=border))
        for col, value in enumerate(line)
        if value
    }


def holds(svg: str, content: str) -> bool:
    """Whether the SVG draws exactly the QR code of `content`."""
    return dark_modules(svg) == expected_modules(content)
