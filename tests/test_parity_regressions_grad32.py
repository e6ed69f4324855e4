"""Parity regressions of session 32's grad32: higher-order gradients laid out as PyTorch computes them."""
import numpy as np
import pytest

import torchless

torch = pytest.importorskip("torch")


def _conv_double_backward(lib, dim, transposed, stride, padding, dilation, groups, channels_last, used, op=0):
    """The gradients (wrt input, weight, bias and output gradient) of a sum of squares of a convolution's
    gradients taken with create_graph=True."""
    rng = np.random.default_rng(0)
    size = 5 if dim == 3 else 7
    x = lib.tensor(rng.standard_normal((2, 4) + (size,) * dim))
    w = lib.tensor(rng.standard_normal(((4, 2 // groups) if transposed else (2, 4 // groups)) + (3,) * dim))
    if channels_last:
        x = x.contiguous(memory_format=lib.channels_last)
    b = lib.tensor(rng.standard_normal(2), requires_grad=True)
    x.requires_grad_()
    w.requires_grad_()
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    if transposed:
        kwargs["output_padding"] = op
    conv = getattr(lib.nn.functional, ("conv_transpose%dd" if transposed else "conv%dd") % dim)
    y = conv(x, w, b, **kwargs)
    gy = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)), requires_grad=True)
    grads = lib.autograd.grad(y, (x, w, b), gy, create_graph=True)
    loss = sum((grads[i] * grads[i]).sum() for i in used)
    return lib.autograd.grad(loss, (x, w, b, gy), allow_unused=True)


def _assert_same_gradients(ours, theirs, rtol=1e-10):
    """Same values (float64), strides and presence, gradient by gradient."""
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=rtol)
            assert a.shape == b.shape and a.stride() == b.stride()


CONV_CASES = [(1, 0, 1, 1), (2, 1, 1, 2), (2, 0, 2, 2), (3, 1, 1, 1)]
# (stride, padding, dilation, groups) per dimension: fewer of the slow 3-D ones
CONV_GEOMETRIES = [(dim, *case) for dim in (1, 2, 3) for case in (CONV_CASES if dim < 3 else CONV_CASES[::3])]


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("dim,stride,padding,dilation,groups", CONV_GEOMETRIES)
@pytest.mark.parametrize("used", [(0,), (1,), (0, 1, 2)])
def test_conv_double_backward_gradients_laid_out_as_torch(dim, transposed, stride, padding, dilation, groups, used):
    # PyTorch's _convolution_double_backward computes the input's and output gradient's gradients by
    # convolutions (C order), the weight's as the transpose of one over the whole padded extent, cut to the kernel
    op = 1 if transposed and stride > 1 else 0
    args = (dim, transposed, stride, padding, dilation, groups, False, used, op)
    _assert_same_gradients(_conv_double_backward(torchless, *args), _conv_double_backward(torch, *args))


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("stride,padding,dilation,groups", CONV_CASES[:2])
def test_conv2d_double_backward_channels_last_laid_out_as_torch(transposed, stride, padding, dilation, groups):
    if transposed and groups > 1:
        pytest.skip("a weight of one channel per group: its layout is ambiguous (see the report)")
    args = (2, transposed, stride, padding, dilation, groups, True, (0, 1, 2))
    _assert_same_gradients(_conv_double_backward(torchless, *args), _conv_double_backward(torch, *args))


def test_conv1d_double_backward_matches_finite_differences():
    # d/dx of sum(dW^2) where dW = conv1d's weight gradient: an independent float64 check of the values
    rng = np.random.default_rng(3)
    xs, ws, gys = rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 2, 2))
    F = torchless.nn.functional

    def loss(x_values):
        x = torchless.tensor(x_values, requires_grad=True)
        w = torchless.tensor(ws, requires_grad=True)
        y = F.conv1d(x, w, stride=2)
        gw, = torchless.autograd.grad(y, w, torchless.tensor(gys), create_graph=True)
        return x, (gw * gw).sum()

    x, value = loss(xs)
    gx, = torchless.autograd.grad(value, x)
    numeric = np.zeros_like(xs)
    for index in np.ndindex(xs.shape):
        step = np.zeros_like(xs)
        step[index] = 1e-6
        numeric[index] = (loss(xs + step)[1].item() - loss(xs - step)[1].item()) / 2e-6
    np.testing.assert_allclose(gx.numpy(), numeric, rtol=1e-6, atol=1e-6)


