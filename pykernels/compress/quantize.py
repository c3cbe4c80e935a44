"""Post-training quantization of a Sequential or functional model, with a per-layer error report.

    qmodel = pykernels.compress.quantize(model)                              # dynamic
    qmodel = pykernels.compress.quantize(model, x_calib, mode="static", observer="mse")
    print(qmodel.quantization_report)

The walker copies the model layer by layer. A layer whose class has a registered
converter becomes its quantized twin; any other layer (Flatten, Activation, ...) is
copied as it is; nested models are walked recursively. A functional Model's graph is
replayed on new Inputs with the twins in place of its layers. Registered: Dense and
Conv2D (static or dynamic), LSTM and MultiHeadAttention (their activations are always
quantized dynamically: per step, per projection). DepthwiseConv2D stays float. A family
adds its quantized layer with::

    @register_quantizer(Conv2D)
    def _conv(layer, ctx: LayerContext) -> Layer: ...

where ``ctx`` gives the mode, per_channel, the layer's float calibration inputs (or
None) and ``ctx.input_range(qmax)``, the observer's range for static mode.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from pykernels.compress import observers
from pykernels.layers.attention import MultiHeadAttention
from pykernels.layers.base import Layer, as_float32, deserialize, serialize
from pykernels.layers.conv import Conv2D
from pykernels.layers.dense import Dense
from pykernels.layers.functional import Input, Model, SymbolicTensor, _map
from pykernels.layers.quantized import QuantizedConv2D, QuantizedDense, QuantizedLSTM, QuantizedMultiHeadAttention
from pykernels.layers.recurrent import LSTM
from pykernels.layers.sequential import Sequential

MODES = ("dynamic", "static")
QUANTIZERS: dict[type, Callable] = {}


def register_quantizer(layer_class: type):
    """Decorator: ``fn(layer, ctx) -> Layer`` makes the quantized twin of ``layer_class`` layers."""
    def decorate(fn):
        QUANTIZERS[layer_class] = fn
        return fn
    return decorate


@dataclass
class LayerContext:
    """What a converter knows about the layer it quantizes."""

    mode: str
    per_channel: bool
    observer: str
    inputs: np.ndarray | None  # the layer's float inputs on the calibration data (its first call's)
    more_inputs: list = field(default_factory=list)  # inputs of its other calls (a layer shared in a graph)

    def input_range(self, qmax: int = 255) -> tuple[float, float] | None:
        """The calibrated input range (static mode), else None."""
        if self.mode != "static":
            return None
        observer = observers.make(self.observer)
        for inputs in [self.inputs, *self.more_inputs]:
            observer.update(inputs)
        return observer.range(qmax)


def _weighted_twin(twin_class: type):
    """The quantizer of a layer whose twin is ``twin_class.from_float``: static mode fixes
    the input range from calibration, on the twin's own activation code range."""
    def quantize(layer: Layer, ctx: LayerContext) -> Layer:
        twin = twin_class.from_float(layer, per_channel=ctx.per_channel)
        if ctx.mode == "static":
            twin = twin_class.from_float(layer, per_channel=ctx.per_channel,
                                         input_range=ctx.input_range(twin.input_qmax))
        return twin
    return quantize


register_quantizer(Dense)(_weighted_twin(QuantizedDense))
register_quantizer(Conv2D)(_weighted_twin(QuantizedConv2D))


@register_quantizer(LSTM)
def _lstm(layer: LSTM, ctx: LayerContext) -> Layer:
    return QuantizedLSTM.from_float(layer, per_channel=ctx.per_channel)


@register_quantizer(MultiHeadAttention)
def _mha(layer: MultiHeadAttention, ctx: LayerContext) -> Layer:
    return QuantizedMultiHeadAttention.from_float(layer, per_channel=ctx.per_channel)


def sqnr_db(reference: np.ndarray, approx: np.ndarray) -> float:
    """Signal-to-quantization-noise ratio in dB (inf when equal)."""
    reference = np.asarray(reference, np.float64)
    noise = float(np.sum((reference - np.asarray(approx, np.float64)) ** 2))
    signal = float(np.sum(reference ** 2))
    if noise == 0:
        return math.inf
    return 10 * math.log10(signal / noise) if signal > 0 else -math.inf


def relative_error(reference: np.ndarray, approx: np.ndarray) -> float:
    reference = np.asarray(reference, np.float64)
    norm = float(np.linalg.norm(reference))
    diff = float(np.linalg.norm(reference - np.asarray(approx, np.float64)))
    return diff / norm if norm > 0 else (0.0 if diff == 0 else math.inf)


