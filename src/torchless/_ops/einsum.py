"""torchless.einsum: sums of products of tensors' elements, named by subscripts (``'ij,jk->ik'``).

The equation is parsed and checked as PyTorch does (same errors, in the same order); NumPy's einsum computes the
result, and each operand's gradient is again an einsum: of the output's gradient with the other operands.
"""
import numpy as np

from .. import _dtype, _memory_format, _parser_errors
from ..autograd.graph import Node
from .._type_promotion import promote

# the subscripts, in the order an implicit output lists them (upper case first, as in PyTorch)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LETTERS = frozenset(_ALPHABET)
_ELLIPSIS = "..."


class Einsum(Node):
    """``np.einsum(spec, *operands)`` for a ``spec`` with explicit output and no ellipsis (see ``einsum``)."""

    saved = ("arrays",)

    def forward(self, *arrays, inputs=(), output="", dtype=None):
        self.arrays, self.inputs, self.output = arrays, inputs, output
        if len(arrays) > 1:  # PyTorch contracts by bmm, which saves (views of) the operands: changing one is an error
            self._checked_inputs, self._saves_tensors = tuple(range(len(arrays))), True
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

    def backward(self, grad):
        return tuple(self._operand_grad(grad, i) if need else None for i, need in enumerate(self.needs_input_grad))

    def _operand_grad(self, grad, which):
        """d(sum(grad * out)) / d operand ``which``: the einsum of ``grad`` and the other operands onto its
        subscripts, spread over the subscripts only it has, put on the diagonal of its repeated ones and summed
        over the dimensions it broadcast."""
        array, labels = self.arrays[which], self.inputs[which]
        others = [(s, a) for i, (s, a) in enumerate(zip(self.inputs, self.arrays)) if i != which]
        sizes = _label_sizes([self.output] + [s for s, _ in others], [grad] + [a for _, a in others])
        unique = "".join(dict.fromkeys(labels))
        present = "".join(c for c in unique if c in sizes)
        spec = ",".join([self.output] + [s for s, _ in others]) + "->" + present
        with np.errstate(all="ignore"):  # (as in forward)
            g = np.einsum(spec, grad, *[a for _, a in others], optimize=bool(others))
        # Along the subscripts only this operand has (or has unbroadcast), the output's gradient does not vary.
        full = tuple(_broadcast(sizes.get(c, 1), array.shape[labels.index(c)]) for c in unique)
        g = np.broadcast_to(np.expand_dims(g, tuple(i for i, c in enumerate(unique) if c not in sizes)), full)
        if len(unique) < len(labels):  # repeated subscripts: the gradient lies on their diagonal
            dx = np.zeros(tuple(full[unique.index(c)] for c in labels), grad.dtype)
            strides = [0] * len(unique)
            for c, stride in zip(labels, dx.strides):
                strides[unique.index(c)] += stride
            np.lib.stride_tricks.as_strided(dx, full, strides, writeable=True)[...] = g
            g = dx
        stretched = tuple(i for i, n in enumerate(array.shape) if n == 1 and g.shape[i] != 1)
        if stretched:
            g = g.sum(axis=stretched, keepdims=True)
        return np.asarray(g, dtype=array.dtype, order="C")  # (ascontiguousarray would make a 0-d gradient 1-d)

    def backward_graph(self, grad):
        return tuple(self._operand_grad_tensor(grad, i) if need else None
                     for i, need in enumerate(self.needs_input_grad))

    def _operand_grad_tensor(self, grad, which):
        """_operand_grad as a tensor of the graph (create_graph=True): the einsum is an Einsum node in turn, and
        so is the placing on the diagonal of repeated subscripts (a product with identity matrices)."""
        array, labels = self.arrays[which], self.inputs[which]
        others = [(s, self.graph_input(i, a)) for i, (s, a) in enumerate(zip(self.inputs, self.arrays)) if i != which]
        sizes = _label_sizes([self.output] + [s for s, _ in others], [grad._data] + [t._data for _, t in others])
        unique = "".join(dict.fromkeys(labels))
        present = "".join(c for c in unique if c in sizes)
        g = Einsum.apply(grad, *[t for _, t in others], inputs=(self.output, *[s for s, _ in others]),
                         output=present)
        for i, c in enumerate(unique):
            if c not in sizes:
                g = g.unsqueeze(i)
        full = tuple(_broadcast(sizes.get(c, 1), array.shape[labels.index(c)]) for c in unique)
        g = g.expand(*full)
        if len(unique) < len(labels):
            # Each repeat of a subscript gets a letter of its own, tied to the first by an identity matrix:
            # the einsum then writes g on the diagonal and zeros elsewhere.
            spare = iter(c for c in _ALPHABET if c not in labels)
            relabeled, pairs, seen = "", [], set()
            for c in labels:
                if c in seen:
                    fresh = next(spare)
                    pairs.append(c + fresh)
                    relabeled += fresh
                else:
                    seen.add(c)
                    relabeled += c
            eyes = [g._wrap(np.eye(full[unique.index(pair[0])], dtype=grad._data.dtype)) for pair in pairs]
            g = Einsum.apply(g, *eyes, inputs=(unique, *pairs), output=relabeled)
        stretched = tuple(i for i, n in enumerate(array.shape) if n == 1 and g._data.shape[i] != 1)
        if stretched:
            g = g.sum(dim=stretched, keepdim=True)
        return g._cast(array.dtype)

    def name(self):
        return "EinsumBackward0"


def _broadcast(size, other):
    return size if other == 1 else other


def _label_sizes(subscripts, arrays):
    """The size of each subscript in ``subscripts`` (strings, one per array), its size other than 1 if it has one."""
    sizes = {}
    for labels, array in zip(subscripts, arrays):
        for c, n in zip(labels, array.shape):
            sizes[c] = _broadcast(sizes.get(c, 1), n)
    return sizes


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
    return Einsum.apply(*operands, inputs=inputs, output=output, dtype=_result_dtype(arrays, inputs, output))


def _result_dtype(arrays, inputs, output):
    """The dtype to compute in when it is not the operands' own (None then), with PyTorch's errors. Operands of
    several dtypes are contracted by bmm, which wants one dtype, but multiplied (with mul's promotion) where no
    subscript is summed across operands; integers summed within one operand become int64 (PyTorch sums them
    with ``sum``)."""
    appearances = {}
    for subscripts in inputs:
        for c in set(subscripts):
            appearances[c] = appearances.get(c, 0) + 1
    summed = [n for c, n in appearances.items() if c not in output]
    contracted = any(n > 1 for n in summed)
    first = arrays[0].dtype
    if first == np.bool_ and contracted:
        raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
    dtype = first
    for array in arrays[1:]:
        if array.dtype != first and contracted:
            raise RuntimeError(f"expected scalar type {_dtype.from_numpy_dtype(first).scalar_name} but found "
                               f"{_dtype.from_numpy_dtype(array.dtype).scalar_name}")
        dtype = promote(dtype, array.dtype)  # (a 0-d operand too: PyTorch multiplies it unsqueezed)
    if dtype.kind in "fc":
        return None if all(a.dtype == dtype for a in arrays) else dtype
    if any(n == 1 for n in summed):
        return np.int64
    return None if all(a.dtype == dtype for a in arrays) else dtype
