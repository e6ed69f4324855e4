"""torchless.einsum: sums of products of tensors' elements, named by subscripts (``'ij,jk->ik'``).

The equation is parsed and checked as PyTorch does (same errors, in the same order); NumPy's einsum computes the
result. Where gradients are recorded, the result is computed as PyTorch's einsum computes it, by the differentiable
ops it decomposes into (diagonal, permute, unsqueeze, sum, mul, bmm, view), so that the graph (its grad_fn chain,
what it saves, its double backward) is PyTorch's.
"""
import math

import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from ..autograd.graph import Node, records
from .._type_promotion import promote

# the subscripts, in the order an implicit output lists them (upper case first, as in PyTorch)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LETTERS = frozenset(_ALPHABET)
_ELLIPSIS = "..."


class Einsum(Node):
    """``np.einsum(spec, *operands)`` for a ``spec`` with explicit output and no ellipsis (see ``einsum``), where no
    gradient is recorded (else einsum is computed by PyTorch's ops, see _recorded_einsum)."""
    bfloat16_in_float32 = True  # (PyTorch computes it in float32 for bfloat16, see _opmath)
    autocast = "lower"  # (its list in PyTorch's CPU autocast)

    def forward(self, *arrays, inputs=(), output="", dtype=None):
        if dtype is not None:
            arrays = [a.astype(dtype) for a in arrays]
        spec = ",".join(inputs) + "->" + output
        # optimize: contractions of two or more operands through tensordot (BLAS) instead of nested loops
        with np.errstate(all="ignore"):  # inf and NaN silently, as PyTorch (NumPy's einsum is Python code of its
            # own, whose warnings the filter of torchless's modules does not catch)
            out = np.asarray(np.einsum(spec, *arrays, optimize=len(arrays) > 1))
        # PyTorch contracts operands by bmm, whose result is C-contiguous in the common cases ('ij,jk->ik',
        # 'bhqd,bhkd->bhqk': .view() of it works), where NumPy's tensordot leaves it transposed; one operand's
        # einsum (a permutation, a diagonal) stays a view as in PyTorch
        return _memory_format.c_ordered(out) if len(arrays) > 1 else out


def _sublist_equation(args):
    """The equation of PyTorch's sublist form ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``, and the operands."""

    def subscript(n):
        if n is Ellipsis:
            return _ELLIPSIS
        if 0 <= n < 26:
            return chr(ord("A") + n)
        if 26 <= n < 52:
            return chr(ord("a") + n - 26)
        raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")

    equation = ",".join("".join(subscript(n) for n in sub) for sub in args[1::2])
    if len(args) % 2:
        return equation + "->" + "".join(subscript(n) for n in args[-1]), args[:-1:2]
    return equation, args[::2]


def _parse_inputs(lhs, count):
    """Each operand's subscripts (with ``...`` for an ellipsis), with PyTorch's errors for malformed ones."""
    operands, current, has_ellipsis = [[]], 0, False
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == ".":
            if has_ellipsis:
                raise RuntimeError(f"einsum(): found '.' for operand {current} for which an ellipsis was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {current} that is not part of any ellipsis")
            operands[current].append(_ELLIPSIS)
            has_ellipsis = True
            i += 2
        elif c == ",":
            current += 1
            if current >= count:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
            operands.append([])
            has_ellipsis = False
        elif c != " ":
            if c not in _LETTERS:
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, "
                                   "subscripts must be in [a-zA-Z]")
            operands[current].append(c)
        i += 1
    if current != count - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return operands


def _parse_output(rhs, offset, counts):
    """The output's subscripts (with ``...``), checked against ``counts`` (how often each input subscript
    appears); ``offset`` is where ``rhs`` starts in the equation."""
    output, has_ellipsis = [], False
    i = 0
    while i < len(rhs):
        c = rhs[i]
        if c == ".":
            if has_ellipsis:
                raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was already found")
            if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                raise RuntimeError("einsum(): found '.' for output that is not part of any ellipsis (...)")
            output.append(_ELLIPSIS)
            has_ellipsis = True
            i += 2
        elif c != " ":
            if c not in _LETTERS:
                raise RuntimeError(f"einsum(): invalid subscript given at index {offset + i} in the equation string, "
                                   "subscripts must be in [a-zA-Z]")
            if c in output:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if not counts.get(c):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
            output.append(c)
        i += 1
    return output


