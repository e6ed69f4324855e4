"""``torch.utils.flop_counter``: the floating-point operations a block of code runs, in total, per operator and
per module, forward and backward.

    >>> with FlopCounterMode(display=False, depth=2) as counter:
    ...     model(images).sum().backward()
    >>> counter.get_total_flops()
    >>> counter.get_flop_counts()     # {"Global": {aten.convolution: n, ...}, "ResNet.layer1": {...}, ...}

PyTorch counts in its dispatcher the ATen operators its functions decompose into (conv2d into convolution, a
Linear layer into addmm or mm, its backward into mm, ...) with the formulas registered for them (matrix products
and convolutions; nothing else counts). torchless has no dispatcher: while a counter runs, a ``sys.setprofile``
hook (as the profiler's, see autograd._recording) watches the functions and backward nodes doing those products,
and counts each as the operator PyTorch would run for the same call (its decomposition rules: matmul's folding
into mm or bmm, linear's addmm for a matrix or contiguous input with a bias). Nothing is hooked while no counter
runs. A formula registered for an operator torchless never names is accepted and never called.
"""
import collections
import functools
import math
import sys
import warnings
import weakref

import numpy as np

from ._pytree import tree_flatten, tree_map, tree_map_, tree_unflatten
from .module_tracker import ModuleTracker

__all__ = ["FlopCounterMode", "register_flop_formula"]


class OpOverloadPacket:
    """An ATen operator as a key of the counts: printed ``aten.mm``, shown ``<OpOverloadPacket(op='aten.mm')>``."""

    def __init__(self, namespace, name):
        self._qualified_op_name = f"{namespace}::{name}"
        self.__name__ = name
        self._shown = f"{namespace}.{name}"

    def __str__(self):
        return self._shown

    def __repr__(self):
        return f"<OpOverloadPacket(op='{self._shown}')>"


class _OpNamespace:
    """``torch.ops.aten``: one packet per operator name, made on first use."""

    def __init__(self, name):
        self._name = name
        self._packets = {}

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        packets = self.__dict__["_packets"]
        if name not in packets:
            packets[name] = OpOverloadPacket(self.__dict__["_name"], name)
        return packets[name]


aten = _OpNamespace("aten")


def get_shape(i):
    from .._tensor import Tensor

    return i.shape if isinstance(i, Tensor) else i


def shape_wrapper(f):
    @functools.wraps(f)
    def nf(*args, out_val=None, **kwargs):
        args, kwargs, out_shape = tree_map(get_shape, (args, kwargs, out_val))
        return f(*args, out_shape=out_shape, **kwargs)
    return nf


flop_registry = {}


def register_flop_formula(targets, get_raw=False):
    """Register the decorated ``formula(*args, out_shape=None, **kwargs) -> int`` (given shapes for tensors; with
    ``get_raw``, the tensors and ``out_val``) for the operators ``targets``."""
    def register_fun(flop_formula):
        if not get_raw:
            flop_formula = shape_wrapper(flop_formula)

        def register(target):
            if not isinstance(target, OpOverloadPacket):
                raise ValueError(
                    f"register_flop_formula(targets): expected each target to be OpOverloadPacket (i.e. "
                    f"torch.ops.mylib.foo), JitFunction, or HigherOrderOperator, got {target} which is of type "
                    f"{type(target)}")
            if target in flop_registry:
                raise RuntimeError(f"duplicate registrations for {target}")
            flop_registry[target] = flop_formula

        tree_map_(register, targets)
        return flop_formula

    return register_fun


@register_flop_formula(aten.mm)
def mm_flop(a_shape, b_shape, *args, out_shape=None, **kwargs):
    """Count flops for matmul."""
    m, k = a_shape
    k2, n = b_shape
    if k != k2:
        raise AssertionError(f"matmul: inner dimensions must match (k == k2), got {k} and {k2}")
    # (2 * k - 1 would be exact: PyTorch counts a multiply-add as two)
    return m * n * 2 * k


