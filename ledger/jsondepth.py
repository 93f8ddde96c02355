"""How deep a JSON text nests, counted before any parser runs on it.

Python's ``json`` recurses per level: a 200 KB text nested 100,000 deep exhausts its stack (a
RecursionError, or worse, in what then walks the result). Every JSON the node or the command line
takes from outside (request bodies, files, import lines) is measured here first; no document of
ours nests deeper than :data:`MAX_JSON_DEPTH`.
"""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 32
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(rb"[\[\]{}]")


def json_depth(text: bytes) -> int:
    """How deeply ``text`` nests, counted on its brackets outside strings (no parser is run on it)."""
    if text.count(b"[") + text.count(b"{") <= MAX_JSON_DEPTH:  # cannot nest deeper than it has openings
        return text.count(b"[") + text.count(b"{")
    depth = deepest = 0
    for m in _BRACKETS.finditer(_STRINGS.sub(b"", text)):
        depth += 1 if m.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def too_deep(text: bytes) -> str | None:
    """Why ``text`` is refused for its nesting, or None."""
    depth = json_depth(text)
    return (
        f"it nests {depth} levels deep; no document of ours nests more than {MAX_JSON_DEPTH}"
        if depth > MAX_JSON_DEPTH
        else None
    )
