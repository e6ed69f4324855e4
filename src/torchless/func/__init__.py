"""``torch.func``: function transforms (vmap, grad, vjp, jvp, jacrev, jacfwd, hessian) and the functional use of
modules (functional_call, stack_module_state), and einops-style ``rearrange``.

The transforms run on torchless's eager autograd: vmap maps the function over the samples one by one, jvp and
jacfwd run in forward mode (autograd.forward_ad), by reverse mode when composed with it. Their results and argument
errors are PyTorch's.
"""
from ._functional_call import functional_call
from ._module_state import replace_all_batch_norm_modules_, stack_module_state
from ._rearrange import rearrange
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from ._vmap import debug_unwrap, vmap

__all__ = ["debug_unwrap", "functional_call", "functionalize", "grad", "grad_and_value", "hessian", "jacfwd",
           "jacrev", "jvp", "linearize", "rearrange", "replace_all_batch_norm_modules_", "stack_module_state", "vjp", "vmap"]

_REMOVE = {"mutations": "all inplace and out= operators will be removed from the program, and replaced with their "
                        "out-of-place equivalents.",
           "mutations_and_views": "In addition to the above, all aliasing operators {view} will be replaced with "
                                  "their non-aliasing counterparts, {view}_copy."}


def functionalize(func, *, remove="mutations"):
    """``func`` itself: functionalization rewrites a traced program's in-place operations, and torchless runs
    programs eagerly, where ``func``'s results are the same."""
    if remove not in _REMOVE:
        options = "".join(f"\n     remove='{option}': {text}" for option, text in _REMOVE.items())
        raise RuntimeError(f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. "
                           f"Valid options are:{options}\n")
    return func

