"""PyTorch's ONNX exporter exceptions (``torch.onnx.errors``)."""

__all__ = ["OnnxExporterWarning", "OnnxExporterError"]


class OnnxExporterWarning(UserWarning):
    """Warnings in the ONNX exporter."""


class OnnxExporterError(RuntimeError):
    """Errors raised by the ONNX exporter. This is the base class for all exporter errors."""
