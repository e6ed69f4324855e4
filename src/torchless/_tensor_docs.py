"""Docstrings of the Tensor methods that have none of their own, attached once when torchless is imported
(as PyTorch's _tensor_docs.py does): a method that mirrors a torchless function points to it, an in-place
variant to its out-of-place method, and the others say what they do."""
from ._tensor import Tensor


# Methods documented by the torchless function of the same name: their signature as a method
_MIRRORS = """\
abs() -> Tensor
absolute() -> Tensor
add(other, *, alpha=1) -> Tensor
adjoint() -> Tensor
all(dim=None, keepdim=False) -> Tensor
allclose(other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool
amax(dim=None, keepdim=False) -> Tensor
amin(dim=None, keepdim=False) -> Tensor
any(dim=None, keepdim=False) -> Tensor
argmax(dim=None, keepdim=False) -> LongTensor
argmin(dim=None, keepdim=False) -> LongTensor
argsort(dim=-1, descending=False) -> LongTensor
argwhere() -> Tensor
as_strided(size, stride, storage_offset=None) -> Tensor
bmm(batch2) -> Tensor
broadcast_to(shape) -> Tensor
ceil() -> Tensor
cholesky(upper=False) -> Tensor
cholesky_inverse(upper=False) -> Tensor
cholesky_solve(input2, upper=False) -> Tensor
chunk(chunks, dim=0) -> List of Tensors
clamp(min=None, max=None) -> Tensor
clamp_max(max) -> Tensor
clamp_min(min) -> Tensor
clip(min=None, max=None) -> Tensor
conj() -> Tensor
cos() -> Tensor
count_nonzero(dim=None) -> Tensor
det() -> Tensor
diagonal_scatter(src, offset=0, dim1=0, dim2=1) -> Tensor
div(value, *, rounding_mode=None) -> Tensor
divide(value, *, rounding_mode=None) -> Tensor
dot(other) -> Tensor
eq(other) -> Tensor
equal(other) -> bool
exp() -> Tensor
expm1() -> Tensor
fix() -> Tensor
flatten(start_dim=0, end_dim=-1) -> Tensor
fliplr() -> Tensor
flipud() -> Tensor
floor() -> Tensor
floor_divide(value) -> Tensor
frac() -> Tensor
gather(dim, index) -> Tensor
ge(other) -> Tensor
geqrf() -> (Tensor, Tensor)
ger(vec2) -> Tensor
get_device() -> int
greater(other) -> Tensor
greater_equal(other) -> Tensor
gt(other) -> Tensor
hardshrink(lambd=0.5) -> Tensor
histogram(input, bins, *, range=None, weight=None, density=False) -> (Tensor, Tensor)
index_put(indices, values, accumulate=False) -> Tensor
inverse() -> Tensor
is_complex() -> bool
is_conj() -> bool
is_floating_point() -> bool
is_inference() -> bool
is_neg() -> bool
isclose(other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor
isfinite() -> Tensor
isinf() -> Tensor
isnan() -> Tensor
le(other) -> Tensor
less(other=<object object at 0x7fe542c6e6c0>, *args, **kwargs) -> Tensor
less_equal(other) -> Tensor
log() -> Tensor
log10() -> Tensor
log1p() -> Tensor
log2() -> Tensor
log_softmax(dim, dtype=None) -> Tensor
logical_and() -> Tensor
logical_not() -> Tensor
logical_or() -> Tensor
logical_xor() -> Tensor
lt(other) -> Tensor
lu_solve(LU_data, LU_pivots) -> Tensor
masked_fill(mask, value) -> Tensor
matmul(tensor2) -> Tensor
matrix_exp() -> Tensor
matrix_power(n) -> Tensor
maximum(other) -> Tensor
mean(dim=None, keepdim=False, *, dtype=None) -> Tensor
min(dim=None, keepdim=False) -> Tensor or (Tensor, Tensor)
minimum(other) -> Tensor
mm(mat2) -> Tensor
moveaxis(source, destination) -> Tensor
mul(value) -> Tensor
multiply(value) -> Tensor
narrow_copy(dimension, start, length) -> Tensor
ne(other) -> Tensor
neg() -> Tensor
negative() -> Tensor
norm(p='fro', dim=None, keepdim=False, dtype=None) -> Tensor
not_equal(other) -> Tensor
numel() -> int
orgqr(input2) -> Tensor
ormqr(input2, input3, left=True, transpose=False) -> Tensor
permute(*dims) -> Tensor
pinverse() -> Tensor
positive() -> Tensor
pow(exponent) -> Tensor
prelu(weight) -> Tensor
put(input, index, source, accumulate=False) -> Tensor
qr(some=True) -> (Tensor, Tensor)
reciprocal() -> Tensor
relu() -> Tensor
remainder(divisor) -> Tensor
reshape(*shape) -> Tensor
resolve_conj() -> Tensor
resolve_neg() -> Tensor
round(decimals=0) -> Tensor
rsqrt() -> Tensor
scatter_reduce(dim, index, src, reduce, *, include_self=True) -> Tensor
select_scatter(src, dim, index) -> Tensor
sigmoid() -> Tensor
sign() -> Tensor
sin() -> Tensor
slice_scatter(src, dim=0, start=None, end=None, step=1) -> Tensor
slogdet() -> (Tensor, Tensor)
softmax(dim) -> Tensor
sort(dim=-1, descending=False) -> (Tensor, LongTensor)
split(split_size, dim=0) -> Tensor
split_with_sizes(split_sizes, dim=0) -> Tensor
sqrt() -> Tensor
square() -> Tensor
squeeze(dim=None) -> Tensor
sub(other, *, alpha=1) -> Tensor
subtract(other, *, alpha=1) -> Tensor
sum(dim=None, keepdim=False, dtype=None) -> Tensor
svd(some=True, compute_uv=True) -> (Tensor, Tensor, Tensor)
swapaxes(axis0, axis1) -> Tensor
swapdims(dim0, dim1) -> Tensor
t() -> Tensor
tanh() -> Tensor
topk(k, dim=None, largest=True, sorted=True) -> (Tensor, LongTensor)
trace() -> Tensor
transpose(dim0, dim1) -> Tensor
triangular_solve(A, upper=True, transpose=False, unitriangular=False) -> (Tensor, Tensor)
tril(diagonal=0) -> Tensor
triu(diagonal=0) -> Tensor
true_divide(value) -> Tensor
trunc() -> Tensor
unbind(dim=0) -> seq
unflatten(dim, sizes) -> Tensor
unsafe_chunk(chunks, dim=0) -> List of Tensors
unsafe_split_with_sizes(split_sizes, dim=0) -> Tensor
unsqueeze(dim) -> Tensor
where(condition, y) -> Tensor
xlogy(other) -> Tensor
"""

