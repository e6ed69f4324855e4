"""``torch.onnx``: what model code asks of it (``is_in_onnx_export``) and ``export``, which torchless cannot do.

torchless has no graph to write as ONNX. ``export`` fails where PyTorch's fails without the exporter's packages
(``onnxscript`` for the default exporter, ``onnx`` for the legacy TorchScript-based one, after tracing the model
once), so a script ending with an export stops as it would under PyTorch in such an environment; with the packages
installed it is refused, naming torchless.
"""
import contextlib
import importlib
import importlib.util
import warnings

from . import errors
from .errors import OnnxExporterError

__all__ = ["errors", "export", "is_in_onnx_export", "OnnxExporterError"]

_LEGACY_EXPORTER = ("You are using the legacy TorchScript-based ONNX export. Starting in PyTorch 2.9, the new "
                    "torch.export-based ONNX exporter has become the default. Learn more about the new export logic: "
                    "https://docs.pytorch.org/docs/stable/onnx_export.html. For exporting control flow: "
                    "https://pytorch.org/tutorials/beginner/onnx/export_control_flow_model_to_onnx_tutorial.html")

_exporting = False


def is_in_onnx_export():
    """Returns whether it is in the middle of ONNX export."""
    return _exporting


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None, output_names=None,
           opset_version=None, dynamo=True, external_data=True, dynamic_shapes=None, custom_translation_table=None,
           report=False, optimize=True, verify=False, profile=False, dump_exported_program=False, artifacts_dir=".",
           export_params=True, keep_initializers_as_inputs=False, dynamic_axes=None, training=None,
           operator_export_type=None, do_constant_folding=True, custom_opsets=None, export_modules_as_functions=False,
           autograd_inlining=True):
    """Export ``model`` to ONNX: refused (see the module's docstring), after what PyTorch does before it needs
    the exporter's packages."""
    from ..nn.modules.module import Module
    from .._tensor import Tensor

    if dynamo is True:
        importlib.import_module("onnxscript")  # (where PyTorch's exporter fails without it)
        _refuse()
    warnings.warn(_LEGACY_EXPORTER, DeprecationWarning, stacklevel=2)
    if dynamic_shapes:
        raise ValueError("The exporter only supports dynamic shapes through parameter dynamic_axes when dynamo=False.")
    args = (args,) if isinstance(args, Tensor) else tuple(args)
    if args and isinstance(args[-1], dict):  # (the legacy exporter's keyword arguments, last in args)
        args, kwargs = args[:-1], {**args[-1], **(kwargs or {})}
    # The legacy exporter traces the model in eval mode (training=TrainingMode.EVAL) before writing the graph.
    with _exporting_in_eval_mode(model if isinstance(model, Module) else None):
        model(*args, **(kwargs or {}))
    if importlib.util.find_spec("onnx") is None:
        raise OnnxExporterError("Module onnx is not installed!")
    _refuse()


def _refuse():
    raise OnnxExporterError("torchless cannot export to ONNX: it records no graph of a model's operations")


@contextlib.contextmanager
def _exporting_in_eval_mode(module):
    """A trace as the legacy exporter runs it: is_in_onnx_export() and is_tracing() true, the module in eval mode."""
    global _exporting
    from ..jit import _script

    was_training = module is not None and module.training
    if was_training:
        module.eval()
    _exporting = True
    try:
        with _script.tracing():
            yield
    finally:
        _exporting = False
        if was_training:
            module.train()
