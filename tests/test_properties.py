"""Property tests: every op in op_table.OPS, on every backend of its kernel, on random
shapes (zero sizes included), parameters, layouts and values, against the reference."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pykernels.testing import assert_close

from conftest import backends_of
from op_table import LAYOUTS, OPS

CASES = [(spec, backend) for spec in OPS for backend in backends_of(spec.kernel)]


@st.composite
def op_inputs(draw, spec):
    """(arrays, params): sizes within the spec's limits, one argument maybe in an odd layout."""
    sizes = {name: draw(st.integers(low, high), label=name) for name, (low, high) in spec.sizes.items()}
    params = {name: draw(st.sampled_from(choices), label=name) for name, choices in spec.params.items()}
    arrays = spec.arrays(sizes, seed=draw(st.integers(0, 2**32 - 1), label="seed"))  # prepared (ids, codes)
    layout = draw(st.sampled_from(["plain", *LAYOUTS]), label="layout")
    index = draw(st.integers(0, len(arrays) - 1), label="argument")
    if layout != "plain" and arrays[index].size:
        arrays[index] = LAYOUTS[layout](arrays[index])
    return arrays, params


@pytest.mark.parametrize("spec,backend", CASES, ids=[f"{spec.name}-{backend}" for spec, backend in CASES])
def test_matches_reference(spec, backend):
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(op_inputs(spec))
    def check(drawn):
        arrays, params = drawn
        ref64, ref32 = spec.expected(arrays, params)
        before = [a.copy() for a in arrays]
        what = f"{spec.name} on {backend} {[a.shape for a in arrays]} {params}"
        result = spec.call(*arrays, backend=backend, **params)
        if spec.exact:
            np.testing.assert_array_equal(result, ref64, err_msg=what)
        else:
            assert_close(result, ref64, ref32, what=what)
        for name, now, then in zip(spec.args, arrays, before):
            np.testing.assert_array_equal(now, then, err_msg=f"the call changed input {name}")

    check()
