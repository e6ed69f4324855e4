"""Complex tensors' parts and constructions: real, imag, angle, conj, view_as_real, view_as_complex, complex.

Their gradients follow PyTorch's convention for complex tensors (the conjugate Wirtinger derivative, so that a
real loss's gradient with respect to z = x + iy is dL/dx + i dL/dy). ``install(Tensor)`` puts the complex
behaviour into the methods; ``FUNCTIONS`` are the torchless-namespace functions.
"""
import numpy as np

from .. import _memory_format, _parser_errors
from ..autograd.graph import Node
from ..autograd.saved_values import SavedInput, saved_result


class ComplexAngle(Node):
    complex_aware = True
    saved = ("a",)

    def forward(self, a):
        self.a = a
        return _memory_format.c_ordered(np.angle(a))  # (PyTorch's complex angle allocates its result so)

    def backward(self, grad):
        a = self.a
        with np.errstate(all="ignore"):
            g = grad * 1j * a / (np.abs(a) ** 2)
        return (np.where(a == 0, np.zeros((), a.dtype), g).astype(a.dtype, copy=False),)

    def backward_graph(self, grad):
        # PyTorch's angle_backward: where(self == 0, 0, grad * self / self.abs().pow(2) * i), composed as its C++
        from .._functions import where
        from .arithmetic import mul_scalar

        a = self.graph_input(0, self.a)
        with np.errstate(all="ignore"):
            g = mul_scalar(grad * a / a.abs().pow(2), 1j)
        return (where(a == 0, g._wrap(np.zeros((), g._data.dtype)), g),)

    def name(self):
        return "AngleBackward0"


class ComplexSgn(Node):
    """sgn of a complex tensor, z / |z| (0 at 0). Its gradient is PyTorch's sgn_backward,
    (g - sgn^2 conj(g)) / (2 |z|) with 0 where z is 0 (the conjugate Wirtinger convention)."""
    complex_aware = True
    elementwise = True
    saved = ("a", "out")
    torch_saved = {"self": SavedInput(0, "a"), "result": saved_result("out")}

    def forward(self, a):
        from .unary import sign

        self.a = a
        self.out = sign(a)
        return self.out

    def backward(self, grad):
        a, out = self.a, self.out
        abs_a = np.abs(a)
        with np.errstate(all="ignore"):
            g = (grad - out * out * np.conj(grad)) / (2.0 * abs_a)
        return (np.where(abs_a == 0, np.zeros((), a.dtype), g).astype(a.dtype, copy=False),)

    def backward_graph(self, grad):
        from .arithmetic import mul_scalar

        a, out = self.graph_input(0, self.a), self.graph_output(self.out)
        abs_a = a.abs()
        with np.errstate(all="ignore"):
            g = (grad - out * out * grad.conj()) / mul_scalar(abs_a, 2.0)
        return (g.masked_fill_(abs_a == 0.0, 0.0),)

    def name(self):
        return "SgnBackward0"


class Conj(Node):
    complex_aware = True
    def forward(self, a):
        return np.conj(a)

    def backward(self, grad):
        return (np.conj(grad),)

    def backward_graph(self, grad):
        return (grad.conj(),)

    def name(self):
        return "ConjBackward0"


class ConjPhysical(Conj):
    def forward(self, a, in_place=False):
        self.in_place = in_place  # (PyTorch's conj_physical_ has a node of its own)
        return np.conj(a)

    def name(self):
        return "ConjPhysicalBackward1" if self.in_place else "ConjPhysicalBackward0"


class ViewAsReal(Node):
    complex_aware = True
    is_view = True

    def forward(self, a):
        self.dtype = a.dtype
        # a view of ``a``'s memory whatever its strides (a transposed tensor's too), as PyTorch's: each element's
        # real and imaginary parts one real apart
        parts = a.real
        return np.lib.stride_tricks.as_strided(parts, a.shape + (2,), a.strides + (parts.itemsize,),
                                               writeable=a.flags.writeable)

    def backward(self, grad):
        # the parts packed as they are (view_as_complex, as PyTorch's), not summed: real + 1j * imag would sign zeros
        out = np.empty(grad.shape[:-1], self.dtype)
        out.real, out.imag = grad[..., 0], grad[..., 1]
        return (out,)

    def backward_graph(self, grad):
        return (view_as_complex(grad.contiguous()),)

    def name(self):
        return "ViewAsRealBackward0"