def _activation_double_backward(lib, name, layouts):
    """Gradients wrt the input and the output gradient of an activation's input gradient (create_graph=True),
    each of x, grad_output and the second-order grad in the layout given ('cl' channels-last, 't' permuted)."""
    rng = np.random.default_rng(0)

    def made(layout):
        t = lib.tensor(rng.standard_normal((2, 3, 4, 5)))
        if layout == "cl":
            return t.contiguous(memory_format=lib.channels_last)
        return t.permute(3, 1, 2, 0).contiguous().permute(3, 1, 2, 0) if layout == "t" else t

    x, grad_output, grad_grad = (made(layout) for layout in layouts)
    x.requires_grad_()
    grad_output.requires_grad_()
    function = getattr(lib.nn.functional, name)
    g, = lib.autograd.grad(function(x), x, grad_output, create_graph=True)
    return (g,) + lib.autograd.grad(g, (x, grad_output), grad_grad)


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "softplus", "logsigmoid"])
@pytest.mark.parametrize("layouts", [("cl", "c", "c"), ("cl", "cl", "c"), ("c", "c", "cl"), ("t", "c", "c"),
                                     ("c", "t", "cl"), ("cl", "c", "t")])
def test_activation_double_backward_laid_out_by_incoming_gradient(name, layouts):
    # PyTorch's elu/softplus double backward lay both gradients out as the gradient reaching them (TensorIterator's
    # first operand), where torchless's where() followed the mask, the input's layout; celu's own gradient too
    ours, theirs = _activation_double_backward(torchless, name, layouts), _activation_double_backward(torch, name,
                                                                                                       layouts)
    _assert_same_gradients(ours, theirs)
    assert type(ours[0].grad_fn).__name__ == type(theirs[0].grad_fn).__name__


SPECIAL_DOUBLE_BACKWARD = ["i0", "special.i0", "special.erfcx", "special.ndtri", "special.log_ndtr", "special.i1",
                           "special.i0e", "special.i1e", "special.entr"]


def _special_double_backward(lib, name, values):
    function = lib
    for part in name.split("."):
        function = getattr(function, part)
    x = lib.tensor(values, requires_grad=True)
    g, = lib.autograd.grad(function(x).sum(), x, create_graph=True)
    gg, = lib.autograd.grad((g * g).sum(), x, create_graph=True)
    return g, gg


@pytest.mark.parametrize("name", SPECIAL_DOUBLE_BACKWARD)
def test_special_functions_differentiate_their_gradient(name):
    # PyTorch's derivative formulas of these are ops with derivatives of their own: create_graph=True works
    in_unit = name.endswith(("ndtri", "entr"))
    values = np.array([0.1, 0.3, 0.5, 0.8, 0.95]) if in_unit else np.array([-1.5, -0.3, 0.0, 0.2, 0.7, 2.5])
    ours, theirs = _special_double_backward(torchless, name, values), _special_double_backward(torch, name, values)
    _assert_same_gradients(ours, theirs, rtol=1e-9)
    assert [type(t.grad_fn).__name__ for t in ours] == [type(t.grad_fn).__name__ for t in theirs]


@pytest.mark.parametrize("name", ["special.i1", "special.erfcx", "special.log_ndtr"])
def test_special_second_derivative_matches_finite_differences(name):
    values = np.array([-1.2, -0.4, 0.3, 0.9, 1.7])
    _, gg = _special_double_backward(torchless, name, values)
    step = 1e-6

    def gradient_norm(v):
        return (_special_double_backward(torchless, name, v)[0].detach().numpy() ** 2).sum()

    numeric = [(gradient_norm(values + step * e) - gradient_norm(values - step * e)) / (2 * step)
               for e in np.eye(len(values))]
    np.testing.assert_allclose(gg.detach().numpy(), numeric, rtol=1e-6, atol=1e-7)


def _graph_of_gradient(lib, name, values, layout=None):
    """The input's gradient of ``name`` (create_graph=True) from a contiguous grad, and its own gradient."""
    function = lib
    for part in name.split("."):
        function = getattr(function, part)
    x = lib.tensor(values)
    if layout == "cl":
        x = x.contiguous(memory_format=lib.channels_last)
    x.requires_grad_()
    y = function(x)
    g, = lib.autograd.grad(y, x, lib.ones(tuple(y.shape), dtype=y.dtype), create_graph=True)
    gg, = lib.autograd.grad((g * g).sum(), x)
    return g, gg