# In-place variants (name ending in _) of the method of the same name without it
_IN_PLACE = """\
abs_() -> Tensor
add_(other, *, alpha=1) -> Tensor
bernoulli_(p=0.5, *, generator=None) -> Tensor
clamp_(min=None, max=None) -> Tensor
clamp_max_(max) -> Tensor
clamp_min_(min) -> Tensor
clip_(min=None, max=None) -> Tensor
conj_physical_() -> Tensor
cumprod_(dim, dtype=None) -> Tensor
cumsum_(dim, dtype=None) -> Tensor
detach_() -> Tensor
div_(value, *, rounding_mode=None) -> Tensor
divide_(value, *, rounding_mode=None) -> Tensor
eq_(other) -> Tensor
exp_() -> Tensor
floor_divide_(value) -> Tensor
fmod_(divisor) -> Tensor
ge_(other) -> Tensor
gt_(other) -> Tensor
index_put_(indices, values, accumulate=False) -> Tensor
index_reduce_(dim, index, source, reduce, *, include_self=True) -> Tensor
le_(other) -> Tensor
lerp_(end, weight) -> Tensor
logical_and_() -> Tensor
logical_not_() -> Tensor
logical_or_() -> Tensor
logical_xor_() -> Tensor
lt_(other) -> Tensor
masked_fill_(mask, value)
mul_(value) -> Tensor
ne_(other) -> Tensor
neg_() -> Tensor
nextafter_(other) -> Tensor
pow_(exponent) -> Tensor
put_(index, source, accumulate=False) -> Tensor
relu_() -> Tensor
remainder_(divisor) -> Tensor
renorm_(p, dim, maxnorm) -> Tensor
resize_as_(tensor, memory_format=torchless.contiguous_format) -> Tensor
scatter_(dim, index, src, *, reduce=None) -> Tensor
scatter_add_(dim, index, src) -> Tensor
scatter_reduce_(dim, index, src, reduce, *, include_self=True) -> Tensor
sqrt_() -> Tensor
squeeze_(dim=None) -> Tensor
sub_(other, *, alpha=1) -> Tensor
subtract_(other, *, alpha=1) -> Tensor
swapaxes_(axis0, axis1) -> Tensor
swapdims_(dim0, dim1) -> Tensor
t_() -> Tensor
transpose_(dim0, dim1) -> Tensor
tril_(diagonal=0) -> Tensor
triu_(diagonal=0) -> Tensor
unsqueeze_(dim) -> Tensor
"""

