"""A model against its compressed versions: float, pruned, int8, and pruned + int8.

    report = compression_report(model, calibration, labels=y)
    report.show(); report.plot("compression.png"); report.to_json("compression.json")

The variants are built with ``pykernels.compress``: "pruned" is ``compress.prune`` (or a
given, already pruned model, e.g. one fine-tuned after pruning) with each layer that has
a sparse twin on main converted to it (Dense -> SparseDense; 1x1 Conv2D ->
SparseConv2D); "int8" is ``compress.quantize`` calibrated on ``calibration``; "pruned +
int8" quantizes the pruned model and makes the layers left in float sparse. A layer
without a converter stays float32 dense, and the table says so per layer.

Per variant: accuracy (when labels are given), the output's relative error against the
float model, the bytes its weights take as stored (a sparse format's values and indices,
int8 codes and scales), and the latency of one forward pass over ``inputs``; the latencies
are timed interleaved (``pykernels.bench.timing.interleaved``), so all variants see the
same machine load.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass

import numpy as np

from pykernels import compress
from pykernels.layers import Conv2D, Dense, Sequential, SparseConv2D, SparseDense
from pykernels.layers.base import Layer, deserialize, serialize
from pykernels.compress.quantize import relative_error
from pykernels.layers.quantized import QuantizedDense


@dataclass(frozen=True)
class LayerForm:
    """How one layer of a variant is stored and run."""

    name: str
    form: str  # e.g. "f32 dense", "f32 csr, 80% zeros", "int8 per-channel"
    bytes: int
    note: str  # why a layer stays float, when it does


@dataclass(frozen=True)
class Variant:
    name: str
    accuracy: float | None
    relative_error: float  # of the output against the float model's
    bytes: int
    seconds: float  # median latency of a forward pass over the inputs
    layers: tuple[LayerForm, ...]


@dataclass
class CompressionReport:
    model: str
    batch: int
    sparsity: float
    pattern: str
    mode: str
    variants: list[Variant]

    def as_dict(self) -> dict:
        return asdict(self)

    def to_json(self, path) -> None:
        with open(path, "w") as f:
            json.dump(self.as_dict(), f, indent=2)

    def show(self) -> None:
        """The variants' table, then each layer's form per variant."""
        from pykernels.bench import report

        base = self.variants[0]
        rows = [([v.name, "—" if v.accuracy is None else f"{100 * v.accuracy:.2f}%", f"{v.relative_error:.2e}",
                  f"{v.bytes:,}", f"{base.bytes / v.bytes:.2f}x", f"{v.seconds * 1e3:.3f}",
                  f"{base.seconds / v.seconds:.2f}x"], None) for v in self.variants]
        report.table(f"compressed versions of {self.model!r}: {self.pattern} pruning to {self.sparsity:.0%}, "
                     f"{self.mode} int8; latency of a batch of {self.batch}, interleaved medians",
                     ["variant", "accuracy", "rel. error vs float", "weight bytes", "smaller", "latency ms",
                      "speedup"], rows)
        names = [layer.name for layer in base.layers]
        rows = [([name, *(_cell(v.layers[i]) for v in self.variants)], None) for i, name in enumerate(names)]
        report.table("per layer: storage form, bytes (and why a layer stays float)",
                     ["layer", *(v.name for v in self.variants)], rows, left=1 + len(self.variants))

    def plot(self, path) -> None:
        """Bars per variant: weight bytes, latency, and accuracy (or output error)."""
        from pykernels.bench.plots import pyplot

        plt = pyplot()
        names = [v.name for v in self.variants]
        colors = ["#4c72b0", "#55a868", "#c44e52", "#8172b2"][:len(names)]
        with_accuracy = all(v.accuracy is not None for v in self.variants)
        panels = [("weight size (KiB)", [v.bytes / 1024 for v in self.variants]),
                  ("latency (ms, median)", [v.seconds * 1e3 for v in self.variants]),
                  ("accuracy (%)", [100 * v.accuracy for v in self.variants]) if with_accuracy else
                  ("output relative error vs float", [v.relative_error for v in self.variants])]
        fig, axes = plt.subplots(1, 3, figsize=(13, 4))
        for ax, (label, values) in zip(axes, panels):
            bars = ax.bar(names, values, color=colors)
            ax.bar_label(bars, fmt="%.3g", fontsize=8)
            ax.set_ylabel(label)
            ax.tick_params(axis="x", labelrotation=15)
            ax.grid(True, axis="y", alpha=0.3)
        if with_accuracy:
            low = min(100 * v.accuracy for v in self.variants)
            axes[2].set_ylim(max(0.0, low - 5), 100)
        fig.suptitle(f"{self.model}: float vs {self.sparsity:.0%} pruned ({self.pattern}) vs {self.mode} int8, "
                     f"batch {self.batch}")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)


def _cell(layer: LayerForm) -> str:
    return f"{layer.form}, {layer.bytes:,} B" + (f" ({layer.note})" if layer.note else "")


def _copy(model: Sequential) -> Sequential:
    twin = deserialize(serialize(model))
    twin.build(model.input_shape)
    twin.set_weights(model.get_weights())
    return twin


def _sparsify(model: Sequential, pattern: str) -> tuple[Sequential, dict[str, str]]:
    """``model`` with its pruned Dense / Conv2D layers as sparse layers (compress.sparsify);
    notes for the float layers left dense."""
    sparse = compress.sparsify(model, pattern)
    sparse.name = model.name
    notes = {layer.name: "kept dense: under 50% zeros, or a grouped conv" for layer in sparse.layers
             if type(layer) in (Dense, Conv2D)}
    return sparse, notes


def compressed(model: Sequential, sparsity: float | None = None, pattern: str = "unstructured",
               mode: str | None = None, calibration=None) -> tuple[Sequential, dict[str, str]]:
    """``model`` pruned to ``sparsity`` (None: as it is) and quantized (``mode`` "static" or
    "dynamic", None: not), layers left in float made sparse where they can be; the notes
    say why a layer with weights stayed float. ``model`` itself is not changed."""
    if sparsity is not None:
        model = compress.prune(_copy(model), sparsity, pattern)
    notes: dict[str, str] = {}
    if mode is not None:
        model = compress.quantize(model, calibration, mode=mode)
        notes = _float_notes(model)
    model, sparse_notes = _sparsify(model, pattern)
    for name, note in sparse_notes.items():
        notes[name] = f"{notes[name]}; {note}" if name in notes else note
    return model, notes


def _form(layer: Layer, note: str) -> LayerForm:
    if isinstance(layer, (SparseDense, SparseConv2D)):
        w = layer.sparse_weight
        stored = sum(v.nbytes for v in vars(w).values() if isinstance(v, np.ndarray))
        bias = 0 if layer.bias is None else layer.bias.nbytes
        zeros = compress.sparsity_of(w)
        return LayerForm(layer.name, f"f32 {type(w).__name__.removesuffix('Matrix').lower()}, {zeros:.0%} zeros",
                         stored + bias, note)
    if isinstance(layer, QuantizedDense):
        w = layer.weights_int8
        bias = 0 if layer.bias is None else layer.bias.nbytes
        zeros = compress.sparsity_of(w.data)
        extra = f", {zeros:.0%} zeros stored (no sparse int8 kernel)" if zeros >= 0.05 else ""
        return LayerForm(layer.name, f"int8 {layer.mode}{extra}", w.data.nbytes + w.scale.nbytes + bias, note)
    weights = layer.weights
    if not weights:
        return LayerForm(layer.name, "no weights", 0, "")
    zeros = compress.sparsity_of(np.concatenate([w.ravel() for w in weights if w.ndim >= 2] or [np.zeros(0)]))
    form = "f32 dense" + (f", {zeros:.0%} zeros" if zeros >= 0.05 else "")
    return LayerForm(layer.name, form, sum(w.nbytes for w in weights), note)


def _float_notes(quantized: Sequential) -> dict[str, str]:
    """Why each layer with weights that ``compress.quantize`` left float was not converted."""
    converted = {e.name for e in quantized.quantization_report.layers}
    return {layer.name: f"no int8 converter for {type(layer).__name__} on main" for layer in quantized.layers
            if layer.weights and layer.name not in converted}


def compression_report(model: Sequential, calibration, inputs=None, labels=None, sparsity: float = 0.8,
                       pattern: str = "unstructured", mode: str = "static", pruned: Sequential | None = None,
                       repeat: int = 7) -> CompressionReport:
    """Float ``model`` against its pruned, int8, and pruned + int8 versions, on ``inputs``
    (default: the calibration data); ``pruned``: an already pruned model to use instead of
    pruning ``model`` by magnitude."""
    from pykernels.bench import timing

    if not isinstance(model, Sequential):
        raise TypeError(f"compression_report: model must be a Sequential, got {type(model).__name__}")
    calibration = np.asarray(calibration, np.float32)
    inputs = calibration if inputs is None else np.asarray(inputs, np.float32)
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if labels.shape[0] != inputs.shape[0]:
            raise ValueError(f"compression_report: {labels.shape[0]} labels for {inputs.shape[0]} inputs")
    model.ensure_built(inputs.shape)
    if pruned is None:
        pruned = compress.prune(_copy(model), sparsity, pattern)
    else:
        sparsity = compress.sparsity_of(np.concatenate([w.ravel() for w in pruned.get_weights() if w.ndim >= 2]))
    variants = {"float": (model, {}), f"pruned {sparsity:.0%}": compressed(pruned, pattern=pattern),
                "int8": compressed(model, mode=mode, calibration=calibration),
                "pruned + int8": compressed(pruned, pattern=pattern, mode=mode, calibration=calibration)}
    for m, _ in variants.values():
        m(inputs)  # warm-up: kernels loaded, sparse/dense dispatch decided
    times = timing.interleaved({name: (lambda m=m: m(inputs)) for name, (m, _) in variants.items()}, repeat)
    reference = model(inputs)
    found = []
    for name, (m, notes) in variants.items():
        out = m(inputs)
        accuracy = None if labels is None else float(np.mean(np.argmax(out, axis=-1) == labels))
        layers = tuple(_form(layer, notes.get(layer.name, "")) for layer in m.layers)
        found.append(Variant(name, accuracy, relative_error(reference, out), sum(l.bytes for l in layers),
                             statistics.median(times[name]), layers))
    return CompressionReport(model.name, inputs.shape[0], sparsity, pattern, mode, found)