@pytest.mark.parametrize("name", ["log2", "log10", "log1p", "atan", "atanh", "sinc", "exp2", "special.ndtr", "erf",
                                  "erfc", "erfinv", "sin", "asinh"])
@pytest.mark.parametrize("layout", [None, "cl"])
def test_unary_gradient_graph_named_and_laid_out_as_torch(name, layout):
    # PyTorch's formulas divide (grad / (1 + x^2): DivBackward0), multiply by numbers in C++ (MulBackward1), put
    # the derivative first (erf's: the input's layout) or where() by the input (sinc)
    values = np.random.default_rng(0).uniform(0.1, 0.9, (2, 3, 2, 2))
    values[0, 0, 0, 0] = 0.0 if name == "sinc" else values[0, 0, 0, 0]
    ours, theirs = _graph_of_gradient(torchless, name, values, layout), _graph_of_gradient(torch, name, values, layout)
    _assert_same_gradients(ours, theirs, rtol=1e-9)
    assert type(ours[0].grad_fn).__name__ == type(theirs[0].grad_fn).__name__


def test_ndtr_graph_named_as_torch():
    names = []
    for lib in (torchless, torch):
        node, chain = lib.special.ndtr(lib.tensor([0.3], requires_grad=True)).grad_fn, []
        while node is not None:
            chain.append(node.name())
            node = node.next_functions[0][0] if node.next_functions else None
        names.append(chain)
    assert names[0] == names[1]


def _first_order_layouts(lib, name, create_graph):
    x = lib.tensor(np.random.default_rng(0).uniform(0.1, 0.9, (2, 3, 4, 5)))
    x = x.contiguous(memory_format=lib.channels_last).requires_grad_()
    other = lib.tensor(np.random.default_rng(1).uniform(0.1, 0.9, (4, 5)), requires_grad=True)
    function = lib
    for part in name.split("."):
        function = getattr(function, part)
    y = function(x, other) if name in ("maximum", "minimum") else function(x)
    return lib.autograd.grad(y, x, lib.ones(tuple(y.shape), dtype=y.dtype), create_graph=create_graph)