def _check_sizes(operands, labels, ellipsis_ndim):
    """PyTorch's checks that repeated subscripts of an operand have one size and that the sizes of a subscript
    (or of a dimension under the ellipsis) broadcast across operands."""
    sizes, ellipsis_sizes = {}, [1] * ellipsis_ndim
    for i, (array, subscripts) in enumerate(zip(operands, labels)):
        shape, dim, seen = list(array.shape), 0, {}
        for s in subscripts:
            if s == _ELLIPSIS:
                covered = array.ndim - (len(subscripts) - 1)
                for j in range(ellipsis_ndim - covered, ellipsis_ndim):
                    n = shape[dim]
                    if n != 1:
                        if ellipsis_sizes[j] not in (1, n):
                            raise RuntimeError(f"einsum(): dimension {dim} covered by ellipsis in operand {i}has size "
                                               f"{n} which does not broadcast with previously seen ellipsis with size "
                                               f"{ellipsis_sizes[j]} for the respective dimension")
                        ellipsis_sizes[j] = n
                    dim += 1
            elif s in seen:
                if shape[dim] != shape[seen[s]]:
                    raise RuntimeError(f"einsum(): subscript {s} is repeated for operand {i} but the sizes don't "
                                       "match, "
                                       f"{shape[dim]} != {shape[seen[s]]}")
                del shape[dim]  # PyTorch takes the diagonal, which removes this dimension
            else:
                n = shape[dim]
                if n != 1:
                    if sizes.get(s, 1) not in (1, n):
                        raise RuntimeError(f"einsum(): subscript {s} has size {n} for operand {i} which does not "
                                           f"broadcast with previously seen size {sizes[s]}")
                    sizes[s] = n
                seen[s] = dim
                dim += 1


def _explicit(subscripts, ndim, ellipsis_letters):
    """``subscripts`` as one string of letters, an ellipsis spelt as the last of ``ellipsis_letters`` it covers."""
    if _ELLIPSIS not in subscripts:
        return "".join(subscripts)
    covered = ndim - (len(subscripts) - 1)
    spelt = ellipsis_letters[len(ellipsis_letters) - covered:] if covered else ""
    return "".join(spelt if s == _ELLIPSIS else s for s in subscripts)


def einsum(*args):
    """Sums of products of the elements of ``operands``, along dimensions named in ``equation``.

    ``einsum(equation, *operands)``, ``einsum(equation, [operands])`` or the sublist form
    ``einsum(op1, sublist1, op2, sublist2, ..., [sublist_out])``.

    The equation names each operand's dimensions with letters (``a-zA-Z``), operands separated by commas; after
    ``->`` come the output's dimensions, in order (without ``->``: the letters used once, alphabetically, upper
    case first). Letters missing from the output are summed over; a letter repeated in one operand takes its
    diagonal; dimensions of size 1 broadcast. ``...`` stands for the dimensions not named (broadcast across
    operands, and first in an implicit output).

    Example: ``einsum('bij,bjk->bik', a, b)`` is a batched matrix product.
    """
    from .._tensor import Tensor

    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, or at least one "
                         "operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        return einsum(equation, *operands[0])
    if not isinstance(equation, str):
        raise _parser_errors.wrong_type("einsum", "equation", 1, equation, "str")
    _parser_errors.check_tensor_list("einsum", operands, "tensors", 2)

    arrays = [t._data for t in operands]
    lhs, arrow, rhs = equation.partition("->")
    labels = _parse_inputs(lhs, len(arrays))
    counts, ellipsis_ndim = {}, 0
    for i, (array, subscripts) in enumerate(zip(arrays, labels)):
        named = len(subscripts) - (_ELLIPSIS in subscripts)
        for s in subscripts:
            if s != _ELLIPSIS:
                counts[s] = counts.get(s, 0) + 1
        if _ELLIPSIS in subscripts:
            ellipsis_ndim = max(ellipsis_ndim, array.ndim - named)
            if named > array.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) is more than the "
                                   f"number of dimensions ({array.ndim}) for operand {i}")
        elif named != array.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) does not match the "
                               f"number of dimensions ({array.ndim}) for operand {i} and no ellipsis was given")
    if arrow:
        output = _parse_output(rhs, len(lhs) + 2, counts)
    else:
        output = [_ELLIPSIS] + sorted(c for c, n in counts.items() if n == 1)
    _check_sizes(arrays, labels, ellipsis_ndim)

    free = [c for c in _ALPHABET if c not in counts]
    if ellipsis_ndim > len(free):
        raise RuntimeError(f"einsum(): too many dimensions: {ellipsis_ndim} under the ellipsis and {len(counts)} "
                           "subscripts (52 letters at most)")
    ellipsis_letters = "".join(free[:ellipsis_ndim])
    inputs = tuple(_explicit(s, a.ndim, ellipsis_letters) for s, a in zip(labels, arrays))
    output = _explicit(output, ellipsis_ndim + len(output) - 1, ellipsis_letters)
    dtype = _result_dtype(arrays, inputs, output)
    if records(*operands):
        return _recorded_einsum(operands, inputs, output, ellipsis_letters)
    return Einsum.apply(*operands, inputs=inputs, output=output, dtype=dtype)


