"""PyTorch's ``torch.jit`` entry points, for code that scripts, traces, saves and loads models.

torchless has no TorchScript compiler: :func:`script` and :func:`trace` return modules that run the original
Python ``forward`` (sharing its parameters, as PyTorch's scripted modules do), and :func:`save` writes a file
that :func:`load` reads back into such a module. The file holds a pickle of the model, so loading it needs the
model's class importable, as ``torchless.load`` of a whole model does; PyTorch's TorchScript files are not read.
"""
from ._script import (Error, RecursiveScriptModule, ScriptFunction, ScriptModule, TopLevelTracedModule, TracerWarning,
                      annotate, export, freeze, ignore, interface, is_scripting, is_tracing, optimize_for_inference,
                      script, trace, trace_module, unused)
from ._serialization import load, save

__all__ = ["Error", "RecursiveScriptModule", "ScriptFunction", "ScriptModule", "TopLevelTracedModule", "TracerWarning",
           "annotate", "export", "freeze", "ignore", "interface", "is_scripting", "is_tracing", "load",
           "optimize_for_inference", "save", "script", "trace", "trace_module", "unused"]