class ViewAsComplex(Node):
    complex_aware = True
    def forward(self, a):
        self.dtype = a.dtype
        complex_dtype = np.complex128 if a.dtype == np.float64 else np.complex64
        return np.ascontiguousarray(a).view(complex_dtype)[..., 0]

    def backward(self, grad):
        return (np.stack([grad.real, grad.imag], axis=-1).astype(self.dtype),)

    def backward_graph(self, grad):
        return (view_as_real(grad),)

    def name(self):
        return "ViewAsComplexBackward0"


class Complex(Node):
    complex_aware = True
    def forward(self, real, imag):
        self.shapes = real.shape, imag.shape
        complex_dtype = np.complex128 if real.dtype == np.float64 else np.complex64
        out = np.empty(np.broadcast_shapes(real.shape, imag.shape), complex_dtype)
        out.real, out.imag = real, imag
        return out

    def backward(self, grad):  # (PyTorch's at::real(grad) and at::imag(grad): strided views)
        from ._util import unbroadcast

        return unbroadcast(grad.real, self.shapes[0]), unbroadcast(grad.imag, self.shapes[1])

    def backward_graph(self, grad):
        from ._util import unbroadcast_tensor

        return unbroadcast_tensor(grad.real, self.shapes[0]), unbroadcast_tensor(grad.imag, self.shapes[1])

    def name(self):
        return "ComplexBackward0"


class Polar(Node):
    """abs * exp(i angle) of real tensors; the gradients of a real loss through it are PyTorch's polar_backward, in
    the result z: Re(conj(g) sgn(z)) for abs and Re(conj(g) z i) for angle (real parts: strided views)."""

    complex_aware = True
    saved = ("out",)
    torch_saved = {"result": saved_result("out")}

    def forward(self, abs, angle):
        self.shapes = abs.shape, angle.shape
        complex_dtype = np.complex128 if abs.dtype == np.float64 else np.complex64
        self.out = (abs * np.exp(1j * angle.astype(complex_dtype))).astype(complex_dtype, copy=False)
        return self.out

    def backward(self, grad):
        from ._util import unbroadcast
        from .unary import sign

        conj, out = np.conj(grad), self.out
        need_abs, need_angle = self.needs_input_grad
        return (unbroadcast((conj * sign(out)).real, self.shapes[0]) if need_abs else None,
                unbroadcast((conj * (out * 1j)).real, self.shapes[1]) if need_angle else None)

    def backward_graph(self, grad):
        from ._util import unbroadcast_tensor
        from .arithmetic import mul_scalar

        conj, out = grad.conj(), self.graph_output(self.out)
        need_abs, need_angle = self.needs_input_grad
        return (unbroadcast_tensor((conj * out.sgn()).real, self.shapes[0]) if need_abs else None,
                unbroadcast_tensor((conj * mul_scalar(out, 1j)).real, self.shapes[1]) if need_angle else None)

    def name(self):
        return "PolarBackward0"


def real(self):
    """The real part: a view of a complex tensor's real parts; the tensor itself for a real one."""
    # PyTorch's composite, whose graph (SelectBackward0 after ViewAsRealBackward0) autograd users see
    return ViewAsReal.apply(self).select(-1, 0) if self._data.dtype.kind == "c" else self


def imag(self):
    """The imaginary part of a complex tensor (a view); PyTorch's error for a real one."""
    if self._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return ViewAsReal.apply(self).select(-1, 1)


def view_as_real(input):
    """A complex tensor as a real one with a last dim of 2 (real, imaginary)."""
    from .._tensor import Tensor

    if not isinstance(input, Tensor):
        raise _parser_errors.not_tensor("view_as_real", "input", 1, input)
    if input._data.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


