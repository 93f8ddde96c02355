"""A category's field names and the masks grants carry: one translation, both ways, refusing unknown fields."""

from __future__ import annotations

import pytest

from ledger.errors import InvalidInput
from ledger.records.schema import fields_of, mask_of
from tests.support import HOUSEHOLD_FIELDS


def test_a_mask_names_the_fields_in_the_categorys_order_whatever_order_they_were_asked_in() -> None:
    mask = mask_of(HOUSEHOLD_FIELDS, ["income_band", "address", "address"])
    assert mask == 1 << 1 | 1 << 5
    assert fields_of(HOUSEHOLD_FIELDS, mask) == ["address", "income_band"]


def test_a_field_the_category_does_not_have_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as refused:
        mask_of(HOUSEHOLD_FIELDS, ["address", "salary"], category="household")
    assert refused.value.error == "UnknownField" and "salary" in str(refused.value)
    assert str(refused.value).endswith("its fields are " + ", ".join(HOUSEHOLD_FIELDS))  # what to type instead
