"""The bad-input matrix (rows in bad_input_cases.py): every public op and layer, each bad
input either rejected with the right exception and message or answered correctly."""
import numpy as np
import pytest

from pykernels.testing import assert_close

from bad_input_cases import CASES


def test_matrix_is_large_and_ids_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert len(ids) >= 150


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_input(case):
    if case.raises is not None:
        with pytest.raises(case.raises) as info:
            case.call()
        assert case.match in str(info.value), f"message {str(info.value)!r} lacks {case.match!r}"
        return
    ref64, ref32 = case.reference()
    result = case.call()
    if case.exact:
        np.testing.assert_array_equal(result, ref64)
    else:
        assert_close(result, ref64, ref32, what=case.id)
    if case.check is not None:
        case.check(result)
