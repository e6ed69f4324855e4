"""repr() of tensors, following PyTorch's printing rules (precision 4, summarised past 1000 elements)."""
import contextlib
import dataclasses
import math

import numpy as np

from .autograd import _view_checks, forward_ad


@dataclasses.dataclass
class __PrinterOptions:
    """How tensors print, as ``set_printoptions`` leaves it (PyTorch's ``torch._tensor_str.PRINT_OPTS``)."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None  # True / False force scientific notation on / off for floating tensors


PRINT_OPTS = __PrinterOptions()

_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Change how tensors print (precision, summarisation threshold, edge items, line width, scientific notation);
    ``profile`` ("default", "short" or "full") first sets the four numbers. As in PyTorch, ``sci_mode`` is set on
    every call: leaving it out returns it to the automatic choice."""
    if profile in _PROFILES:
        PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """The current print options, as a dict that ``set_printoptions(**options)`` takes back."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Change the print options (the arguments of ``set_printoptions``) for the ``with`` block only."""
    old_options = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old_options)


class _Formatter:
    """Chooses one format (integer-valued, fixed or scientific) and width for all elements shown."""

    def __init__(self, values, floating):
        self.floating, self.int_mode, self.sci_mode, self.max_width = floating, True, False, 1
        flat = values.reshape(-1)
        if not floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        lo, hi = float(magnitudes.min()), float(magnitudes.max())  # Python floats: hi / lo may overflow to inf
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        # (set_printoptions(sci_mode=...) overrides the choice; a tensor without a nonzero finite value keeps
        # the fixed format all the same, as in PyTorch)
        sci_mode = PRINT_OPTS.sci_mode
        self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4 if sci_mode is None else sci_mode
        precision = PRINT_OPTS.precision
        if self.int_mode:
            fmt = (lambda v: f"{v:.{precision}e}") if self.sci_mode else (lambda v: f"{v:.0f}.")
        else:
            fmt = (lambda v: f"{v:.{precision}e}") if self.sci_mode else (lambda v: f"{v:.{precision}f}")
        self.max_width = max(len(fmt(v)) for v in finite.tolist())

    def format(self, value):
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return " " * (self.max_width - len(text)) + text


class _ComplexFormatter:
    """PyTorch's complex format: the real parts in one float format, the imaginary parts in another, joined as
    ``re+imj`` (``re-imj``)."""

    def __init__(self, values):
        self.real, self.imag = _Formatter(values.real.astype(np.float64), True), \
            _Formatter(values.imag.astype(np.float64), True)
        self.max_width = self.real.max_width + self.imag.max_width + 1  # the "j"

    def format(self, value):
        real = self.real.format(value.real)
        imag = (self.imag.format(value.imag) + "j").lstrip()
        return real + imag if imag[0] in "+-" else real + "+" + imag


def _summarized(a):
    """The elements that will be shown: the edges of every long dimension."""
    if a.ndim == 0:
        return a
    edge = PRINT_OPTS.edgeitems
    if a.shape[0] > 2 * edge:
        a = np.concatenate([a[:edge], a[-edge:]])
    if a.ndim == 1:
        return a
    if not edge:  # nothing of a summarised matrix shows but "..."
        return a[(slice(0, 0),) * a.ndim]
    return np.stack([_summarized(x) for x in a]) if len(a) else a


def get_summarized_data(self):
    """The elements of ``self`` that a summarised print shows: the first and last ``edgeitems`` along every long
    dimension, as a tensor (built by indexing, ``cat`` and ``stack``, so it keeps ``self``'s autograd graph)."""
    from . import _functions

    edge = PRINT_OPTS.edgeitems
    if self.dim() == 0:
        return self
    if self.dim() == 1:
        return _functions.cat((self[:edge], self[-edge:])) if self.size(0) > 2 * edge else self
    if not edge:
        return self.new_empty([0] * self.dim())
    if self.size(0) > 2 * edge:
        rows = [self[i] for i in range(edge)] + [self[i] for i in range(len(self) - edge, len(self))]
    else:
        rows = [self[i] for i in range(len(self))]
    return _functions.stack([get_summarized_data(row) for row in rows])


def _vector(a, indent, summarize, fmt):
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2))))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and a.shape[0] > 2 * edge:
        items = [fmt.format(v) for v in a[:edge].tolist()] + [" ..."]
        items += [fmt.format(v) for v in a[-edge:].tolist()]
    else:
        items = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, fmt):
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    edge = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * edge:
        parts = [_nested(a[i], indent + 1, summarize, fmt) for i in range(edge)] + ["..."]
        parts += [_nested(a[i], indent + 1, summarize, fmt) for i in range(len(a) - edge, len(a))]
    else:
        parts = [_nested(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _add_suffixes(text, suffixes, indent):
    out = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        # Wrap where PyTorch would, as if the dtype were spelled "torch.float64": same layout, other prefix.
        width = len(suffix.replace("torchless.", "torch."))
        if last_line + width + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_line = indent + width
        else:
            out.append(", " + suffix)
            last_line += width + 2
    out.append(")")
    return "".join(out)


def tensor_repr(tensor, prefix="tensor("):
    from ._dtype import bool as bool_, get_default_dtype, int64

    a = tensor._data
    dtype = tensor.dtype
    indent = len(prefix)
    suffixes = []
    if a.size == 0:
        body = "[]"
        if a.shape != (0,):
            suffixes.append(f"size={tuple(a.shape)}")
    else:
        if not PRINT_OPTS.edgeitems:  # the values may not show: PyTorch names the size
            suffixes.append(f"size={tuple(a.shape)}")
        summarize = a.size > PRINT_OPTS.threshold
        shown = _summarized(a) if summarize else a
        if dtype.is_complex:
            fmt = _ComplexFormatter(shown)
        else:
            fmt = _Formatter(shown.astype(np.float64) if dtype.is_floating_point else shown, dtype.is_floating_point)
        body = _nested(a, indent, summarize, fmt)
    # An empty tensor shows no values to infer the dtype from, so PyTorch names any but the default float one.
    default_complex = get_default_dtype().to_complex() if get_default_dtype().is_floating_point else None
    implied = (get_default_dtype(),) if a.size == 0 else (get_default_dtype(), default_complex, int64, bool_)
    if dtype not in implied:
        suffixes.append(f"dtype={dtype!r}")
    if tensor._view_creation is not None and _refuses_its_node(tensor):
        suffixes.append("grad_fn=<Invalid>")  # (PyTorch's repr catches the error its grad_fn raises)
    elif tensor._grad_fn is not None:
        # the node's class name, as PyTorch prints it: short for its C++ nodes (CopySlices, NotImplemented), whose
        # name() is in full
        suffixes.append(f"grad_fn=<{tensor._grad_fn.name().removeprefix('torch::autograd::')}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    if forward_ad.state.level is not None:
        tangent = forward_ad.tangent_of(tensor)
        if tangent is not None:
            suffixes.append(f"tangent={tangent}")
    return _add_suffixes(prefix + body, suffixes, indent)


def _refuses_its_node(tensor):
    """Whether autograd refuses to use the view ``tensor`` after an in-place change (see _view_checks)."""
    try:
        _view_checks.check_unchanged(tensor)
    except RuntimeError:
        return True
    return False