def _recorded_einsum(operands, inputs, output, ellipsis_letters):
    """einsum as PyTorch's computes it (aten's einsum): each operand's repeated subscripts taken on their diagonal,
    its dims unsqueezed and permuted to one order (the output's subscripts, then those summed: the ellipsis's first,
    then the others alphabetically), then the operands contracted left to right, a pair at a time (by bmm, or a
    product where nothing is summed), and the summed dims dropped."""
    summed = [c for c in ellipsis_letters if c not in output]
    summed += sorted({c for labels in inputs for c in labels if c not in output and c not in summed},
                     key=_ALPHABET.index)
    order = list(output) + summed
    position = {c: i for i, c in enumerate(order)}
    counts = [0] * len(order)  # how many operands have each dim with a size other than 1
    aligned = []
    for operand, labels in zip(operands, inputs):
        permutation, dim = [None] * len(order), 0
        for c in labels:
            if permutation[position[c]] is None:
                counts[position[c]] += operand.shape[dim] != 1
                permutation[position[c]] = dim
                dim += 1
            else:  # a repeated subscript: its diagonal, where its first dim was
                first = permutation[position[c]]
                operand = operand.diagonal(0, first, dim).movedim(-1, first)
        for i, p in enumerate(permutation):
            if p is None:
                operand = operand.unsqueeze(dim)
                permutation[i] = dim
                dim += 1
        aligned.append(operand.permute(permutation))
    while len(aligned) > 1:
        a, b = aligned.pop(0), aligned.pop(0)
        both, only_a, only_b = [], [], []
        for dim in range(len(output), len(order)):
            in_a, in_b = a.shape[dim] != 1, b.shape[dim] != 1
            if in_a and in_b:
                counts[dim] -= 1
                if counts[dim] == 1:  # no operand left has it
                    both.append(dim)
                    counts[dim] = 0
            elif counts[dim] == 1 and (in_a or in_b):
                (only_a if in_a else only_b).append(dim)
                counts[dim] = 0
        if only_a:
            a = a.sum(only_a, keepdim=True)
        if only_b:
            b = b.sum(only_b, keepdim=True)
        aligned.insert(0, _sum_of_products(a, b, both))
    result = aligned[0]
    if len(order) > len(output):
        if len(operands) > 1:  # (each summed dim has size 1 by now)
            return result.view(result.shape[:len(output)])
        return result.sum(list(range(len(output), len(order))))
    return result


def _sum_of_products(left, right, summed):
    """PyTorch's sumproduct_pair (dims kept): ``(left * right).sum(summed, keepdim=True)`` of two operands of one
    number of dims, by bmm: the dims of both (batch), of the left alone and the summed ones (the product's), of the
    right alone, each group flattened."""
    if not summed:
        return left * right
    both, only_left, only_right = [], [], []
    for i in range(left.dim()):
        in_left, in_right = left.shape[i] != 1, right.shape[i] != 1
        if i in summed:
            if in_left and not in_right:
                left = left.sum(i, keepdim=True)
            elif in_right and not in_left:
                right = right.sum(i, keepdim=True)
        elif in_left and in_right:
            both.append(i)
        elif in_left:
            only_left.append(i)
        else:
            only_right.append(i)
    if only_left and only_right and only_right[-1] < only_left[0]:  # bmm gives the result in the output's order
        left, right, only_left, only_right = right, left, only_right, only_left
    sizes = [math.prod(left.shape[i] for i in dims) for dims in (both, only_left, summed)]
    sizes.append(math.prod(right.shape[i] for i in only_right))
    product = left.permute(both + only_left + summed + only_right).reshape(sizes[:3]).bmm(
        right.permute(both + summed + only_right + only_left).reshape(sizes[0], sizes[2], sizes[3]))
    grouped = both + only_left + summed + only_right
    shape = [left.shape[i] for i in both + only_left] + [1] * len(summed) + [right.shape[i] for i in only_right]
    return product.view(shape).permute([grouped.index(i) for i in range(len(grouped))])


# The dtypes PyTorch's CPU bmm has no kernel for
_NO_BMM = frozenset(np.dtype(t) for t in (np.bool_, np.uint16, np.uint32, np.uint64))


def _result_dtype(arrays, inputs, output):
    """The dtype to compute in when it is not the operands' own (None then), with PyTorch's errors. Operands of
    several dtypes are contracted by bmm, which wants one dtype, but multiplied (with mul's promotion) where no
    subscript is summed across operands; integers summed within one operand become int64 (PyTorch sums them
    with ``sum``)."""
    appearances = {}
    for subscripts in inputs:
        for c in set(subscripts):
            appearances[c] = appearances.get(c, 0) + 1
    # what the products get: an operand with a dim summed in it alone is summed first (integers into int64)
    multiplied = [np.dtype(np.int64) if array.dtype.kind in "biu" and any(
        appearances[c] == 1 and c not in output for c in subscripts) else array.dtype
        for array, subscripts in zip(arrays, inputs)]
    if any(n > 1 for c, n in appearances.items() if c not in output):  # contracted by bmm: one dtype
        first = multiplied[0]
        if first in _NO_BMM:
            raise NotImplementedError(f"\"bmm\" not implemented for '{_dtype.from_numpy_dtype(first).scalar_name}'")
        for other in multiplied[1:]:
            if other != first:
                raise RuntimeError(f"expected scalar type {_dtype.from_numpy_dtype(first).scalar_name} but found "
                                   f"{_dtype.from_numpy_dtype(other).scalar_name}")
        dtype = first
    else:
        dtype = multiplied[0]
        for other in multiplied[1:]:
            dtype = promote(dtype, other)  # (a 0-d operand too: PyTorch multiplies it unsqueezed)
    return None if all(a.dtype == dtype for a in arrays) else dtype
