"""Reverse-mode automatic differentiation: the graph of Functions and the switches that control it."""
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .function import Function
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated into ``.grad``."""
    from .._tensor import Tensor

    single = isinstance(inputs, Tensor)
    inputs = (inputs,) if single else tuple(inputs)
    saved = [(t._grad, t._hooks) for t in inputs]
    for t in inputs:
        t.grad, t._hooks = None, None
    try:
        outputs.backward(grad_outputs, retain_graph=retain_graph)
        result = tuple(t._grad for t in inputs)
    finally:
        for t, (g, h) in zip(inputs, saved):
            t.grad, t._hooks = g, h
    for t, g in zip(inputs, result):
        if g is None and not allow_unused:
            raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                               "Set allow_unused=True if this is the desired behavior.")
    return result


__all__ = ["Function", "detect_anomaly", "enable_grad", "grad", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "no_grad", "set_detect_anomaly", "set_grad_enabled"]
