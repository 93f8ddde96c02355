"""A category's fields and the bitmask that names some of them: bit i is the category's field i, in the
order the category was defined on-chain (``RecordRegistry.defineCategory``). Grants, requests,
emergency declarations and the access rule carry masks; people name fields. This is the one
translation between the two."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ledger.errors import InvalidInput


def mask_of(names: Sequence[str], fields: Iterable[str], *, category: str = "") -> int:
    """The mask of ``fields`` among ``names``; refused (422 ``UnknownField``) if one is not a field of it."""
    wanted = set(fields)
    unknown = sorted(wanted - set(names))
    if unknown:
        raise InvalidInput(
            f"category {category!r} has no field(s) {', '.join(unknown)}; its fields are {', '.join(names)}",
            error="UnknownField",
        )
    return sum(1 << names.index(f) for f in wanted)


def fields_of(names: Sequence[str], mask: int) -> list[str]:
    """The field names a mask selects, in the category's order."""
    return [n for i, n in enumerate(names) if mask >> i & 1]