# The other methods: their signature and what they do
_OWN = {
    "bfloat16": ("bfloat16(memory_format=torchless.preserve_format) -> Tensor",
                 "Returns ``self.to(torchless.bfloat16, memory_format=memory_format)``: ``self`` itself when it"
                 " already has that dtype."),
    "bool": ("bool(memory_format=torchless.preserve_format) -> Tensor",
             "Returns ``self.to(torchless.bool, memory_format=memory_format)``: ``self`` itself when it already"
             " has that dtype."),
    "byte": ("byte(memory_format=torchless.preserve_format) -> Tensor",
             "Returns ``self.to(torchless.uint8, memory_format=memory_format)``: ``self`` itself when it "
             "already has that dtype."),
    "cauchy_": ("cauchy_(median=0, sigma=1, *, generator=None) -> Tensor",
                "Fills ``self`` with samples of the Cauchy distribution of the given median and scale sigma."),
    "cdouble": ("cdouble(memory_format=torchless.preserve_format) -> Tensor",
                "Returns ``self.to(torchless.complex128, memory_format=memory_format)``: ``self`` itself when "
                "it already has that dtype."),
    "cfloat": ("cfloat(memory_format=torchless.preserve_format) -> Tensor",
               "Returns ``self.to(torchless.complex64, memory_format=memory_format)``: ``self`` itself when it "
               "already has that dtype."),
    "char": ("char(memory_format=torchless.preserve_format) -> Tensor",
             "Returns ``self.to(torchless.int8, memory_format=memory_format)``: ``self`` itself when it already"
             " has that dtype."),
    "copy_": ("copy_(src, non_blocking=False) -> Tensor",
              "Copies the elements of ``src`` into ``self`` (broadcast to self's shape, cast to self's dtype) "
              "and returns ``self``."),
    "cpu": ("cpu(memory_format=torchless.preserve_format) -> Tensor",
            "Returns the tensor in CPU memory: ``self`` itself, as every torchless tensor lives there."),
    "cuda": ("cuda(device=None, non_blocking=False, memory_format=torchless.preserve_format) -> Tensor",
             "Returns the tensor on the CUDA device. torchless runs on the CPU alone, so this raises the error "
             "PyTorch gives when that device is not available."),
    "dim": ("dim() -> int",
            "Returns the number of dimensions of the tensor."),
    "double": ("double(memory_format=torchless.preserve_format) -> Tensor",
               "Returns ``self.to(torchless.float64, memory_format=memory_format)``: ``self`` itself when it "
               "already has that dtype."),
    "eig": ("eig(*args, **kwargs)",
            "Removed from PyTorch (1.9): raises the RuntimeError that names its replacement, "
            "``torchless.linalg.eig``."),
    "element_size": ("element_size() -> int",
                     "Returns the size in bytes of one element (4 for float32)."),
    "expand": ("expand(*size) -> Tensor",
               "Returns a view of ``self`` with singleton dimensions expanded to the given sizes (-1 keeps a "
               "size), new leading dimensions allowed; the expanded dimensions have stride 0, so no memory is "
               "copied."),
    "expand_as": ("expand_as(other) -> Tensor",
                  "Expands ``self`` to the size of ``other``: ``self.expand(other.size())``."),
    "exponential_": ("exponential_(lambd=1, *, generator=None) -> Tensor",
                     "Fills ``self`` with samples of the exponential distribution of rate ``lambd``."),
    "fill_": ("fill_(value) -> Tensor",
              "Fills ``self`` with the scalar (or one-element tensor) ``value`` and returns ``self``."),
    "float": ("float(memory_format=torchless.preserve_format) -> Tensor",
              "Returns ``self.to(torchless.float32, memory_format=memory_format)``: ``self`` itself when it "
              "already has that dtype."),
    "geometric_": ("geometric_(p, *, generator=None) -> Tensor",
                   "Fills ``self`` with samples of the geometric distribution of success probability ``p``: the"
                   " number of Bernoulli trials up to the first success (1, 2, ...)."),
    "half": ("half(memory_format=torchless.preserve_format) -> Tensor",
             "Returns ``self.to(torchless.float16, memory_format=memory_format)``: ``self`` itself when it "
             "already has that dtype."),
    "int": ("int(memory_format=torchless.preserve_format) -> Tensor",
            "Returns ``self.to(torchless.int32, memory_format=memory_format)``: ``self`` itself when it already"
            " has that dtype."),
    "ipu": ("ipu(device=None, non_blocking=False, memory_format=torchless.preserve_format) -> Tensor",
            "Returns the tensor on the IPU device. torchless runs on the CPU alone, so this raises the error "
            "PyTorch gives when that device is not available."),
    "is_pinned": ("is_pinned(device=None) -> bool",
                  "Returns whether the tensor is in pinned memory: always ``False`` in torchless."),
    "is_shared": ("is_shared() -> bool",
                  "Returns whether the tensor is in shared memory."),
    "log_normal_": ("log_normal_(mean=1, std=2, *, generator=None)",
                    "Fills ``self`` with samples of the log-normal distribution: exp(X), X normal of the given "
                    "mean and std."),
    "long": ("long(memory_format=torchless.preserve_format) -> Tensor",
             "Returns ``self.to(torchless.int64, memory_format=memory_format)``: ``self`` itself when it "
             "already has that dtype."),
    "lstsq": ("lstsq(*args, **kwargs)",
              "Removed from PyTorch (1.9): raises the RuntimeError that names its replacement, "
              "``torchless.linalg.lstsq``."),
    "mtia": ("mtia(device=None, non_blocking=False, memory_format=torchless.preserve_format) -> Tensor",
             "Returns the tensor on the MTIA device. torchless runs on the CPU alone, so this raises the error "
             "PyTorch gives when that device is not available."),
    "ndimension": ("ndimension() -> int",
                   "Alias of :meth:`~Tensor.dim`: the number of dimensions."),
    "nelement": ("nelement() -> int",
                 "Alias of :meth:`~Tensor.numel`: the number of elements."),
    "new_empty": (
        "new_empty(size, *, dtype=None, device=None"
        ", requires_grad=False, layout=torchless.strided, pin_memory=False) -> Tensor",
        "Returns an uninitialised tensor of the given size, with the dtype and device of ``self`` unless given."),
    "new_full": (
        "new_full(size, fill_value, *, dtype=None, device=None"
        ", requires_grad=False, layout=torchless.strided, pin_memory=False) -> Tensor",
        "Returns a tensor of the given size filled with ``fill_value``, with the dtype and device of ``self``."),
    "new_ones": (
        "new_ones(size, *, dtype=None, device=None"
        ", requires_grad=False, layout=torchless.strided, pin_memory=False) -> Tensor",
        "Returns a tensor of the given size filled with ones, with the dtype and device of ``self``."),
    "new_tensor": (
        "new_tensor(data, *, dtype=None, device=None"
        ", requires_grad=False, layout=torchless.strided, pin_memory=False) -> Tensor",
        "Returns a new tensor holding a copy of ``data``, with the dtype and device of ``self`` unless given."),
    "new_zeros": (
        "new_zeros(size, *, dtype=None, device=None"
        ", requires_grad=False, layout=torchless.strided, pin_memory=False) -> Tensor",
        "Returns a tensor of the given size filled with zeros, with the dtype and device of ``self``."),
    "normal_": ("normal_(mean=0, std=1, *, generator=None) -> Tensor",
                "Fills ``self`` with samples of the normal distribution of the given mean and std."),
    "pin_memory": ("pin_memory() -> Tensor",
                   "Copies the tensor to pinned memory; raises as PyTorch does without an accelerator."),
    "random_": ("random_(from=0, to=None, *, generator=None) -> Tensor",
                "Fills ``self`` with integers drawn uniformly from [from, to - 1]; by default from [0, "
                "2^mantissa] for floating dtypes and the dtype's whole non-negative range for integer ones."),
    "repeat": ("repeat(*repeats) -> Tensor",
               "Repeats the tensor along each dimension the given number of times (tiles it): a copy, of size "
               "self.size(d) * repeats[d]."),
    "requires_grad_": ("requires_grad_(requires_grad=True) -> Tensor",
                       "Sets whether autograd records operations on this tensor (in place: a leaf starts or "
                       "stops requiring grad) and returns ``self``."),
    "reshape_as": ("reshape_as(other) -> Tensor",
                   "Returns ``self`` reshaped like ``other``: ``self.reshape(other.shape)``."),
    "resize": ("resize(*sizes) -> Tensor",
               "Deprecated: ``self`` given the shape ``sizes``, which must keep the number of elements (use "
               ":meth:`~Tensor.reshape`)."),
    "resize_as": ("resize_as(tensor) -> Tensor",
                  "Deprecated: ``self`` given the shape of ``tensor``, which must have as many elements (use "
                  ":meth:`~Tensor.reshape_as`)."),
    "short": ("short(memory_format=torchless.preserve_format) -> Tensor",
              "Returns ``self.to(torchless.int16, memory_format=memory_format)``: ``self`` itself when it "
              "already has that dtype."),
    "solve": ("solve(*args, **kwargs)",
              "Removed from PyTorch (1.9): raises the RuntimeError that names its replacement, "
              "``torchless.linalg.solve``."),
    "stride": ("stride(dim) -> tuple or int",
               "Returns the strides (in elements) of the tensor as a tuple, or the stride of dimension ``dim`` "
               "as an int."),
    "symeig": ("symeig(*args, **kwargs)",
               "Removed from PyTorch (1.9): raises the RuntimeError that names its replacement, "
               "``torchless.linalg.eigh``."),
    "tolist": ("tolist() -> list or number",
               "Returns the tensor as (nested) Python lists of Python numbers; a 0-d tensor gives a number, as "
               ":meth:`~Tensor.item`."),
    "type_as": ("type_as(tensor) -> Tensor",
                "Returns ``self`` cast to the dtype of ``tensor``: ``self.type(tensor.type())``."),
    "view_as": ("view_as(other) -> Tensor",
                "Returns a view of ``self`` with the size of ``other``: ``self.view(other.size())``."),
    "xpu": ("xpu(device=None, non_blocking=False, memory_format=torchless.preserve_format) -> Tensor",
            "Returns the tensor on the XPU device. torchless runs on the CPU alone, so this raises the error "
            "PyTorch gives when that device is not available."),
    "zero_": ("zero_() -> Tensor",
              "Fills ``self`` with zeros and returns ``self``."),
}


def _attach(name, doc):
    """Give the method ``name`` its docstring, unless it already has one (its own always wins)."""
    method = getattr(Tensor, name)
    if not method.__doc__:
        method.__doc__ = doc


def attach_all():
    """Attach the docstrings (once, from the package __init__, when every method exists)."""
    for signature in _MIRRORS.splitlines():
        name = signature[:signature.index("(")]
        _attach(name, f"{signature}\n\nSee :func:`torchless.{name}`.")
    for signature in _IN_PLACE.splitlines():
        name = signature[:signature.index("(")]
        _attach(name, f"{signature}\n\nIn-place version of :meth:`~Tensor.{name[:-1]}`.")
    for name, (signature, text) in _OWN.items():
        _attach(name, f"{signature}\n\n{text}")