@pytest.mark.parametrize("name", ["maximum", "minimum", "angle", "special.erfcx"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_gradient_laid_out_as_torch_formula_first_operand(name, create_graph):
    # maximum's where(self == other, ...) follows its condition, angle's zeros_like(self) and erfcx's
    # derivative * grad the input's layout (channels-last here), not the contiguous grad's
    ours, theirs = (_first_order_layouts(lib, name, create_graph) for lib in (torchless, torch))
    _assert_same_gradients(ours, theirs)


@pytest.mark.parametrize("name,args", [("polygamma", (1,)), ("polygamma", (2,)), ("polygamma", (0,)),
                                       ("multigammaln", (2,)), ("multigammaln", (3,)), ("gammaln", ()),
                                       ("digamma", ()), ("psi", ())])
def test_gamma_family_double_backward_as_torch(name, args):
    # polygamma's gradient is grad * polygamma(n + 1, x), mvlgamma's a sum of digammas: both differentiable; the
    # digamma and trigamma they reach are PyTorch's own series (calc_digamma, calc_trigamma), exact in float64
    values = np.array([0.3, 1.3, 2.5, 4.0, 7.7, 12.5])
    results = []
    for lib in (torchless, torch):
        x = lib.tensor(values, requires_grad=True)
        function = getattr(lib.special, name)
        y = function(args[0], x) if name == "polygamma" else function(x, *args)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        gg, = lib.autograd.grad((g * g).sum(), x)
        results.append((y, g, gg))
    _assert_same_gradients(results[0], results[1], rtol=1e-13)
    assert type(results[0][1].grad_fn).__name__ == type(results[1][1].grad_fn).__name__


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_digamma_and_trigamma_values_as_torch_series(dtype):
    values = np.concatenate([np.linspace(-4.75, 25, 120), [0.0, -0.0, 10.0, 1e18, -2.0, np.inf, -np.inf]])
    for name in ("digamma", "trigamma"):
        ours, theirs = ((lib.digamma(x) if name == "digamma" else lib.polygamma(1, x)).numpy()
                        for lib, x in ((lib, lib.tensor(values, dtype=getattr(lib, dtype))) for lib in (torchless, torch)))
        np.testing.assert_allclose(ours, theirs, rtol=1e-15 if dtype == "float64" else 1e-6)


def _binary_graph(lib, name, a_values, b_values, needs=(True, True)):
    a = lib.tensor(a_values, requires_grad=needs[0])
    b = lib.tensor(b_values, requires_grad=needs[1])
    function = lib
    for part in name.split("."):
        function = getattr(function, part)
    inputs = [t for t, need in zip((a, b), needs) if need]
    gs = lib.autograd.grad(function(a, b).sum(), inputs, create_graph=True)
    ggs = lib.autograd.grad(sum((g * g).sum() for g in gs), inputs)
    return gs, ggs


@pytest.mark.parametrize("name", ["hypot", "xlogy", "special.xlogy", "special.xlog1py", "special.zeta",
                                  "special.gammainc", "special.gammaincc"])
def test_binary_gradient_graph_as_torch(name):
    # PyTorch's formulas: grad * self / result (DivBackward0), xlogy(grad, other).masked_fill(...)
    # (MaskedFillBackward0); xlog1py's x-gradient is log1p(other) also where x is 0 (unless other <= -1); zeta's
    # and the incomplete gammas' gradients of other are differentiable, their input's not implemented
    a_values = np.array([[0.0, 0.0, 1.3], [2.5, 0.0, 0.4]])
    b_values = np.array([[-1.0, 0.5, 0.7], [1.2, -0.5, 3.0]])
    if name in ("special.zeta", "special.gammainc", "special.gammaincc"):
        a_values, b_values = np.abs(a_values) + 1.5, np.abs(b_values) + 0.5
    needs = (False, True) if name in ("special.zeta", "special.gammainc", "special.gammaincc") else (True, True)
    ours, theirs = _binary_graph(torchless, name, a_values, b_values, needs), _binary_graph(torch, name, a_values,
                                                                                            b_values, needs)
    for mine, reference in zip(ours, theirs):
        _assert_same_gradients(mine, reference, rtol=1e-12)
    assert [type(g.grad_fn).__name__ for g in ours[0]] == [type(g.grad_fn).__name__ for g in theirs[0]]


@pytest.mark.parametrize("name", ["special.zeta", "special.gammainc", "special.gammaincc"])
def test_binary_input_derivative_not_implemented_as_torch(name):
    errors = []
    for lib in (torchless, torch):
        with pytest.raises(NotImplementedError) as info:
            _binary_graph(lib, name, np.array([1.5, 2.5]), np.array([0.5, 1.2]))
        errors.append(str(info.value))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("name", ["addcmul", "addcdiv"])
def test_addc_gradient_graph_as_torch(name):
    rng = np.random.default_rng(0)
    values = [rng.uniform(0.5, 2, (3, 4)) for _ in range(3)]
    results = []
    for lib in (torchless, torch):
        a, b, c = (lib.tensor(v, requires_grad=True) for v in values)
        gs = lib.autograd.grad(getattr(lib, name)(a, b, c, value=0.7).sum(), (a, b, c), create_graph=True)
        ggs = lib.autograd.grad(sum((g * g).sum() for g in gs[1:]), (b, c))
        results.append((gs, ggs))
    for mine, reference in zip(*results):
        _assert_same_gradients(mine, reference, rtol=1e-12)
    assert [g.grad_fn and type(g.grad_fn).__name__ for g in results[0][0]] == \
        [g.grad_fn and type(g.grad_fn).__name__ for g in results[1][0]]


@pytest.mark.parametrize("loss", ["soft_margin", "bce_logits", "bce_logits_weighted", "bce_logits_pos_weight"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_gradient_graph_named_as_torch(loss, reduction):
    # soft_margin_loss_backward is one differentiable op (SoftMarginLossBackwardBackward0); the logits BCE's
    # formulas divide a mean's gradient by the count last (DivBackward1)
    results = []
    for lib in (torchless, torch):
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((4, 3)), requires_grad=True)
        F = lib.nn.functional
        if loss == "soft_margin":
            inputs = (x,)
            y = F.soft_margin_loss(x, lib.tensor(np.sign(rng.standard_normal((4, 3)))), reduction=reduction)
        else:
            t = lib.tensor(rng.uniform(0, 1, (4, 3)), requires_grad=True)
            inputs = (x, t)
            weight = lib.tensor(rng.uniform(0.5, 1, (4, 3))) if loss.endswith("weighted") else None
            pos_weight = lib.tensor(rng.uniform(0.5, 2, (3,))) if loss.endswith("pos_weight") else None
            y = F.binary_cross_entropy_with_logits(x, t, weight=weight, pos_weight=pos_weight, reduction=reduction)
        gs = lib.autograd.grad(y.sum(), inputs, create_graph=True)
        results.append((gs, lib.autograd.grad(sum((g * g).sum() for g in gs), inputs)))
    for mine, reference in zip(*results):
        _assert_same_gradients(mine, reference, rtol=1e-12)
    ours, theirs = results[0][0], results[1][0]
    assert [type(g.grad_fn).__name__ for g in ours] == [type(g.grad_fn).__name__ for g in theirs]
    assert [[f and type(f).__name__ for f, _ in g.grad_fn.next_functions] for g in ours] == \
        [[f and type(f).__name__ for f, _ in g.grad_fn.next_functions] for g in theirs]


@pytest.mark.parametrize("name", ["min", "max", "median", "nanmedian", "amax", "amin"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_full_reduction_gradient_layout_as_torch(name, create_graph):
    # max()/min()/median() of everything distribute the gradient into grad.new_zeros(sizes) (C order), amax into
    # the input's layout
    results = []
    for lib in (torchless, torch):
        values = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
        values[0, 0, 0, :2] = 5.0  # (a tie at the maximum)
        x = lib.tensor(values).contiguous(memory_format=lib.channels_last).requires_grad_()
        g, = lib.autograd.grad(getattr(x, name)(), x, create_graph=create_graph)
        results.append((g,))
    _assert_same_gradients(*results)


def _course_cnn_second_order(lib):
    """The course CNN's (two conv + relu + max-pool stages, a linear layer, cross-entropy) gradient with
    create_graph=True, its Hessian-vector product by a second backward, and autograd.functional's hvp and vhp."""
    F = lib.nn.functional
    rng = np.random.default_rng(0)
    shapes = [(5, 1, 3, 3), (5,), (10, 5, 3, 3), (10,), (10, 490), (10,)]
    params = [lib.tensor(rng.standard_normal(s) * 0.3, requires_grad=True) for s in shapes]
    x, y = lib.tensor(rng.standard_normal((2, 1, 28, 28))), lib.tensor([1, 7])
    v = tuple(lib.tensor(rng.standard_normal(s)) for s in shapes)

    def net(w1, b1, w2, b2, w3, b3):
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=1)), 2, 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2, padding=1)), 2, 2)
        return F.cross_entropy(F.linear(h.view(-1, 490), w3, b3), y)

    g = lib.autograd.grad(net(*params), params, create_graph=True)
    hv = lib.autograd.grad(g, params, v)
    detached = tuple(p.detach() for p in params)
    return g, hv, lib.autograd.functional.hvp(net, detached, v)[1], lib.autograd.functional.vhp(net, detached, v)[1]