def view_as_complex(input):
    """A real tensor whose last dim has size 2 (real, imaginary) as a complex one."""
    from .._tensor import Tensor

    if not isinstance(input, Tensor):
        raise _parser_errors.not_tensor("view_as_complex", "input", 1, input)
    if input._data.dtype not in (np.float32, np.float64):
        raise RuntimeError("view_as_complex is only supported for float and double tensors, but got a tensor of "
                           f"scalar type: {input.dtype.scalar_name}")
    if input._data.ndim == 0 or input._data.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    return ViewAsComplex.apply(input)


def _complex_from_parts(function, node, first, second, names, out):
    """torchless.complex / polar: PyTorch's checks of the two real tensors, then ``node`` of them."""
    from .._tensor import Tensor

    for position, (name, value) in enumerate(zip(names, (first, second)), 1):
        if not isinstance(value, Tensor):
            raise _parser_errors.not_tensor(function, name, position, value)
    a, b = first._data.dtype, second._data.dtype
    if a.kind != "f" or b.kind != "f" or a == np.float16 and function == "complex":
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{first.dtype.scalar_name} and {second.dtype.scalar_name}")
    if a != b:
        raise RuntimeError(f"Expected object of scalar type {first.dtype.scalar_name} but got scalar type "
                           f"{second.dtype.scalar_name} for second argument")
    if a == np.float16:  # (torchless has no complex32)
        raise NotImplementedError(f"\"{function}_cpu\" not implemented for 'Half'")
    from ._util import broadcast_error

    if first._data.shape != second._data.shape:
        error = broadcast_error(first._data.shape, second._data.shape)
        if error is not None:
            raise error
    result = node.apply(first, second)
    if out is not None:
        from .._out_argument import with_out

        return with_out(function, lambda: result)(out=out)
    return result


def complex(real, imag, *, out=None):
    """The complex tensor real + i imag (both float32 or both float64)."""
    return _complex_from_parts("complex", Complex, real, imag, ("real", "imag"), out)


def polar(abs, angle, *, out=None):  # noqa: A002 - PyTorch's argument name
    """The complex tensor abs * (cos(angle) + i sin(angle)) (both float32 or both float64)."""
    return _complex_from_parts("polar", Polar, abs, angle, ("abs", "angle"), out)


FUNCTIONS = {"view_as_real": view_as_real, "view_as_complex": view_as_complex, "complex": complex, "polar": polar}


def install(cls):
    """Give the Tensor class ``cls`` its complex-aware real/imag/angle/conj."""
    cls.real = property(real, _set_real)
    cls.imag = property(imag, _set_imag)
    real_angle = cls.angle

    def angle(self):
        return ComplexAngle.apply(self) if self._data.dtype.kind == "c" else real_angle(self)

    angle.__doc__ = real_angle.__doc__
    cls.angle = angle
    real_conj = cls.conj

    def conj(self):
        return Conj.apply(self) if self._data.dtype.kind == "c" else real_conj(self)

    conj.__doc__ = real_conj.__doc__
    cls.conj = conj

    def conj_physical(self):
        """The complex conjugate, computed (not a view); a real tensor itself."""
        return ConjPhysical.apply(self) if self._data.dtype.kind == "c" else self

    def conj_physical_(self):
        return self._inplace(lambda t: ConjPhysical.apply(t, in_place=True)) if self._data.dtype.kind == "c" else self

    cls.conj_physical, cls.conj_physical_ = conj_physical, conj_physical_


def _set_real(self, value):
    from .._tensor import Tensor

    if self._data.dtype.kind == "c":
        self._data.real = value._data if isinstance(value, Tensor) else value
    else:
        self.copy_(value if isinstance(value, Tensor) else self.new_full(self.shape, value))


def _set_imag(self, value):
    from .._tensor import Tensor

    if self._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    self._data.imag = value._data if isinstance(value, Tensor) else value
