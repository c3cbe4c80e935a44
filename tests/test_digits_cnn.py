"""The shipped digits CNN (pykernels.models.digits_cnn): float and 80%-pruned weights
classify scikit-learn's digits as trained, through pykernels' kernels."""
import numpy as np
import pytest

from pykernels.models import digits_cnn


@pytest.fixture(scope="module")
def test_split():
    pytest.importorskip("sklearn")
    return digits_cnn.load_data()[1]


def accuracy(model, x, y) -> float:
    return float((model(x).argmax(axis=1) == y).mean())


def test_float_model_accuracy(test_split):
    x, y = test_split
    assert accuracy(digits_cnn.build("float"), x, y) >= 0.98


def test_pruned_model_keeps_accuracy_within_one_point(test_split):
    x, y = test_split
    dense = accuracy(digits_cnn.build("float"), x, y)
    pruned_model = digits_cnn.build("pruned80")
    kernels = [w for w in pruned_model.weights if w.ndim >= 2]
    zeros = sum(int((w == 0).sum()) for w in kernels) / sum(w.size for w in kernels)
    assert zeros == pytest.approx(0.8, abs=1e-3)  # global magnitude pruning to 80%
    assert accuracy(pruned_model, x, y) >= dense - 0.01


def test_unknown_weights_name():
    with pytest.raises(ValueError, match="pruned80"):
        digits_cnn.build("int4")


def test_sparse_layers_keep_the_pruned_accuracy(test_split):
    """compress.sparsify turns the pruned Conv2D / Dense layers into sparse layers: same predictions."""
    from pykernels import compress
    from pykernels.layers import SparseConv2D, SparseDense
    x, y = test_split
    pruned_model = digits_cnn.build("pruned80")
    sparse_model = compress.sparsify(pruned_model, dispatch="sparse")
    kinds = [type(layer) for layer in sparse_model.layers]
    assert SparseConv2D in kinds and SparseDense in kinds
    expected = pruned_model(x)
    np.testing.assert_allclose(sparse_model(x), expected, rtol=1e-4, atol=1e-6)
    assert accuracy(sparse_model, x, y) == accuracy(pruned_model, x, y)
    assert accuracy(sparse_model, x, y) >= accuracy(digits_cnn.build("float"), x, y) - 0.01