def test_course_cnn_hessian_vector_products_as_torch():
    # hvp takes PyTorch's one more derivative (the double-backward trick): the gradient of the weights' gradients'
    # gradient lays out as a convolution's weight gradient, C order
    ours, theirs = _course_cnn_second_order(torchless), _course_cnn_second_order(torch)
    for mine, reference in zip(ours, theirs):
        _assert_same_gradients(mine, reference, rtol=1e-10)
    assert [type(t.grad_fn).__name__ for t in ours[0]] == [type(t.grad_fn).__name__ for t in theirs[0]]


@pytest.mark.parametrize("functional", ["jacobian", "hessian"])
def test_forward_mode_jacobian_laid_out_as_jacfwd(functional):
    # vmap gives each output's Jacobian C-ordered over (inputs' total size, *output); _jacfwd moves the batch dim
    # last and reshapes: permuted strides, views where they can be
    rng = np.random.default_rng(0)
    values = (rng.standard_normal(3), rng.standard_normal((2, 2)))
    results = []
    for lib in (torchless, torch):
        x, y = (lib.tensor(v) for v in values)
        AF = lib.autograd.functional
        if functional == "jacobian":
            result = AF.jacobian(lambda a, b: (a * 2, b.t() @ b, lib.stack([a[0] * b[0, 1], a.sum()])), (x, y),
                                 vectorize=True, strategy="forward-mode")
            results.append([block for row in result for block in row])
        else:
            results.append([AF.hessian(lambda a: (a ** 3).sum() + a.prod(), x, vectorize=True,
                                       outer_jacobian_strategy="reverse-mode")])
    for a, b in zip(*results):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
        assert a.stride() == b.stride()