@register_flop_formula(aten.addmm)
def addmm_flop(self_shape, a_shape, b_shape, out_shape=None, **kwargs):
    """Count flops for addmm."""
    return mm_flop(a_shape, b_shape)


@register_flop_formula(aten.bmm)
def bmm_flop(a_shape, b_shape, out_shape=None, **kwargs):
    """Count flops for the bmm operation."""
    b, m, k = a_shape
    b2, k2, n = b_shape
    if b != b2:
        raise AssertionError(f"bmm: batch dimensions must match (b == b2), got {b} and {b2}")
    if k != k2:
        raise AssertionError(f"bmm: inner dimensions must match (k == k2), got {k} and {k2}")
    return b * m * n * 2 * k


@register_flop_formula(aten.baddbmm)
def baddbmm_flop(self_shape, a_shape, b_shape, out_shape=None, **kwargs):
    """Count flops for the baddbmm operation."""
    return bmm_flop(a_shape, b_shape)


def conv_flop_count(x_shape, w_shape, out_shape, transposed=False):
    """Count flops for convolution: the multiplications and additions of each output point (of each input point,
    for a transposed convolution) with the filter, over the batch and both channel dims; the bias is left out."""
    batch_size = x_shape[0]
    conv_shape = (x_shape if transposed else out_shape)[2:]
    c_out, c_in, *filter_size = w_shape
    return math.prod(conv_shape) * math.prod(filter_size) * batch_size * c_out * c_in * 2


@register_flop_formula([aten.convolution, aten._convolution, aten.cudnn_convolution, aten._slow_conv2d_forward,
                        aten.convolution_overrideable])
def conv_flop(x_shape, w_shape, _bias, _stride, _padding, _dilation, transposed, *args, out_shape=None, **kwargs):
    """Count flops for convolution."""
    return conv_flop_count(x_shape, w_shape, out_shape, transposed=transposed)


@register_flop_formula(aten.convolution_backward)
def conv_backward_flop(grad_out_shape, x_shape, w_shape, _bias, _stride, _padding, _dilation, transposed,
                       _output_padding, _groups, output_mask, out_shape, **kwargs):
    """The input's gradient is the transposed convolution of the output's gradient by the weight; the weight's, the
    convolution of the input (of the output's gradient, for a transposed convolution) by the output's gradient,
    batch and channel dims swapped."""
    def t(shape):
        return [shape[1], shape[0]] + list(shape[2:])

    flop_count = 0
    if output_mask[0]:
        flop_count += conv_flop_count(grad_out_shape, w_shape, get_shape(out_shape[0]), not transposed)
    if output_mask[1]:
        grad_weight_shape = get_shape(out_shape[1])
        if transposed:
            flop_count += conv_flop_count(t(grad_out_shape), t(x_shape), t(grad_weight_shape), transposed=False)
        else:
            flop_count += conv_flop_count(t(x_shape), t(grad_out_shape), t(grad_weight_shape), transposed=False)
    return flop_count


def sdpa_flop_count(query_shape, key_shape, value_shape):
    """Count flops for self-attention (grouped-query attention's key and value heads broadcast to the query's)."""
    b, h_q, s_q, d_q = query_shape
    _b2, h_kv, s_k, _d2 = key_shape
    _b3, _h3, _s3, d_v = value_shape
    if not (b == _b2 == _b3 and h_kv == _h3 and d_q == _d2 and s_k == _s3):
        raise AssertionError(f"sdpa_flop_count: query/key/value shapes are incompatible: q={query_shape}, "
                             f"k={key_shape}, v={value_shape}")
    if h_q < h_kv or h_q % h_kv != 0:
        raise AssertionError(f"sdpa_flop_count: query heads ({h_q}) must be a multiple of key/value heads ({h_kv})")
    return (bmm_flop((b * h_q, s_q, d_q), (b * h_q, d_q, s_k))
            + bmm_flop((b * h_q, s_q, s_k), (b * h_q, s_k, d_v)))


@register_flop_formula([aten._scaled_dot_product_efficient_attention, aten._scaled_dot_product_flash_attention,
                        aten._scaled_dot_product_cudnn_attention])