@dataclass
class LayerError:
    name: str
    kind: str                       # the quantized layer's class
    weight_sqnr_db: float | None    # dequantized weights vs float weights
    output_sqnr_db: float | None    # on the calibration data, fed the float model's input
    output_relative_error: float | None


@dataclass
class QuantizationReport:
    mode: str
    observer: str
    per_channel: bool
    layers: list[LayerError] = field(default_factory=list)
    model_sqnr_db: float | None = None  # end to end on the calibration data
    model_relative_error: float | None = None

    def __str__(self) -> str:
        def fmt(v, spec):
            return f"{'—':>{int(spec.split('.')[0])}}" if v is None else format(v, spec)

        lines = [f"quantization report: mode {self.mode}, observer {self.observer}, "
                 f"{'per-channel' if self.per_channel else 'per-tensor'} weights",
                 f"{'layer':24} {'type':16} {'weight SQNR dB':>15} {'output SQNR dB':>15} {'output rel. err':>16}"]
        for e in self.layers:
            lines.append(f"{e.name:24} {e.kind:16} {fmt(e.weight_sqnr_db, '15.1f')} {fmt(e.output_sqnr_db, '15.1f')} "
                         f"{fmt(e.output_relative_error, '16.2e')}")
        if self.model_sqnr_db is not None:
            lines.append(f"model output: SQNR {self.model_sqnr_db:.1f} dB, relative error "
                         f"{self.model_relative_error:.2e}")
        return "\n".join(lines)


def _copy(layer: Layer, input_shape) -> Layer:
    twin = deserialize(serialize(layer))
    twin.ensure_built(input_shape)
    twin.set_weights(layer.get_weights())
    return twin


def _twin(layer: Layer, shape, inputs, more_inputs, ctx_args: dict, report: QuantizationReport) -> Layer | None:
    """The quantized twin of a model or a registered layer, built for ``shape``; None for other layers."""
    if isinstance(layer, Sequential):
        twin = Sequential(_walk(layer, inputs, ctx_args, report), name=layer.name, backend=layer.backend)
        twin.build(shape)
        return twin
    if isinstance(layer, Model):
        return _walk_graph(layer, inputs, ctx_args, report)
    if type(layer) in QUANTIZERS:
        twin = QUANTIZERS[type(layer)](layer, LayerContext(inputs=inputs, more_inputs=more_inputs, **ctx_args))
        twin.ensure_built(shape)
        report.layers.append(_layer_error(layer, twin, inputs))
        return twin
    return None


def _walk(model: Sequential, inputs, ctx_args: dict, report: QuantizationReport) -> list[Layer]:
    """The quantized layers of ``model``; ``inputs``: float calibration inputs (or None)."""
    out, shape = [], model.input_shape
    for layer in model.layers:
        twin = _twin(layer, shape, inputs, [], ctx_args, report)
        out.append(_copy(layer, shape) if twin is None else twin)
        shape = layer.compute_output_shape(shape)
        inputs = None if inputs is None else layer(inputs)
    return out


def _recorded_inputs(model: Model, inputs) -> dict[str, list]:
    """Each layer's first argument in every call of ``model(inputs)``, by layer name."""
    seen: dict[str, list] = {layer.name: [] for layer in model.layers}
    if inputs is None:
        return seen

    def recorder(layer):
        original = layer.call

        def record(x, *args, **kwargs):
            seen[layer.name].append(x)
            return original(x, *args, **kwargs)
        return record

    for layer in model.layers:
        layer.call = recorder(layer)  # an instance attribute shadows the method
    try:
        model(inputs)
    finally:
        for layer in model.layers:
            del layer.call
    return seen


def _walk_graph(model: Model, inputs, ctx_args: dict, report: QuantizationReport, name: str | None = None) -> Model:
    """A functional model's graph replayed on new Inputs with each layer's twin (or copy)."""
    recorded = _recorded_inputs(model, inputs)
    new_inputs = [Input(t.shape[1:], t.dtype, t.name) for t in model.inputs]
    tensors = {id(old): new for old, new in zip(model.inputs, new_inputs)}
    twins: dict[str, Layer] = {}
    copies: list[tuple[Layer, Layer]] = []
    for node in model._nodes:
        layer = node.layer
        if layer.name not in twins:
            calls = recorded[layer.name]
            shape = _map(node.inputs, lambda t: t.shape)
            twin = _twin(layer, list(shape) if layer.multi_input else shape, calls[0] if calls else None, calls[1:],
                         ctx_args, report)
            if twin is None:  # a copy: weights set once the replay has built it
                twin = deserialize(serialize(layer))
                copies.append((layer, twin))
            twins[layer.name] = twin

        def new(leaf):
            return tensors[id(leaf)] if isinstance(leaf, SymbolicTensor) else leaf

        result = twins[layer.name](_map(node.inputs, new), *_map(node.args, new), **_map(node.kwargs, new))
        for old, fresh in zip(node.outputs, result if len(node.outputs) > 1 else [result]):
            tensors[id(old)] = fresh
    for layer, twin in copies:
        twin.set_weights(layer.get_weights())
    outputs = [tensors[id(t)] for t in model.outputs]
    several_in, several_out = model._several_inputs, model._several_outputs
    return Model(new_inputs if several_in else new_inputs[0], outputs if several_out else outputs[0],
                 name=name or model.name)