@pytest.mark.parametrize("shape,dims,keepdim", [((2, 1, 3), (1,), False), ((2, 1, 3), (0,), False),
                                                ((2, 1, 3), (1,), True), ((1, 3, 1), (0, 2), False),
                                                ((2, 2, 1, 1, 1), (0, 2, 3, 4), False), ((2, 1, 3), (-1,), False),
                                                ((3, 1), (0,), True)])
@pytest.mark.parametrize("create_graph", [False, True])
def test_sum_gradient_size_one_dim_strides_as_torch(shape, dims, keepdim, create_graph):
    # sum_backward's unsqueeze-then-expand view: its size-1 dims keep the unsqueeze's strides (NumPy's 0)
    strides = []
    for lib in (torchless, torch):
        x = lib.ones(shape, dtype=lib.float64, requires_grad=True)
        y = x.sum(dim=dims, keepdim=keepdim)
        g, = lib.autograd.grad(y, x, lib.ones_like(y, requires_grad=create_graph), create_graph=create_graph)
        strides.append(g.stride())
    assert strides[0] == strides[1]


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border"])
@pytest.mark.parametrize("channels_last", [False, True])
def test_grid_sample_double_backward_input_gradient_contiguous(mode, padding_mode, channels_last):
    # the grid's gradient reads the input's planes padded with a zero pixel: the input's gradient through that read
    # is C-ordered as PyTorch's, not a slice of the padded planes' gradient
    results = []
    for lib in (torchless, torch):
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((2, 3, 4, 4)))
        x = (x.contiguous(memory_format=lib.channels_last) if channels_last else x).requires_grad_()
        grid = lib.tensor(rng.standard_normal((2, 3, 3, 2)), requires_grad=True)
        y = lib.nn.functional.grid_sample(x, grid.tanh() * 1.2, mode=mode, padding_mode=padding_mode,
                                          align_corners=False)
        gs = lib.autograd.grad((y * lib.tensor(rng.standard_normal(tuple(y.shape)))).sum(), (x, grid),
                               create_graph=True)
        results.append(lib.autograd.grad(sum((g * g).sum() for g in gs if g.requires_grad), (x, grid),
                                         allow_unused=True))
    _assert_same_gradients(*results)


def test_logcumsumexp_gradient_graph_as_torch():
    # PyTorch's logcumsumexp_backward ends with output_pos - output_neg (SubBackward0), no reshape
    results = []
    for lib in (torchless, torch):
        x = lib.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
        v = lib.tensor(np.random.default_rng(1).standard_normal((2, 3)), requires_grad=True)
        g, = lib.autograd.grad(x.logcumsumexp(1), x, v, create_graph=True)
        results.append((g,) + lib.autograd.grad((g * g).sum(), (x, v)))
    _assert_same_gradients(*results)
    assert type(results[0][0].grad_fn).__name__ == type(results[1][0].grad_fn).__name__


@pytest.mark.parametrize("name", ["std", "std_mean", "nansum", "var"])
def test_reduction_gradient_graph_of_permuted_input_as_torch(name):
    # std's saved result is C-ordered as PyTorch's (NumPy kept a permuted input's order), and nansum's gradient is
    # the expanded grad times the not-NaN mask (MulBackward0), laid out by the expanded grad first
    results = []
    for lib in (torchless, torch):
        values = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
        values[0, 1, 2, 3] = np.nan if name == "nansum" else values[0, 1, 2, 3]
        x = lib.tensor(values).permute(3, 1, 2, 0).contiguous().permute(3, 1, 2, 0).requires_grad_()
        y = lib.std_mean(x, dim=1)[0] if name == "std_mean" else getattr(x, name)(dim=1)
        v = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)), requires_grad=True)
        g, = lib.autograd.grad(y, x, v, create_graph=True)
        results.append((g,) + lib.autograd.grad((g * g).sum(), (x, v), allow_unused=True))
    _assert_same_gradients(*results, rtol=1e-10)
    assert type(results[0][0].grad_fn).__name__ == type(results[1][0].grad_fn).__name__