def sdpa_flop(query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs):
    """Count flops for self-attention."""
    return sdpa_flop_count(query_shape, key_shape, value_shape)


def sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape, value_shape):
    """The backward's four products: the scores and the value's gradient, the scores' and then the query's and
    the key's."""
    b, h_q, s_q, d_q = query_shape
    _b2, h_kv, s_k, _d2 = key_shape
    _b3, _h3, _s3, d_v = value_shape
    _b4, _h4, _s4, _d4 = grad_out_shape
    if not (b == _b2 == _b3 == _b4 and h_kv == _h3 and h_q == _h4 and d_q == _d2):
        raise AssertionError("sdpa_backward_flop_count: batch/heads/dimension mismatch among tensors")
    if not (d_v == _d4 and s_k == _s3 and s_q == _s4):
        raise AssertionError("sdpa_backward_flop_count: grad_out/value/key/query shapes are incompatible")
    if h_q < h_kv or h_q % h_kv != 0:
        raise AssertionError(f"sdpa_backward_flop_count: query heads ({h_q}) must be a multiple of key/value heads "
                             f"({h_kv})")
    total_flops = 0
    total_flops += bmm_flop((b * h_q, s_q, d_v), (b * h_q, d_v, s_k))
    total_flops += bmm_flop((b * h_q, s_k, s_q), (b * h_q, s_q, d_v))
    total_flops += bmm_flop((b * h_q, s_q, s_k), (b * h_q, s_k, d_q))
    total_flops += bmm_flop((b * h_q, d_q, s_q), (b * h_q, s_q, s_k))
    return total_flops


@register_flop_formula([aten._scaled_dot_product_efficient_attention_backward,
                        aten._scaled_dot_product_flash_attention_backward,
                        aten._scaled_dot_product_cudnn_attention_backward])
def sdpa_backward_flop(grad_out_shape, query_shape, key_shape, value_shape, *args, out_shape=None, **kwargs):
    """Count flops for self-attention backward."""
    return sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape, value_shape)


flop_registry = {
    aten.mm: mm_flop,
    aten.addmm: addmm_flop,
    aten.bmm: bmm_flop,
    aten.baddbmm: baddbmm_flop,
    aten.convolution: conv_flop,
    aten._convolution: conv_flop,
    aten.cudnn_convolution: conv_flop,
    aten.convolution_overrideable: conv_flop,
    aten._slow_conv2d_forward: conv_flop,
    aten.convolution_backward: conv_backward_flop,
    aten._scaled_dot_product_efficient_attention: sdpa_flop,
    aten._scaled_dot_product_flash_attention: sdpa_flop,
    aten._scaled_dot_product_cudnn_attention: sdpa_flop,
    aten._scaled_dot_product_efficient_attention_backward: sdpa_backward_flop,
    aten._scaled_dot_product_flash_attention_backward: sdpa_backward_flop,
    aten._scaled_dot_product_cudnn_attention_backward: sdpa_backward_flop,
}


def normalize_tuple(x):
    return x if isinstance(x, tuple) else (x,)


suffixes = ["", "K", "M", "B", "T"]


