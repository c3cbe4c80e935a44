"""Post-training quantization of a Sequential model, with a per-layer error report.

    qmodel = pykernels.compress.quantize(model)                              # dynamic
    qmodel = pykernels.compress.quantize(model, x_calib, mode="static", observer="mse")
    print(qmodel.quantization_report)

The walker copies the model layer by layer. A layer whose class has a registered
converter becomes its quantized twin; any other layer (Flatten, Activation, ...) is
copied as it is; nested Sequential models are walked recursively. A family adds its
quantized layer with::

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
from pykernels.layers.base import Layer, as_float32, deserialize, serialize
from pykernels.layers.dense import Dense
from pykernels.layers.quantized import QuantizedDense
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
    inputs: np.ndarray | None  # the layer's float inputs on the calibration data

    def input_range(self, qmax: int = 255) -> tuple[float, float] | None:
        """The calibrated input range (static mode), else None."""
        if self.mode != "static":
            return None
        observer = observers.make(self.observer)
        observer.update(self.inputs)
        return observer.range(qmax)


@register_quantizer(Dense)
def _dense(layer: Dense, ctx: LayerContext) -> Layer:
    twin = QuantizedDense.from_float(layer, per_channel=ctx.per_channel)
    if ctx.mode == "static":
        twin = QuantizedDense.from_float(layer, per_channel=ctx.per_channel,
                                         input_range=ctx.input_range(twin.input_qmax))
    return twin


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


def _copy(layer: Layer, input_shape: tuple) -> Layer:
    twin = deserialize(serialize(layer))
    twin.ensure_built(input_shape)
    twin.set_weights(layer.get_weights())
    return twin


def _walk(model: Sequential, inputs, ctx_args: dict, report: QuantizationReport) -> list[Layer]:
    """The quantized layers of ``model``; ``inputs``: float calibration inputs (or None)."""
    out, shape = [], model.input_shape
    for layer in model.layers:
        if isinstance(layer, Sequential):
            twin = Sequential(_walk(layer, inputs, ctx_args, report), name=layer.name, backend=layer.backend)
            twin.build(shape)
        elif type(layer) in QUANTIZERS:
            twin = QUANTIZERS[type(layer)](layer, LayerContext(inputs=inputs, **ctx_args))
            twin.ensure_built(shape)
            report.layers.append(_layer_error(layer, twin, inputs))
        else:
            twin = _copy(layer, shape)
        out.append(twin)
        shape = layer.compute_output_shape(shape)
        inputs = None if inputs is None else layer(inputs)
    return out


def _layer_error(layer: Layer, twin: Layer, inputs) -> LayerError:
    weight_sqnr = None
    if hasattr(twin, "weights_int8") and hasattr(layer, "kernel"):
        weight_sqnr = sqnr_db(layer.kernel.T, twin.weights_int8.dequantize())
    out_sqnr = out_rel = None
    if inputs is not None:
        ref, approx = layer(inputs), twin(inputs)
        out_sqnr, out_rel = sqnr_db(ref, approx), relative_error(ref, approx)
    return LayerError(layer.name, type(twin).__name__, weight_sqnr, out_sqnr, out_rel)


def quantize(model: Sequential, calibration_data=None, mode: str = "dynamic", per_channel: bool = True,
             observer: str = "minmax") -> Sequential:
    """A quantized copy of ``model`` (the original is untouched), with ``.quantization_report``.

    mode "dynamic": int8 weights, activations quantized per call from their own range.
    mode "static": activation ranges calibrated once on ``calibration_data`` (required)
    with ``observer`` ("minmax", "percentile", "mse"). Calibration data, when given, is
    also what the report's output errors are measured on; NaN or inf in it -> ValueError.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"quantize: model must be a Sequential, got {type(model).__name__}")
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"quantize: mode must be one of {list(MODES)}, got {mode!r}")
    if not isinstance(per_channel, bool):
        raise TypeError(f"quantize: per_channel must be a bool, got {type(per_channel).__name__}")
    observers.make(observer)  # validates the name
    if mode == "static" and calibration_data is None:
        raise ValueError("quantize: mode 'static' needs calibration_data to calibrate activation ranges")
    inputs = None
    if calibration_data is not None:
        inputs = as_float32(calibration_data, model)
        if inputs.size == 0:
            raise ValueError(f"quantize: calibration_data is empty (shape {inputs.shape})")
        if not np.isfinite(inputs).all():
            raise ValueError("quantize: calibration_data contains NaN or inf")
        model.ensure_built(inputs.shape)
    elif not model.built:
        raise ValueError(f"quantize: {model} is not built; call it on data or pass calibration_data")
    report = QuantizationReport(mode, observer, per_channel)
    ctx_args = {"mode": mode, "per_channel": per_channel, "observer": observer}
    qmodel = Sequential(_walk(model, inputs, ctx_args, report), name=f"{model.name}_int8", backend=model.backend)
    qmodel.build(model.input_shape)
    if inputs is not None:
        ref, approx = model(inputs), qmodel(inputs)
        report.model_sqnr_db, report.model_relative_error = sqnr_db(ref, approx), relative_error(ref, approx)
    qmodel.quantization_report = report
    return qmodel