def _kernels_of(layer: Layer) -> list[np.ndarray]:
    return [w for w in layer.get_weights() if w.ndim >= 2]


def _layer_error(layer: Layer, twin: Layer, inputs) -> LayerError:
    weight_sqnr = None
    equivalent = twin.float_equivalent()
    if equivalent is not None:
        ref, approx = _kernels_of(layer), _kernels_of(equivalent)
        if ref and len(ref) == len(approx):
            weight_sqnr = sqnr_db(np.concatenate([w.ravel() for w in ref]),
                                  np.concatenate([w.ravel() for w in approx]))
    out_sqnr = out_rel = None
    if inputs is not None:
        ref, approx = layer(inputs), twin(inputs)
        if isinstance(ref, list):
            ref, approx = ref[0], approx[0]
        out_sqnr, out_rel = sqnr_db(ref, approx), relative_error(ref, approx)
    return LayerError(layer.name, type(twin).__name__, weight_sqnr, out_sqnr, out_rel)


def quantize(model: Sequential | Model, calibration_data=None, mode: str = "dynamic", per_channel: bool = True,
             observer: str = "minmax") -> Sequential | Model:
    """A quantized copy of ``model`` (the original is untouched), with ``.quantization_report``.

    mode "dynamic": int8 weights, activations quantized per call from their own range.
    mode "static": activation ranges calibrated once on ``calibration_data`` (required)
    with ``observer`` ("minmax", "percentile", "mse"). Calibration data, when given, is
    also what the report's output errors are measured on; NaN or inf in it -> ValueError.
    """
    if not isinstance(model, (Sequential, Model)):
        raise TypeError(f"quantize: model must be a Sequential or a functional Model, got {type(model).__name__}")
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"quantize: mode must be one of {list(MODES)}, got {mode!r}")
    if not isinstance(per_channel, bool):
        raise TypeError(f"quantize: per_channel must be a bool, got {type(per_channel).__name__}")
    observers.make(observer)  # validates the name
    if mode == "static" and calibration_data is None:
        raise ValueError("quantize: mode 'static' needs calibration_data to calibrate activation ranges")
    inputs = None
    if calibration_data is not None:
        graph = isinstance(model, Model)
        inputs = model.prepare_input(calibration_data) if graph else as_float32(calibration_data, model)
        arrays = inputs if isinstance(inputs, list) else [inputs]
        if any(a.size == 0 for a in arrays):
            raise ValueError(f"quantize: calibration_data is empty (shapes {[a.shape for a in arrays]})")
        if not all(np.isfinite(a).all() for a in arrays):
            raise ValueError("quantize: calibration_data contains NaN or inf")
        if not graph:
            model.ensure_built(inputs.shape)
    elif not model.built:
        raise ValueError(f"quantize: {model} is not built; call it on data or pass calibration_data")
    report = QuantizationReport(mode, observer, per_channel)
    ctx_args = {"mode": mode, "per_channel": per_channel, "observer": observer}
    if isinstance(model, Model):
        qmodel = _walk_graph(model, inputs, ctx_args, report, name=f"{model.name}_int8")
    else:
        qmodel = Sequential(_walk(model, inputs, ctx_args, report), name=f"{model.name}_int8", backend=model.backend)
        qmodel.build(model.input_shape)
    if inputs is not None:
        ref, approx = model(inputs), qmodel(inputs)
        if isinstance(ref, list):  # several outputs: the error over all of them
            ref, approx = (np.concatenate([a.ravel() for a in arrays]) for arrays in (ref, approx))
        report.model_sqnr_db, report.model_relative_error = sqnr_db(ref, approx), relative_error(ref, approx)
    qmodel.quantization_report = report
    return qmodel