def get_suffix_str(number):
    """The suffix of ``number``'s order of magnitude, one step lower than its digits would give (1.01B shows as
    1001M)."""
    index = max(0, min(len(suffixes) - 1, (len(str(number)) - 2) // 3))
    return suffixes[index]


def convert_num_with_suffix(number, suffix):
    index = suffixes.index(suffix)
    return f"{number / 1000 ** index:.3f}" + suffixes[index]


def convert_to_percent_str(num, denom):
    if denom == 0:
        return "0%"
    return f"{num / denom:.2%}"


def _pytreeify_preserve_structure(f):
    @functools.wraps(f)
    def nf(args):
        flat_args, spec = tree_flatten(args)
        out = f(*flat_args)
        return tree_unflatten(out, spec)

    return nf


class FlopCounterMode:
    """A context manager counting the floating-point operations run inside it, per operator and per module
    (forward and backward). ``display`` prints the table of :meth:`get_table` (``depth`` levels of modules) on
    exit; ``custom_mapping`` adds or replaces formulas ({aten.op: formula}); ``mods`` is no longer needed.

        >>> with FlopCounterMode(display=False) as counter:
        ...     model(images).sum().backward()
        >>> counter.get_total_flops()
    """

    def __init__(self, mods=None, depth=2, display=True, custom_mapping=None):
        self.flop_counts = collections.defaultdict(lambda: collections.defaultdict(int))
        self.depth = depth
        self.display = display
        self.mode = None
        if custom_mapping is None:
            custom_mapping = {}
        if mods is not None:
            warnings.warn("mods argument is not needed anymore, you can stop passing it", stacklevel=2)
        self.flop_registry = {
            **flop_registry,
            **{k: v if getattr(v, "_get_raw", False) else shape_wrapper(v) for k, v in custom_mapping.items()},
        }
        self.mod_tracker = ModuleTracker()
        self._fused_nodes = weakref.WeakSet()  # nodes of what PyTorch runs as one uncounted kernel (nn.LSTM)

    def get_total_flops(self):
        return sum(self.flop_counts["Global"].values())

    def get_flop_counts(self):
        """{module name ("Global" for all): {operator: flops}}."""
        return {k: dict(v) for k, v in self.flop_counts.items()}

    def get_table(self, depth=None):
        """The counts as a table of modules (``depth`` levels) and their operators, made by the ``tabulate``
        package (as PyTorch's, which raises ModuleNotFoundError without it)."""
        if depth is None:
            depth = self.depth
        if depth is None:
            depth = 999999
        import tabulate

        tabulate.PRESERVE_WHITESPACE = True
        header = ["Module", "FLOP", "% Total"]
        values = []
        global_flops = self.get_total_flops()
        global_suffix = get_suffix_str(global_flops)
        is_global_subsumed = False

        def process_mod(mod_name, depth):
            nonlocal is_global_subsumed
            total_flops = sum(self.flop_counts[mod_name].values())
            is_global_subsumed |= total_flops >= global_flops
            padding = " " * depth
            rows = [[padding + mod_name, convert_num_with_suffix(total_flops, global_suffix),
                     convert_to_percent_str(total_flops, global_flops)]]
            for k, v in self.flop_counts[mod_name].items():
                rows.append([padding + " - " + str(k), convert_num_with_suffix(v, global_suffix),
                             convert_to_percent_str(v, global_flops)])
            return rows

        for mod in sorted(self.flop_counts.keys()):
            if mod == "Global":
                continue
            mod_depth = mod.count(".") + 1
            if mod_depth > depth:
                continue
            values.extend(process_mod(mod, mod_depth - 1))

        # "Global" shows only when some of its FLOPs are outside every module
        if "Global" in self.flop_counts and not is_global_subsumed:
            for value in values:
                value[0] = " " + value[0]
            values = process_mod("Global", 0) + values

        if len(values) == 0:
            values = [["Global", "0", "0%"]]

        return tabulate.tabulate(values, headers=header, colalign=("left", "right", "right"))

    def __enter__(self):
        self.flop_counts.clear()
        self.mod_tracker.__enter__()
        self.mode = _FlopCounterMode(self)
        self.mode.__enter__()
        return self

    def __exit__(self, *args):
        if self.mode is None:
            raise AssertionError("Internal error: FlopCounter.__exit__ called but mode is None")
        self.mode.__exit__(*args)
        self.mode = None
        self.mod_tracker.__exit__()
        if self.display:
            print(self.get_table(self.depth))
        return False

    def _count_flops(self, func_packet, out, args, kwargs):
        if func_packet in self.flop_registry:
            flop_count = self.flop_registry[func_packet](*args, **kwargs, out_val=out)
            for par in set(self.mod_tracker.parents):
                self.flop_counts[par][func_packet] += flop_count
        return out


# ---------------------------------------------------------------------------- watching torchless's products
def _shaped(shape):
    """A tensor of ``shape`` holding no memory, standing for an operand PyTorch's decomposition would make (a
    matrix of folded rows, a transposed weight) in a formula's arguments."""
    from .._tensor import Tensor

    return Tensor._wrap(np.broadcast_to(np.zeros((), np.float32), tuple(shape)))


def _product_plan(a_shape, b_shape, batched, a_requires_grad, b_requires_grad, a_strides, b_strides):
    """(operator, first operand's shape, second's) of the matrix product PyTorch's matmul runs for operands of
    these shapes (at::matmul's dot, mv, mm of folded rows or bmm of broadcast batches), or None for a dot or mv
    product, which count nothing."""
    from .._ops import arithmetic

    a_dims, b_dims = len(a_shape), len(b_shape)
    if batched:
        return aten.bmm, a_shape, b_shape
    if a_dims <= 2 and b_dims <= 2:
        if b_dims == 1:
            return None
        return aten.mm, (a_shape if a_dims == 2 else (1,) + a_shape), b_shape
    if a_dims >= 3 and b_dims <= 2:  # at::matmul's should_fold
        if b_requires_grad or math.prod(a_shape) == 0 or arithmetic._leading_dims_view_layout(a_shape, a_strides):
            if b_dims == 1:
                return None
            return aten.mm, (math.prod(a_shape[:-1]), a_shape[-1]), b_shape
    elif a_dims <= 2 and b_dims >= 3:  # should_fold with the operands' roles swapped, through b.mT
        transposed_shape = b_shape[:-2] + (b_shape[-1], b_shape[-2])
        transposed_strides = b_strides[:-2] + (b_strides[-1], b_strides[-2])
        if a_requires_grad or (a_dims == 1 and (math.prod(b_shape) == 0 or arithmetic._leading_dims_view_layout(
                transposed_shape, transposed_strides))):
            if a_dims == 1:
                return None
            return aten.mm, (math.prod(transposed_shape[:-1]), b_shape[-2]), a_shape[::-1]
    batch = math.prod(np.broadcast_shapes(a_shape[:-2], b_shape[:-2]))
    rows = a_shape[-2] if a_dims >= 2 else 1
    columns = b_shape[-1] if b_dims >= 2 else 1
    return aten.bmm, (batch, rows, a_shape[-1]), (batch, b_shape[0] if b_dims == 1 else b_shape[-2], columns)


def _gradient_products(plan, needs_first, needs_second):
    """The products a product's backward runs for the gradients needed: the output's gradient by the second
    operand transposed, the first operand transposed by the output's gradient (each as many flops as the
    forward's)."""
    operator, a, b = plan
    out = a[:-1] + b[-1:]
    swap = (lambda shape: shape[:-2] + (shape[-1], shape[-2]))
    products = []
    if needs_first:
        products.append((operator, (_shaped(out), _shaped(swap(b)))))
    if needs_second:
        products.append((operator, (_shaped(swap(a)), _shaped(out))))
    return products


def _linear_plan(x, weight, bias, x_contiguous, weight_requires_grad):
    """at::linear's product: with a bias, addmm of the input's rows for a matrix or contiguous input, else matmul's."""
    if weight.ndim == 2 and bias is not None and (x.ndim == 2 or x_contiguous):
        return aten.addmm, (math.prod(x.shape[:-1]), x.shape[-1]), weight.shape[::-1]
    weight_t_shape = weight.shape[::-1]
    weight_t_strides = weight.strides[::-1]
    return _product_plan(x.shape, weight_t_shape, False, False, weight_requires_grad, x.strides, weight_t_strides)


def _convolution_counted(counter, input, weight, bias, transposed, result, groups=None):
    x_shape = tuple(input.shape)
    out_shape = tuple(result.shape)
    if len(x_shape) == weight.dim() - 1:  # an unbatched input, batched by PyTorch's conv*d
        x_shape, out_shape = (1,) + x_shape, (1,) + out_shape
    counter._count_flops(aten.convolution, _shaped(out_shape),
                         (_shaped(x_shape), weight, bias, None, None, None, transposed, None, groups), {})


def _watch_convolve(counter, frame):
    from ..nn._functional import conv

    transposed = frame.f_locals["checks"].__name__.startswith("conv_transpose")
    args, kwargs = frame.f_locals["args"], frame.f_locals["kwargs"]

    def finish(result):
        input, weight, bias = conv._tensors(args, kwargs)
        _convolution_counted(counter, input, weight, bias, transposed, result)
    return finish


def _watch_native_convolution(counter, frame):
    values = frame.f_locals
    input, weight, bias, transposed, groups = (values[name] for name in
                                               ("input", "weight", "bias", "transposed", "groups"))
    return lambda result: _convolution_counted(counter, input, weight, bias, transposed, result, groups)


def _counted_product(counter, plan, first=None):
    if plan is None:
        return
    operator, a, b = plan
    arguments = (_shaped(a), _shaped(b))
    if operator is aten.addmm or operator is aten.baddbmm:
        arguments = (first,) + arguments
    counter._count_flops(operator, _shaped(a[:-1] + b[-1:]), arguments, {})


def _watch_matmul(counter, frame, batched=False):
    values = frame.f_locals
    a, b = values["self"], values["mat2" if batched else "other"]

    def finish(result):
        plan = _product_plan(a.shape, b.shape, batched, a.requires_grad, b.requires_grad, a._data.strides,
                             b._data.strides)
        _counted_product(counter, plan)
    return finish


def _watch_add_product(counter, frame, operator):
    values = frame.f_locals
    input, a, b = values["self"], values.get("mat1", values.get("batch1")), values.get("mat2", values.get("batch2"))

    def finish(result):
        _counted_product(counter, (operator, tuple(a.shape), tuple(b.shape)), input)
    return finish


def _watch_linear(counter, frame):
    values = frame.f_locals
    x, weight, bias = values["input"], values["weight"], values["bias"]

    def finish(result):
        plan = _linear_plan(x._data, weight._data, bias, x.is_contiguous(), weight.requires_grad)
        _counted_product(counter, plan, bias)
    return finish


def _gradients_wanted(node):
    """Which of ``node``'s input gradients the running backward uses: PyTorch's nodes compute only those
    (``should_compute_output``), where torchless's compute every gradient an input requires."""
    from ..autograd import _engine

    needs = list(node.needs_input_grad)
    task = _engine._propagation.task
    leading = None if task is None else task[3]
    if leading is None:  # (a backward of every leaf)
        return needs
    targets = task[2]
    return [need and edge is not None and (id(edge) in targets or id(edge) in leading)
            for need, edge in zip(needs, node.edges)]


def _watch_convolution_backward(counter, frame, transposed):
    node, grad = frame.f_locals["self"], frame.f_locals["grad"]
    if getattr(node, "_joined_as", None) is not None:
        return None
    needs = _gradients_wanted(node)
    needs = tuple(needs) + (False,) * (3 - len(needs))
    groups = node.groups if transposed else node.args[3]

    def finish(result):
        out = tuple(_shaped(shape) if need else None for shape, need in
                    zip((node.x.shape, node.w.shape, (node.w.shape[1 if transposed else 0],)), needs))
        counter._count_flops(aten.convolution_backward, out,
                             (_shaped(grad.shape), _shaped(node.x.shape), _shaped(node.w.shape), None, None, None,
                              None, transposed, None, groups, list(needs)), {})
    return finish


def _watch_product_backward(counter, frame, plan_of):
    node = frame.f_locals["self"]
    if getattr(node, "_joined_as", None) is not None or node in counter._fused_nodes:
        return None

    def finish(result):
        plan, needs = plan_of(node, _gradients_wanted(node))
        if plan is not None:
            for operator, arguments in _gradient_products(plan, *needs):
                counter._count_flops(operator, None, arguments, {})
    return finish


def _linear_backward_plan(node, wanted):
    """(the forward's product, as in the backward: mm for addmm; which operands' gradients are wanted)."""
    x, w = node.x, node.w
    plan = _linear_plan(x, w, True if node.has_bias else None, x.flags.c_contiguous, node.needs_input_grad[1])
    if plan is not None and plan[0] is aten.addmm:  # (addmm's gradients are matrix products)
        plan = (aten.mm,) + plan[1:]
    return plan, wanted[:2]


def _matmul_backward_plan(node, wanted):
    needs = node.needs_input_grad
    return _product_plan(node.a.shape, node.b.shape, node.batched, needs[0], needs[1], node.a.strides,
                         node.b.strides), wanted[:2]


def _add_product_backward_plan(node, wanted):
    operator = {"addmm": aten.mm, "baddbmm": aten.bmm}.get(node.kind)
    plan = None if operator is None else (operator, node.x.shape, node.y.shape)
    return plan, wanted[1:3]


def _einsum_products(shapes, inputs, output):
    """The (batch, rows, summed) and (batch, summed, columns) sizes of the bmm products PyTorch's einsum runs for
    operands of ``shapes`` subscripted ``inputs`` (one letter per dim) into ``output``, as _ops.einsum's
    _recorded_einsum runs them: left to right, a pair at a time, the dims no later operand has summed first
    (without a product), a pair with nothing to sum multiplied (no product)."""
    summed = sorted({label for labels in inputs for label in labels if label not in output})
    order = list(output) + summed
    holders = collections.Counter()  # how many operands have each dim with a size other than 1
    aligned = []
    for shape, labels in zip(shapes, inputs):
        sizes = dict.fromkeys(order, 1)
        sizes.update(zip(labels, shape))  # (a repeated subscript's diagonal has its size)
        holders.update(label for label in set(labels) if sizes[label] != 1)
        aligned.append(sizes)
    products = []
    while len(aligned) > 1:
        left, right = aligned.pop(0), aligned.pop(0)
        contracted = []
        for label in summed:
            in_left, in_right = left[label] != 1, right[label] != 1
            if in_left and in_right:
                holders[label] -= 1
                if holders[label] == 1:  # no operand left has it
                    contracted.append(label)
                    holders[label] = 0
            elif holders[label] == 1 and (in_left or in_right):
                (left if in_left else right)[label] = 1
                holders[label] = 0
        if not contracted:
            aligned.insert(0, {label: max(left[label], right[label]) for label in order})
            continue
        batch = rows = columns = 1
        result = {}
        for label in order:
            if label in contracted:
                result[label] = 1
            elif left[label] != 1:
                if right[label] != 1:
                    batch *= left[label]
                else:
                    rows *= left[label]
                result[label] = left[label]
            else:
                columns *= right[label]
                result[label] = right[label]
        inner = math.prod(left[label] for label in contracted)
        products.append(((batch, rows, inner), (batch, inner, columns)))
        aligned.insert(0, result)
    return products


def _watch_fused_lstm(counter, frame):
    """nn.LSTM, which PyTorch runs (forward and backward) as one oneDNN kernel counting nothing for a float32 input
    not packed without projections; torchless's products in it (its graph's, between the output and the inputs)
    count nothing either."""
    from .._dtype import float32
    from .._tensor import Tensor

    values = frame.f_locals
    if not isinstance(values["input"], Tensor) or values["input"].dtype != float32 or values["self"].proj_size:
        return _UNWATCHED
    inputs = tree_flatten((values["input"], values["hx"]))[0]
    stops = {id(tensor._grad_fn) for tensor in inputs if isinstance(tensor, Tensor) and tensor._grad_fn is not None}

    def finish(result):
        pending = [tensor._grad_fn for tensor in tree_flatten(result)[0]
                   if isinstance(tensor, Tensor) and tensor._grad_fn is not None]
        while pending:
            node = pending.pop()
            if id(node) in stops or node in counter._fused_nodes:
                continue
            counter._fused_nodes.add(node)
            pending.extend(edge for edge in node.edges if edge is not None and not isinstance(edge, Tensor))
    return finish


def _watch_einsum(counter, frame, operands_name):
    values = frame.f_locals
    shapes = [tuple(operand.shape) for operand in values[operands_name]]
    inputs, output = values["inputs"], values["output"]

    def finish(result):
        for first, second in _einsum_products(shapes, inputs, output):
            _counted_product(counter, (aten.bmm, first, second))
    return finish


@functools.cache
def _watchers():
    """{code object: watcher(counter, frame) -> finish(result) or None} of the calls whose products count; an
    entry of None marks a call whose inner products count nothing (PyTorch runs them in one uncounted kernel)."""
    from .._ops import arithmetic, einsum, fused, math_methods
    from .._tensor import Tensor
    from ..nn._functional import _conv_nodes, attention, conv, linear
    from ..nn.modules import rnn

    from ..overrides import undispatched

    watchers = {
        undispatched(conv.conv2d).__code__: _watch_convolve,  # (one code for every conv*d and conv_transpose*d)
        undispatched(conv.native_convolution).__code__: _watch_native_convolution,
        undispatched(linear.linear).__code__: _watch_linear,
        Tensor.matmul.__code__: _watch_matmul,
        Tensor.bmm.__code__: functools.partial(_watch_matmul, batched=True),
        math_methods.addmm.__code__: functools.partial(_watch_add_product, operator=aten.addmm),
        math_methods.baddbmm.__code__: functools.partial(_watch_add_product, operator=aten.baddbmm),
        math_methods.addbmm.__code__: None,
        undispatched(attention.scaled_dot_product_attention).__code__: None,
        attention._FlashAttentionForCpu.backward.__code__: None,
        # (the path of operands requiring a gradient, by bmm products, and the other one, by NumPy's einsum)
        einsum._recorded_einsum.__code__: functools.partial(_watch_einsum, operands_name="operands"),
        einsum.Einsum.forward.__code__: functools.partial(_watch_einsum, operands_name="arrays"),
        rnn.LSTM.forward.__code__: _watch_fused_lstm,
    }
    backward_watchers = {
        _conv_nodes.Convolution: functools.partial(_watch_convolution_backward, transposed=False),
        _conv_nodes.TransposedConvolution: functools.partial(_watch_convolution_backward, transposed=True),
        linear.Linear: functools.partial(_watch_product_backward, plan_of=_linear_backward_plan),
        arithmetic.MatMul: functools.partial(_watch_product_backward, plan_of=_matmul_backward_plan),
        fused.AddProduct: functools.partial(_watch_product_backward, plan_of=_add_product_backward_plan),
    }
    for node_class, watcher in backward_watchers.items():
        # (backward_graph, under create_graph, records its products for a backward of the backward)
        watchers[node_class.backward.__code__] = watchers[node_class.backward_graph.__code__] = watcher
    return watchers


def _nothing(result):
    return None


def _UNWATCHED(result):
    """What a watcher returns for a call whose inner products count as they would on their own."""


class _FlopCounterMode:
    """The profile hook counting for a FlopCounterMode: the outermost watched call running counts when it returns
    (the calls inside it are its own work)."""

    def __init__(self, counter):
        self.counter = counter
        self._watchers = _watchers()
        self._open_frame = None
        self._finish = None
        self._previous_hook = None

    def _hook(self, frame, event, arg):
        if self._previous_hook is not None:
            self._previous_hook(frame, event, arg)
        if event == "call":
            if self._open_frame is None:
                watcher = self._watchers.get(frame.f_code, _nothing)
                if watcher is _nothing:
                    return
                finish = _nothing if watcher is None else (watcher(self.counter, frame) or _nothing)
                if finish is not _UNWATCHED:
                    self._open_frame, self._finish = frame, finish
        elif event == "return" and frame is self._open_frame:
            finish, self._open_frame, self._finish = self._finish, None, None
            if arg is not None:  # (None: the call raised)
                finish(arg)

    def __enter__(self):
        self._previous_hook = sys.getprofile()
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *args):
        sys.setprofile(self._previous_hook)
        self._previous_hook = None
        return False
