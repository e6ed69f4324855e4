"""Docstrings of the Tensor methods that have none of their own, attached once when torchless is imported
(as PyTorch's _tensor_docs.py does): a method that mirrors a torchless function says what both compute and
points to it, an in-place variant to its out-of-place method, and the others say what they do. The function forms
that _functions.py makes from methods get their signature and that same sentence (or their method's docstring)."""
import inspect
import re
import sys

from ._tensor import Tensor


# Methods mirrored by a torchless function of the same name: their signature as a method, " :: ", and what they
# compute, said of ``input``: the one sentence both docs show, the method's with ``self`` for every "input" (so no
# sentence has another word containing it, as "input2"); an entry goes on over indented lines (see _entries)
_MIRRORS = """\
abs() -> Tensor :: The absolute value of each element of ``input``.
absolute() -> Tensor :: Alias of ``abs``: the absolute value of each element of ``input``.
add(other, *, alpha=1) -> Tensor :: ``input + alpha * other``, broadcast together and in their promoted dtype.
adjoint() -> Tensor :: A view of ``input`` with its last two dimensions swapped and, for complex dtypes, conjugated.
all(dim=None, keepdim=False) -> Tensor :: Whether every element of ``input`` is nonzero, over all elements (dim=None) or
    along ``dim``; a bool tensor (uint8 for a uint8 tensor).
allclose(other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool :: Whether ``|input - other| <= atol + rtol * |other|``
    holds for every element, broadcast together.
amax(dim=None, keepdim=False) -> Tensor :: The largest element of ``input`` along ``dim`` (all dimensions when it is
    empty or None), without indices.
amin(dim=None, keepdim=False) -> Tensor :: The smallest element of ``input`` along ``dim`` (all dimensions when it is
    empty or None), without indices.
any(dim=None, keepdim=False) -> Tensor :: Whether some element of ``input`` is nonzero, over all elements (dim=None) or
    along ``dim``; a bool tensor (uint8 for a uint8 tensor).
argmax(dim=None, keepdim=False) -> LongTensor :: The index of the largest element of ``input``: in its flattened form
    when ``dim`` is None, else along ``dim``.
argmin(dim=None, keepdim=False) -> LongTensor :: The index of the smallest element of ``input``: in its flattened form
    when ``dim`` is None, else along ``dim``.
argsort(dim=-1, descending=False) -> LongTensor :: The indices that sort ``input`` along ``dim``.
argwhere() -> Tensor :: The indices of the nonzero elements of ``input``, one row per element.
as_strided(size, stride, storage_offset=None) -> Tensor :: A view of the storage of ``input`` with the given size,
    strides and storage offset.
bmm(batch2) -> Tensor :: The batched matrix product of ``input`` (b, n, m) and ``batch2`` (b, m, p): (b, n, p), without
    broadcasting.
broadcast_to(shape) -> Tensor :: A view of ``input`` broadcast to ``shape`` (-1 keeps a size).
ceil() -> Tensor :: The smallest integer not below each element of ``input``, in its dtype.
cholesky(upper=False) -> Tensor :: The Cholesky factor of the symmetric positive-definite matrix ``input`` (lower unless
    ``upper``).
cholesky_inverse(upper=False) -> Tensor :: The inverse of the matrix whose Cholesky factor is ``input``.
cholesky_solve(input2, upper=False) -> Tensor :: The solution X of A X = ``input``, A given by its Cholesky factor (the
    second argument).
chunk(chunks, dim=0) -> List of Tensors :: ``input`` split along ``dim`` into at most ``chunks`` views of equal size
    (the last may be smaller).
clamp(min=None, max=None) -> Tensor :: Each element of ``input`` limited to the range [min, max] (either bound may be
    omitted).
clamp_max(max) -> Tensor :: Each element of ``input`` limited to at most ``max``.
clamp_min(min) -> Tensor :: Each element of ``input`` limited to at least ``min``.
clip(min=None, max=None) -> Tensor :: Alias of ``clamp``: each element of ``input`` limited to the range [min, max].
conj() -> Tensor :: The complex conjugate of ``input`` (``input`` itself for real dtypes).
cos() -> Tensor :: The cosine of each element of ``input`` (in radians); integer tensors give the default float dtype.
count_nonzero(dim=None) -> Tensor :: The number of nonzero elements of ``input``, over all elements or along ``dim``.
det() -> Tensor :: The determinant of the square matrix ``input`` (or of each matrix in a batch).
diagonal_scatter(src, offset=0, dim1=0, dim2=1) -> Tensor :: A copy of ``input`` whose ``offset``-th diagonal over
    (dim1, dim2) holds ``src``.
div(value, *, rounding_mode=None) -> Tensor :: ``input / value``, broadcast; true division unless ``rounding_mode`` is
    'trunc' or 'floor'.
divide(value, *, rounding_mode=None) -> Tensor :: Alias of ``div``: ``input / value``, broadcast, rounded as
    ``rounding_mode`` says.
dot(other) -> Tensor :: The inner product of the 1-D tensors ``input`` and ``other`` of the same size.
eq(other) -> Tensor :: Element-wise ``input == other``, broadcast, as a bool tensor.
equal(other) -> bool :: Whether ``input`` and ``other`` have the same size and the same elements.
exp() -> Tensor :: The exponential of each element of ``input``.
expm1() -> Tensor :: ``exp(x) - 1`` for each element x of ``input``, accurate near 0.
fix() -> Tensor :: Alias of ``trunc``: each element of ``input`` rounded toward zero.
flatten(start_dim=0, end_dim=-1) -> Tensor :: ``input`` with the dimensions from ``start_dim`` to ``end_dim`` merged
    into one (a view when possible).
fliplr() -> Tensor :: ``input`` reversed along its second dimension (left-right); needs at least 2 dimensions.
flipud() -> Tensor :: ``input`` reversed along its first dimension (up-down); needs at least 1 dimension.
floor() -> Tensor :: The largest integer not above each element of ``input``, in its dtype.
floor_divide(value) -> Tensor :: ``input / value`` rounded down to an integer, broadcast.
frac() -> Tensor :: The fractional part of each element of ``input``: ``x - trunc(x)``.
gather(dim, index) -> Tensor :: The elements of ``input`` picked along ``dim`` by ``index``, a tensor of the size of
    ``index``.
ge(other) -> Tensor :: Element-wise ``input >= other``, broadcast, as a bool tensor.
geqrf() -> (Tensor, Tensor) :: The QR factorisation of ``input`` in LAPACK's form: R above the diagonal and Householder
    reflectors below, with their scales tau.
ger(vec2) -> Tensor :: Alias of ``outer``: the outer product of the vectors ``input`` and ``vec2``.
get_device() -> int :: The index of the device holding ``input``: -1 for the CPU.
greater(other) -> Tensor :: Alias of ``gt``: element-wise ``input > other``, broadcast, as a bool tensor.
greater_equal(other) -> Tensor :: Alias of ``ge``: element-wise ``input >= other``, broadcast, as a bool tensor.
gt(other) -> Tensor :: Element-wise ``input > other``, broadcast, as a bool tensor.
hardshrink(lambd=0.5) -> Tensor :: Each element x of ``input`` where ``|x| > lambd``, else 0.
histogram(bins, *, range=None, weight=None, density=False) -> (Tensor, Tensor) :: The histogram of the values of
    ``input`` and its bin edges.
index_put(indices, values, accumulate=False) -> Tensor :: A copy of ``input`` with ``values`` written (or added) at the
    positions of the tuple of index tensors ``indices``.
inverse() -> Tensor :: The inverse of the square matrix ``input`` (or of each matrix in a batch).
is_complex() -> bool :: Whether the dtype of ``input`` is complex.
is_conj() -> bool :: Whether ``input`` is a lazily conjugated view.
is_floating_point() -> bool :: Whether the dtype of ``input`` is a floating-point one.
is_inference() -> bool :: Whether ``input`` was made in inference mode.
is_neg() -> bool :: Whether ``input`` is a lazily negated view.
isclose(other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor :: Element-wise ``|input - other| <= atol + rtol *
    |other|``, broadcast, as a bool tensor.
isfinite() -> Tensor :: Whether each element of ``input`` is finite (neither infinite nor NaN).
isinf() -> Tensor :: Whether each element of ``input`` is positive or negative infinity.
isnan() -> Tensor :: Whether each element of ``input`` is NaN.
le(other) -> Tensor :: Element-wise ``input <= other``, broadcast, as a bool tensor.
less(other) -> Tensor :: Alias of ``lt``: element-wise ``input < other``, broadcast, as a bool tensor.
less_equal(other) -> Tensor :: Alias of ``le``: element-wise ``input <= other``, broadcast, as a bool tensor.
log() -> Tensor :: The natural logarithm of each element of ``input``.
log10() -> Tensor :: The base-10 logarithm of each element of ``input``.
log1p() -> Tensor :: ``log(1 + x)`` for each element x of ``input``, accurate near 0.
log2() -> Tensor :: The base-2 logarithm of each element of ``input``.
log_softmax(dim, dtype=None) -> Tensor :: The logarithm of the softmax of ``input`` along ``dim``, computed stably.
logical_and(other) -> Tensor :: Element-wise logical AND of ``input`` and ``other`` (nonzero is true), as a bool tensor.
logical_not() -> Tensor :: Element-wise logical NOT of ``input`` (nonzero is true), as a bool tensor.
logical_or(other) -> Tensor :: Element-wise logical OR of ``input`` and ``other`` (nonzero is true), as a bool tensor.
logical_xor(other) -> Tensor :: Element-wise logical XOR of ``input`` and ``other`` (nonzero is true), as a bool tensor.
lt(other) -> Tensor :: Element-wise ``input < other``, broadcast, as a bool tensor.
lu_solve(LU_data, LU_pivots) -> Tensor :: The solution X of A X = ``input``, A given by its LU factorisation
    (``LU_data``, ``LU_pivots``).
masked_fill(mask, value) -> Tensor :: A copy of ``input`` with ``value`` where the bool ``mask`` (broadcast to its
    shape) is true.
matmul(tensor2) -> Tensor :: The matrix product of ``input`` and ``tensor2``, with NumPy's rules for 1-D operands and
    batch broadcasting.
matrix_exp() -> Tensor :: The matrix exponential of the square matrix ``input`` (or of each matrix in a batch).
matrix_power(n) -> Tensor :: The square matrix ``input`` multiplied by itself ``n`` times (the inverse's power for n <
    0, the identity for 0).
maximum(other) -> Tensor :: The element-wise maximum of ``input`` and ``other``, broadcast; NaN wins.
mean(dim=None, keepdim=False, *, dtype=None) -> Tensor :: The mean of the elements of ``input``, over all of them or
    along ``dim``; floating or complex dtypes only.
min(dim=None, keepdim=False) -> Tensor or (Tensor, Tensor) :: The smallest element of ``input``; with ``dim``, the
    minima along it and their indices.
minimum(other) -> Tensor :: The element-wise minimum of ``input`` and ``other``, broadcast; NaN wins.
mm(mat2) -> Tensor :: The matrix product of the 2-D tensors ``input`` (n, m) and ``mat2`` (m, p): (n, p).
moveaxis(source, destination) -> Tensor :: Alias of ``movedim``: ``input`` with the dimensions ``source`` moved to the
    positions ``destination``.
mul(value) -> Tensor :: ``input * value``, broadcast, in their promoted dtype.
multiply(value) -> Tensor :: Alias of ``mul``: ``input * value``, broadcast.
narrow_copy(dimension, start, length) -> Tensor :: A copy of the ``length`` elements of ``input`` from ``start`` along
    ``dimension``.
ne(other) -> Tensor :: Element-wise ``input != other``, broadcast, as a bool tensor.
neg() -> Tensor :: The negation ``-x`` of each element of ``input``.
negative() -> Tensor :: Alias of ``neg``: the negation of each element of ``input``.
norm(p='fro', dim=None, keepdim=False, dtype=None) -> Tensor :: The p-norm of ``input`` (Frobenius by default) over all
    elements or along ``dim``.
not_equal(other) -> Tensor :: Alias of ``ne``: element-wise ``input != other``, broadcast, as a bool tensor.
numel() -> int :: The number of elements of ``input``.
orgqr(input2) -> Tensor :: The explicit Q of a QR factorisation given by ``geqrf``'s reflectors ``input`` and scales tau
    (the second argument).
ormqr(input2, input3, left=True, transpose=False) -> Tensor :: The third argument multiplied by the Q of ``geqrf``'s
    reflectors ``input`` and scales tau (the second).
permute(*dims) -> Tensor :: A view of ``input`` with its dimensions reordered as ``dims``.
pinverse() -> Tensor :: The Moore-Penrose pseudo-inverse of the matrix ``input`` (or of each matrix in a batch).
positive() -> Tensor :: ``input`` itself (refused for bool tensors).
pow(exponent) -> Tensor :: Each element of ``input`` raised to ``exponent`` (a number or a tensor broadcast with it).
prelu(weight) -> Tensor :: Each element x of ``input`` where positive, else ``weight * x`` (one weight, or one per
    channel of dimension 1).
put(index, source, accumulate=False) -> Tensor :: A copy of ``input`` with ``source`` written (or added) at ``index`` of
    its flattened form.
qr(some=True) -> (Tensor, Tensor) :: The QR decomposition of the matrix ``input``: Q with orthonormal columns and R
    upper triangular.
reciprocal() -> Tensor :: ``1 / x`` for each element x of ``input``; integer tensors give the default float dtype.
relu() -> Tensor :: ``max(x, 0)`` for each element x of ``input``.
remainder(divisor) -> Tensor :: ``input`` modulo ``divisor``, broadcast, with the sign of the divisor (Python's %).
reshape(*shape) -> Tensor :: ``input`` with the shape ``shape`` (one size may be -1): a view when possible, else a copy.
resolve_conj() -> Tensor :: ``input`` with a lazy conjugation carried out (``input`` itself when there is none).
resolve_neg() -> Tensor :: ``input`` with a lazy negation carried out (``input`` itself when there is none).
round(decimals=0) -> Tensor :: Each element of ``input`` rounded to ``decimals`` decimals, halves to even.
rsqrt() -> Tensor :: ``1 / sqrt(x)`` for each element x of ``input``.
scatter_reduce(dim, index, src, reduce, *, include_self=True) -> Tensor :: A copy of ``input`` into which the elements
    of ``src`` are reduced ('sum', 'prod', 'mean', 'amax' or 'amin') at ``index`` along ``dim``.
select_scatter(src, dim, index) -> Tensor :: A copy of ``input`` whose slice at ``index`` along ``dim`` holds ``src``.
sigmoid() -> Tensor :: The logistic function ``1 / (1 + exp(-x))`` of each element x of ``input``.
sign() -> Tensor :: The sign (-1, 0 or 1) of each element of ``input``.
sin() -> Tensor :: The sine of each element of ``input`` (in radians); integer tensors give the default float dtype.
slice_scatter(src, dim=0, start=None, end=None, step=1) -> Tensor :: A copy of ``input`` whose slice ``start:end:step``
    along ``dim`` holds ``src``.
slogdet() -> (Tensor, Tensor) :: The sign and the log of the absolute value of the determinant of the square matrix
    ``input``.
softmax(dim) -> Tensor :: ``exp(x) / sum(exp(x))`` of ``input`` along ``dim``, computed stably.
sort(dim=-1, descending=False) -> (Tensor, LongTensor) :: The elements of ``input`` sorted along ``dim``, and their
    original indices.
split(split_size, dim=0) -> Tensor :: ``input`` split along ``dim`` into views of ``split_size`` elements each (the last
    may be smaller), or of the sizes in a list.
split_with_sizes(split_sizes, dim=0) -> Tensor :: ``input`` split along ``dim`` into views of the sizes ``split_sizes``,
    which must add up to its size.
sqrt() -> Tensor :: The square root of each element of ``input``.
square() -> Tensor :: The square of each element of ``input``.
squeeze(dim=None) -> Tensor :: A view of ``input`` without its dimensions of size 1 (only those in ``dim`` when given).
sub(other, *, alpha=1) -> Tensor :: ``input - alpha * other``, broadcast, in their promoted dtype.
subtract(other, *, alpha=1) -> Tensor :: Alias of ``sub``: ``input - alpha * other``, broadcast.
sum(dim=None, keepdim=False, dtype=None) -> Tensor :: The sum of the elements of ``input``, over all of them or along
    ``dim``; integers and bools sum in int64.
svd(some=True, compute_uv=True) -> (Tensor, Tensor, Tensor) :: The singular value decomposition ``input = U diag(S)
    V^H`` as (U, S, V).
swapaxes(axis0, axis1) -> Tensor :: Alias of ``transpose``: a view of ``input`` with the two dimensions swapped.
swapdims(dim0, dim1) -> Tensor :: Alias of ``transpose``: a view of ``input`` with the two dimensions swapped.
t() -> Tensor :: A view of ``input`` (at most 2-D) with its two dimensions swapped.
tanh() -> Tensor :: The hyperbolic tangent of each element of ``input``.
topk(k, dim=None, largest=True, sorted=True) -> (Tensor, LongTensor) :: The ``k`` largest (or smallest) elements of
    ``input`` along ``dim`` (the last by default) and their indices.
trace() -> Tensor :: The sum of the main diagonal of the 2-D tensor ``input``.
transpose(dim0, dim1) -> Tensor :: A view of ``input`` with the dimensions ``dim0`` and ``dim1`` swapped.
triangular_solve(A, upper=True, transpose=False, unitriangular=False) -> (Tensor, Tensor) :: The solution X of ``A`` X =
    ``input`` for a triangular ``A``, and a copy of ``A``.
tril(diagonal=0) -> Tensor :: A copy of ``input`` with the elements above its ``diagonal``-th diagonal set to 0.
triu(diagonal=0) -> Tensor :: A copy of ``input`` with the elements below its ``diagonal``-th diagonal set to 0.
true_divide(value) -> Tensor :: Alias of ``div`` without rounding: ``input / value``, broadcast.
trunc() -> Tensor :: Each element of ``input`` rounded toward zero.
unbind(dim=0) -> seq :: The slices of ``input`` along ``dim``, as a tuple of views without that dimension.
unflatten(dim, sizes) -> Tensor :: ``input`` with dimension ``dim`` split into dimensions of the sizes ``sizes``.
unsafe_chunk(chunks, dim=0) -> List of Tensors :: As ``chunk``, without the checks autograd makes of in-place changes to
    the views.
unsafe_split_with_sizes(split_sizes, dim=0) -> Tensor :: As ``split_with_sizes``, without the checks autograd makes of
    in-place changes to the views.
unsqueeze(dim) -> Tensor :: A view of ``input`` with a dimension of size 1 inserted at ``dim``.
where(condition, y) -> Tensor :: The elements of ``input`` where ``condition`` holds, else those of ``y``, all broadcast
    together.
xlogy(other) -> Tensor :: ``input * log(other)`` element-wise, 0 where ``input`` is 0.
"""

