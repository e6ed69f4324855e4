"""``torch._C`` on torchless: only the namespaces that code written by PyTorch's tools names.

torch.fx records ``F.linear`` and the other nn.functional functions PyTorch binds natively under their compiled
names (``torch._C._nn.linear``), and the code of a GraphModule calls them so; :mod:`torchless._C._nn` gives them.
"""
from . import _nn
from ..overrides import DisableTorchFunctionSubclass, _disabled_torch_function_impl

__all__ = ["DisableTorchFunctionSubclass", "_disabled_torch_function_impl", "_nn"]
