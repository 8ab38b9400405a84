"""The precisions are one list, and every table keyed by precision covers exactly that list."""

from __future__ import annotations

import pytest

from gpuwise.core import catalog, report
from gpuwise.core.errors import UserInputError
from gpuwise.core.precision import ACTIVATION_BYTES, PRECISIONS, check_precision


def test_one_list_of_precisions_everywhere() -> None:
    assert report.PRECISIONS is PRECISIONS and catalog.PRECISIONS is PRECISIONS
    assert set(ACTIVATION_BYTES) == set(PRECISIONS)
    assert ACTIVATION_BYTES["fp32"] == ACTIVATION_BYTES["tf32"] == 2 * ACTIVATION_BYTES["bf16"]


@pytest.mark.parametrize("bad", ["fp8", "FP32", "", "int8"])
def test_an_unknown_precision_is_refused_with_the_choices(bad: str) -> None:
    with pytest.raises(UserInputError, match="choose from fp32, tf32, bf16, fp16"):
        check_precision(bad)


def test_known_precisions_pass() -> None:
    assert [check_precision(p) for p in PRECISIONS] == list(PRECISIONS)