# Methods that document themselves, whose function forms take their docstring: the methods' signatures
_SELF_DOCUMENTED = """\
acos() -> Tensor
acosh() -> Tensor
addbmm(batch1, batch2, *, beta=1, alpha=1) -> Tensor
addmm(mat1, mat2, *, beta=1, alpha=1) -> Tensor
addmv(mat, vec, *, beta=1, alpha=1) -> Tensor
addr(vec1, vec2, *, beta=1, alpha=1) -> Tensor
aminmax(*, dim=None, keepdim=False) -> (Tensor min, Tensor max)
angle() -> Tensor
arccos() -> Tensor
arccosh() -> Tensor
arcsin() -> Tensor
arcsinh() -> Tensor
arctan() -> Tensor
arctan2(other) -> Tensor
arctanh() -> Tensor
as_strided_scatter(src, size, stride, storage_offset=None) -> Tensor
asin() -> Tensor
asinh() -> Tensor
atan() -> Tensor
atan2(other) -> Tensor
atanh() -> Tensor
baddbmm(batch1, batch2, *, beta=1, alpha=1) -> Tensor
bincount(weights=None, minlength=0) -> Tensor
bitwise_and(other) -> Tensor
bitwise_left_shift(other) -> Tensor
bitwise_not() -> Tensor
bitwise_or(other) -> Tensor
bitwise_right_shift(other) -> Tensor
bitwise_xor(other) -> Tensor
clone(*, memory_format=torchless.preserve_format) -> Tensor
conj_physical() -> Tensor
copysign(other) -> Tensor
corrcoef() -> Tensor
cosh() -> Tensor
cov(*, correction=1, fweights=None, aweights=None) -> Tensor
cross(other, dim=None) -> Tensor
cummax(dim) -> (Tensor, Tensor)
cummin(dim) -> (Tensor, Tensor)
cumprod(dim, dtype=None) -> Tensor
cumsum(dim, dtype=None) -> Tensor
deg2rad() -> Tensor
detach() -> Tensor
diag(diagonal=0) -> Tensor
diag_embed(offset=0, dim1=-2, dim2=-1) -> Tensor
diagflat(offset=0) -> Tensor
diagonal(offset=0, dim1=0, dim2=1) -> Tensor
diff(n=1, dim=-1, prepend=None, append=None) -> Tensor
digamma() -> Tensor
dist(other, p=2) -> Tensor
dsplit(split_size_or_sections) -> List of Tensors
erf() -> Tensor
erfc() -> Tensor
erfinv() -> Tensor
exp2() -> Tensor
flip(dims) -> Tensor
float_power(exponent) -> Tensor
fmax(other) -> Tensor
fmin(other) -> Tensor
fmod(divisor) -> Tensor
frexp() -> (Tensor mantissa, Tensor exponent)
gcd(other) -> Tensor
heaviside(values) -> Tensor
histc(bins=100, min=0, max=0) -> Tensor
hsplit(split_size_or_sections) -> List of Tensors
hypot(other) -> Tensor
index_add(dim, index, source, *, alpha=1) -> Tensor
index_copy(dim, index, source) -> Tensor
index_fill(dim, index, value) -> Tensor
index_reduce(dim, index, source, reduce, *, include_self=True) -> Tensor
index_select(dim, index) -> Tensor
inner(other) -> Tensor
is_nonzero() -> bool
is_same_size(other) -> bool
is_signed() -> bool
isneginf() -> Tensor
isposinf() -> Tensor
isreal() -> Tensor
kthvalue(k, dim=None, keepdim=False) -> (Tensor, LongTensor)
lcm(other) -> Tensor
ldexp(other) -> Tensor
lerp(end, weight) -> Tensor
lgamma() -> Tensor
logaddexp(other) -> Tensor
logaddexp2(other) -> Tensor
logcumsumexp(dim) -> Tensor
logdet() -> Tensor
logit(eps=None) -> Tensor
logsumexp(dim, keepdim=False) -> Tensor
masked_scatter(mask, source) -> Tensor
masked_select(mask) -> Tensor
max(dim=None, keepdim=False) -> Tensor or (Tensor, Tensor)
median(dim=None, keepdim=False) -> Tensor or (Tensor, LongTensor)
mode(dim=-1, keepdim=False) -> (Tensor, LongTensor)
movedim(source, destination) -> Tensor
msort() -> Tensor
mv(vec) -> Tensor
nan_to_num(nan=0.0, posinf=None, neginf=None) -> Tensor
nanmean(dim=None, keepdim=False, *, dtype=None) -> Tensor
nanmedian(dim=None, keepdim=False) -> Tensor or (Tensor, LongTensor)
nanquantile(q, dim=None, keepdim=False, *, interpolation='linear') -> Tensor
nansum(dim=None, keepdim=False, dtype=None) -> Tensor
narrow(dimension, start, length) -> Tensor
nextafter(other) -> Tensor
nonzero() -> LongTensor
outer(vec2) -> Tensor
prod(dim=None, keepdim=False, dtype=None) -> Tensor
quantile(q, dim=None, keepdim=False, *, interpolation='linear') -> Tensor
rad2deg() -> Tensor
ravel() -> Tensor
renorm(p, dim, maxnorm) -> Tensor
roll(shifts, dims) -> Tensor
rot90(k=1, dims=(0, 1)) -> Tensor
scatter(dim, index, src) -> Tensor
scatter_add(dim, index, src) -> Tensor
select(dim, index) -> Tensor
sgn() -> Tensor
signbit() -> Tensor
sinc() -> Tensor
sinh() -> Tensor
std(dim=None, *, correction=1, keepdim=False) -> Tensor
take(indices) -> Tensor
take_along_dim(indices, dim) -> Tensor
tan() -> Tensor
tensor_split(indices_or_sections, dim=0) -> List of Tensors
tile(dims) -> Tensor
unique(sorted=True, return_inverse=False, return_counts=False, dim=None) -> Tensor or tuple
unique_consecutive(return_inverse=False, return_counts=False, dim=None) -> Tensor or tuple
unsafe_split(split_size, dim=0) -> List of Tensors
var(dim=None, *, correction=1, keepdim=False) -> Tensor
vdot(other) -> Tensor
vsplit(split_size_or_sections) -> List of Tensors
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


def _entries(table):
    """The entries of one of the tables above: its lines, each joined with the indented lines that continue it."""
    return re.sub(r"\n +", " ", table).splitlines()


def _attach(name, doc):
    """Give the method ``name`` its docstring, unless it already has one (its own always wins)."""
    method = getattr(Tensor, name)
    if not method.__doc__:
        method.__doc__ = doc


def _document_functions(meanings):
    """Give each function form named in ``meanings`` (and its in-place twin ``name_``, if any) its signature and
    meaning, where its docstring is empty or the bare pointer to its method that _functions.py gives."""
    functions = vars(sys.modules[__package__])  # (not getattr, which would import the lazy submodules now)
    for name, (method_signature, meaning) in meanings.items():
        opening = method_signature.index("(") + 1
        parameters = method_signature[opening:]
        parameters = f"input{parameters}" if parameters[0] == ")" else f"input, {parameters}"
        for function_name in (name, name + "_"):
            function = functions.get(function_name)
            if not callable(function) or function.__doc__ and not function.__doc__.startswith("Function form of "):
                continue  # (not callable: None, or a dtype such as bfloat16, undocumented under python -OO)
            text = meaning if function_name == name else \
                f"In-place ``{name}``: ``input`` is overwritten with the result and returned.\n\n{meaning}"
            function.__doc__ = f"{function_name}({parameters}\n\n{text}"


# name -> (method signature, meaning said of ``input``), for the function forms: kept for those the package makes
# lazily, after attach_all (document_lazy_function)
_FUNCTION_MEANINGS = {}


def document_lazy_function(name):
    """Give the function form ``name``, which the package __getattr__ has just made, its docstring."""
    if name in _FUNCTION_MEANINGS:
        _document_functions({name: _FUNCTION_MEANINGS[name]})


def attach_all():
    """Attach the docstrings (once, last in the package __init__, when every method and function exists)."""
    meanings = _FUNCTION_MEANINGS
    for line in _entries(_MIRRORS):
        signature, meaning = line.split(" :: ")
        name = signature[:signature.index("(")]
        meanings[name] = signature, meaning
        _attach(name, f"{signature}\n\n{meaning.replace('input', 'self')} See :func:`torchless.{name}`.")
    for signature in _entries(_IN_PLACE):
        name = signature[:signature.index("(")]
        _attach(name, f"{signature}\n\nIn-place version of :meth:`~Tensor.{name[:-1]}`.")
    for name, (signature, text) in _OWN.items():
        _attach(name, f"{signature}\n\n{text}")
        meanings[name] = signature, text.replace("``self``", "``input``")
    for signature in _entries(_SELF_DOCUMENTED):
        name = signature[:signature.index("(")]
        doc = getattr(Tensor, name).__doc__
        if doc is None:  # python -OO stripped it: there is nothing to mirror
            continue
        meanings[name] = signature, inspect.cleandoc(doc) if "\n" in doc else doc
    _document_functions(meanings)
