"""The classic MNIST CNN's training step (session 36, perfmnist36), each change bit-identical to the code before it:
Adam's update of a large parameter in cache-sized pieces (optim/adam.py ADAM_PIECE); the phase layout's zero padding
kept between im2col / stacked-rows calls of one layout in the same scratch buffer (im2col.split_phases); a leaf's
first gradient taken as ``.grad`` without a copy when nothing else holds it (AccumulateGrad, as PyTorch steals it).
The tests pin what those paths must still do: update every element of a large parameter (pieces' edges, a short last
piece, amsgrad, maximize, weight decay), give each convolution layout its zero padding whatever ran before in the
buffer, and never let a stolen gradient alias memory anyone else can reach; against float64 references and torch."""
import numpy as np
import pytest

import torchless
from torchless._kernels import conv as conv_kernels, im2col, release_scratch
from torchless.optim import adam as adam_module

F = torchless.nn.functional


# ---------------------------------------------------------------------------- Adam in pieces
def _adam_reference(p, grads, lr, betas, eps, weight_decay=0.0, amsgrad=False, maximize=False, decoupled=False):
    """float64 Adam / AdamW from the algorithm's definition (PyTorch's docs), step after step."""
    beta1, beta2 = betas
    p = np.asarray(p, np.float64).copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    v_max = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        g = np.asarray(g, np.float64)
        if maximize:
            g = -g
        if weight_decay and decoupled:
            p = p * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        if amsgrad:
            v_max = np.maximum(v_max, v)
        second = v_max if amsgrad else v
        p = p - lr / (1 - beta1 ** t) * m / (np.sqrt(second) / np.sqrt(1 - beta2 ** t) + eps)
    return p


ADAM_CASES = [
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"maximize": True, "weight_decay": 0.05}),
    ("AdamW", {"weight_decay": 0.1}),
    ("AdamW", {"amsgrad": True, "weight_decay": 0.01}),
]
# a multiple of the piece, one element past two pieces (a one-element last piece), a 2-D parameter with a short last
# piece, and one just over the size updated whole
ADAM_SHAPES = [(4 * adam_module.ADAM_PIECE,), (2 * adam_module.ADAM_PIECE + 1,), (300, 333),
               (2 * adam_module.ADAM_PIECE + 7,)]


def _adam_run(lib, cls, kwargs, p0, grads, lr=1e-2):
    p = lib.tensor(p0.copy(), requires_grad=True)
    optimizer = getattr(lib.optim, cls)([p], lr=lr, **kwargs)
    for g in grads:
        p.grad = lib.tensor(g.copy())
        optimizer.step()
    return p.detach().numpy()


def _adam_inputs(shape, seed):
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal(shape).astype(np.float32)
    grads = [(rng.standard_normal(shape) * 10.0 ** rng.uniform(-3, 1)).astype(np.float32) for _ in range(3)]
    return p0, grads


@pytest.mark.parametrize("shape", ADAM_SHAPES)
@pytest.mark.parametrize("cls, kwargs", ADAM_CASES)
def test_adam_large_parameter_against_float64_reference(cls, kwargs, shape):
    p0, grads = _adam_inputs(shape, 1)
    ours = _adam_run(torchless, cls, kwargs, p0, grads)
    reference = _adam_reference(p0, grads, 1e-2, (0.9, 0.999), 1e-8, kwargs.get("weight_decay", 0.0),
                                kwargs.get("amsgrad", False), kwargs.get("maximize", False), cls == "AdamW")
    # every element moved as the algorithm says (a piece skipped or updated twice would be off by a whole step)
    np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls, kwargs", ADAM_CASES)
def test_adam_pieces_equal_the_same_values_updated_whole(cls, kwargs):
    # The same values as one large parameter (updated in pieces) and as small parameters (each updated whole): the
    # update is element-wise, so every bit agrees, whichever piece an element falls in.
    size = 2 * adam_module.ADAM_PIECE + 1000
    p0, grads = _adam_inputs((size,), 2)
    large = _adam_run(torchless, cls, kwargs, p0, grads)
    cuts = [0, 5000, adam_module.ADAM_PIECE - 3, adam_module.ADAM_PIECE + 20000, size]
    small = [torchless.tensor(p0[a:b].copy(), requires_grad=True) for a, b in zip(cuts, cuts[1:])]
    assert all(part.numel() <= 2 * adam_module.ADAM_PIECE for part in small)  # (each updated whole)
    optimizer = getattr(torchless.optim, cls)(small, lr=1e-2, **kwargs)
    for g in grads:
        for part, a, b in zip(small, cuts, cuts[1:]):
            part.grad = torchless.tensor(g[a:b].copy())
        optimizer.step()
    np.testing.assert_array_equal(large, np.concatenate([part.detach().numpy() for part in small]))


@pytest.mark.parametrize("cls, kwargs", ADAM_CASES)
def test_adam_large_parameter_against_torch(cls, kwargs):
    torch = pytest.importorskip("torch")
    p0, grads = _adam_inputs((3 * adam_module.ADAM_PIECE + 11,), 3)
    ours = _adam_run(torchless, cls, kwargs, p0, grads)
    theirs = _adam_run(torch, cls, kwargs, p0, grads)
    torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs), rtol=1e-5, atol=1e-6)


def test_adam_moments_of_a_large_parameter_against_float64_reference():
    p0, grads = _adam_inputs((2 * adam_module.ADAM_PIECE + 5,), 4)
    p = torchless.tensor(p0, requires_grad=True)
    optimizer = torchless.optim.Adam([p], lr=1e-3, betas=(0.8, 0.99))
    for g in grads:
        p.grad = torchless.tensor(g)
        optimizer.step()
    m = np.zeros(p0.shape)
    v = np.zeros(p0.shape)
    for g in grads:
        m = 0.8 * m + 0.2 * g.astype(np.float64)
        v = 0.99 * v + 0.01 * g.astype(np.float64) ** 2
    state = optimizer.state[p]
    np.testing.assert_allclose(state["exp_avg"].numpy(), m, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(state["exp_avg_sq"].numpy(), v, rtol=1e-5, atol=1e-9)


# ---------------------------------------------------------------------------- the phase layout's kept zero padding
def _conv_reference(x, w, stride, padding):
    """float64 direct cross-correlation; padding ((top, bottom), (left, right))."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    (sH, sW), ((top, bottom), (left, right)) = stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    O, _, kH, kW = w.shape
    Ho, Wo = (xp.shape[2] - kH) // sH + 1, (xp.shape[3] - kW) // sW + 1
    y = np.zeros((x.shape[0], O, Ho, Wo))
    for i in range(kH):
        for j in range(kW):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + sH * (Ho - 1) + 1:sH, j:j + sW * (Wo - 1) + 1:sW],
                           w[:, :, i, j])
    return y


# (input shape, kernel shape, stride, padding): layouts whose interiors cover each other's padding cells
LAYOUTS = [
    ((3, 4, 10, 10), (5, 4, 3, 3), (1, 1), ((2, 2), (2, 2))),
    ((3, 4, 12, 12), (5, 4, 3, 3), (1, 1), ((0, 0), (0, 0))),
    ((3, 4, 10, 10), (5, 4, 3, 3), (1, 1), ((1, 1), (1, 1))),
    ((2, 4, 11, 9), (3, 4, 3, 3), (2, 2), ((1, 0), (2, 1))),
    ((3, 4, 10, 10), (5, 4, 3, 3), (1, 1), ((2, 0), (0, 2))),
    ((2, 3, 9, 12), (4, 3, 3, 3), (2, 1), ((1, 1), (1, 1))),
    # one input and padding with a larger kernel: a longer tail moves the second row phase along the buffer
    ((2, 3, 9, 12), (4, 3, 5, 3), (2, 1), ((1, 1), (1, 1))),
    ((2, 3, 9, 12), (4, 3, 3, 3), (2, 1), ((1, 1), (1, 1))),
]


def _filled_with_garbage():
    """Fill this thread's scratch buffers the layouts share with large values, as another kernel's data would."""
    x = np.full((3, 4, 16, 16), 1e6, np.float32)
    w = np.ones((5, 4, 3, 3), np.float32)
    conv_kernels.FORWARD["im2col"].run(x, w, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)


@pytest.mark.parametrize("algorithm", ["im2col", "rowstack"])
def test_phase_layouts_one_after_another_against_float64_reference(algorithm):
    rng = np.random.default_rng(5)
    for round_ in range(3):
        for x_shape, w_shape, stride, padding in LAYOUTS:
            if algorithm == "rowstack" and stride != (1, 1):
                _filled_with_garbage()  # (a stride-2 layout's cells in the buffer, then the next layout)
                continue
            x = rng.standard_normal(x_shape).astype(np.float32)
            w = rng.standard_normal(w_shape).astype(np.float32)
            y = conv_kernels.FORWARD[algorithm].run(x, w, stride, padding, (1, 1), 1)
            np.testing.assert_allclose(y, _conv_reference(x, w, stride, padding), rtol=1e-4, atol=1e-4)
            gy = rng.standard_normal(y.shape).astype(np.float32)
            gw = conv_kernels.BACKWARD_WEIGHT[algorithm].run(gy, x, w_shape[2:], stride, padding, (1, 1), 1)
            # float64 weight gradient: the sum over images and positions of gy times the input under each tap
            (sH, sW), ((top, bottom), (left, right)) = stride, padding
            xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (top, bottom), (left, right)))
            Ho, Wo = y.shape[2:]
            expected = np.stack([np.stack([np.einsum("nohw,nchw->oc", gy.astype(np.float64),
                                                     xp[:, :, i:i + sH * (Ho - 1) + 1:sH, j:j + sW * (Wo - 1) + 1:sW])
                                           for j in range(w_shape[3])], -1) for i in range(w_shape[2])], -2)
            np.testing.assert_allclose(gw, expected, rtol=1e-4, atol=1e-3)
        if round_ == 1:
            release_scratch()  # (fresh buffers: their padding must be zeroed again)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_phase_layouts_of_one_input_with_other_kernels(dtype):
    # One input, stride and padding, with kernels and dilations that change the planes' tail, and with it where the
    # second row phase starts in the buffer: each call must find zeros around its own copy of the input.
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 4, 10, 11)).astype(dtype)
    stride, padding = (2, 1), ((1, 2), (3, 2))
    for kernel_hw, dilation in [((5, 5), (1, 2)), ((3, 3), (1, 1)), ((5, 5), (1, 2)), ((2, 2), (1, 1)),
                                ((5, 5), (2, 1)), ((1, 3), (1, 2)), ((5, 5), (1, 2))]:
        w = rng.standard_normal((2, 4) + kernel_hw).astype(dtype)
        dilated = np.zeros((2, 4, (kernel_hw[0] - 1) * dilation[0] + 1, (kernel_hw[1] - 1) * dilation[1] + 1), dtype)
        dilated[:, :, ::dilation[0], ::dilation[1]] = w
        y = conv_kernels.FORWARD["im2col"].run(x, w, stride, padding, dilation, 1)
        np.testing.assert_allclose(y, _conv_reference(x, dilated, stride, padding), rtol=1e-4, atol=1e-4)
        gy = rng.standard_normal(y.shape).astype(dtype)
        gw = conv_kernels.BACKWARD_WEIGHT["im2col"].run(gy, x, kernel_hw, stride, padding, dilation, 1)
        (sH, sW), ((top, bottom), (left, right)) = stride, padding
        xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (top, bottom), (left, right)))
        Ho, Wo = y.shape[2:]
        expected = np.empty(w.shape)
        for i in range(kernel_hw[0]):
            for j in range(kernel_hw[1]):
                a, b = i * dilation[0], j * dilation[1]
                expected[:, :, i, j] = np.einsum("nohw,nchw->oc", gy.astype(np.float64),
                                                 xp[:, :, a:a + sH * (Ho - 1) + 1:sH, b:b + sW * (Wo - 1) + 1:sW])
        np.testing.assert_allclose(gw, expected, rtol=1e-4, atol=1e-3)


def test_phase_layout_after_garbage_in_the_buffer():
    # The layout's first call zeroes the padding; a call of another layout writes its interior over those cells;
    # the first layout, called again, must zero them again.
    rng = np.random.default_rng(6)
    x_shape, w_shape, stride, padding = LAYOUTS[0]
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    first = conv_kernels.FORWARD["rowstack"].run(x, w, stride, padding, (1, 1), 1).copy()
    _filled_with_garbage()
    again = conv_kernels.FORWARD["rowstack"].run(x, w, stride, padding, (1, 1), 1)
    np.testing.assert_array_equal(again, first)
    np.testing.assert_allclose(again, _conv_reference(x, w, stride, padding), rtol=1e-4, atol=1e-4)


def test_phase_layout_of_another_dtype_shares_no_record():
    # float64 and float32 calls of one layout have separate buffers: each keeps its own zeros.
    rng = np.random.default_rng(7)
    x_shape, w_shape, stride, padding = LAYOUTS[2]
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    for dtype in (np.float32, np.float64, np.float32, np.float64):
        y = conv_kernels.FORWARD["rowstack"].run(x.astype(dtype), w.astype(dtype), stride, padding, (1, 1), 1)
        tolerance = 1e-4 if dtype == np.float32 else 1e-10
        np.testing.assert_allclose(y, _conv_reference(x.astype(dtype), w.astype(dtype), stride, padding),
                                   rtol=tolerance, atol=tolerance)
        _filled_with_garbage()


def test_still_zero_around_records_the_buffer_itself():
    planes = np.zeros(10, np.float32)
    layout = ("test_role", (1, 1, 2, 2), np.dtype(np.float32), (1, 1, 8), (3, 3), 1, 1)
    assert not im2col._still_zero_around(planes[:8], layout)  # (nothing recorded yet)
    assert im2col._still_zero_around(planes[:8], layout)
    assert not im2col._still_zero_around(np.zeros(10, np.float32)[:8], layout)  # another buffer
    assert not im2col._still_zero_around(planes[:8], layout[:-1] + (0,))  # another layout
    assert not im2col._still_zero_around(planes[:8], layout)  # (its record was replaced)


def test_flipped_input_gradient_of_the_mnist_layer_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x = rng.standard_normal((8, 32, 26, 26)).astype(np.float32)
    w = (rng.standard_normal((64, 32, 3, 3)) / 17).astype(np.float32)
    gy = rng.standard_normal((8, 64, 24, 24)).astype(np.float32)
    grads = []
    for lib in (torchless, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        lib.nn.functional.conv2d(xt, wt).backward(lib.tensor(gy))
        grads.append((xt.grad.numpy(), wt.grad.numpy()))
    for _ in range(2):  # (the second time with the padding kept from the first)
        xt, wt = torchless.tensor(x, requires_grad=True), torchless.tensor(w, requires_grad=True)
        F.conv2d(xt, wt).backward(torchless.tensor(gy))
        np.testing.assert_array_equal(xt.grad.numpy(), grads[0][0])
    for ours, theirs in zip(*grads):  # (the weight gradient sums 4608 terms: its float32 rounding scales with it)
        atol = 1e-5 * float(np.abs(theirs).max())
        torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs), rtol=1e-4, atol=atol)


# ---------------------------------------------------------------------------- the stolen first gradient
def test_stolen_gradient_is_the_sums_value_and_writable():
    rng = np.random.default_rng(9)
    p0 = rng.standard_normal((7, 5)).astype(np.float32)
    p = torchless.tensor(p0, requires_grad=True)
    (p * 3).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), np.full((7, 5), 3, np.float32))
    p.grad.add_(1)  # (writable)
    np.testing.assert_array_equal(p.grad.numpy(), np.full((7, 5), 4, np.float32))
    np.testing.assert_array_equal(p.detach().numpy(), p0)


@pytest.mark.parametrize("library", ["torchless", "torch"])
def test_gradient_held_elsewhere_is_copied(library):
    lib = torchless if library == "torchless" else pytest.importorskip("torch")
    # a leaf's own backward with a gradient the caller keeps; a node passing its gradient on as it is; two leaves
    # reached by one array: each .grad has memory of its own
    g = lib.ones(4, 3)
    p = lib.zeros(4, 3, requires_grad=True)
    p.backward(g)
    g.add_(5)
    assert p.grad.tolist() == [[1.0] * 3] * 4
    q = lib.zeros(4, 3, requires_grad=True)
    h = lib.full((4, 3), 2.0)
    (q + 0).backward(h)
    h.add_(5)
    assert q.grad.tolist() == [[2.0] * 3] * 4
    a = lib.zeros(4, 3, requires_grad=True)
    b = lib.zeros(4, 3, requires_grad=True)
    (a + b).backward(lib.full((4, 3), 3.0))
    a.grad.add_(1)
    assert b.grad.tolist() == [[3.0] * 3] * 4
    assert a.grad.tolist() == [[4.0] * 3] * 4


@pytest.mark.parametrize("library", ["torchless", "torch"])
def test_gradient_of_a_transposed_leaf_keeps_its_layout(library):
    lib = torchless if library == "torchless" else pytest.importorskip("torch")
    p = lib.arange(12.0).reshape(3, 4).t().detach().requires_grad_()
    (p * p).sum().backward()
    assert p.grad.stride() == p.stride() == (1, 4)
    assert p.grad.tolist() == (2 * lib.arange(12.0).reshape(3, 4).t()).tolist()


def test_second_backward_accumulates_into_the_stolen_gradient():
    p = torchless.ones(5, requires_grad=True)
    (p * 2).sum().backward()
    first = p.grad
    (p * 3).sum().backward()
    assert p.grad is first  # (in place, as PyTorch's AccumulateGrad)
    assert p.grad.tolist() == [5.0] * 5


def test_mnist_cnn_training_steps_against_torch():
    torch = pytest.importorskip("torch")

    def build(lib):
        nn = lib.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
                self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

            def forward(self, x):
                x = lib.nn.functional.max_pool2d(self.conv2(self.conv1(x).relu()).relu(), 2).flatten(1)
                return self.fc2(self.fc1(x).relu())
        return Net()

    torch.manual_seed(0)
    theirs = build(torch)
    ours = build(torchless)
    ours.load_state_dict({k: torchless.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(10)
    batches = [(rng.random((16, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 16)) for _ in range(2)]
    losses, grads = {}, {}
    for lib, model in ((torchless, ours), (torch, theirs)):
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
        for step, (x, y) in enumerate(batches):
            optimizer.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            losses.setdefault(lib.__name__, []).append(loss.item())
            if step == 0:
                grads[lib.__name__] = [p.grad.numpy().copy() for p in model.parameters()]
            optimizer.step()
    # (Adam moves a weight by about lr whatever the size of its gradient: where that is a rounding error apart from
    # zero, the weights after a step may differ by 2 lr; the gradients and the losses must agree)
    np.testing.assert_allclose(losses["torchless"], losses["torch"], rtol=1e-5)
    for ours_grad, their_grad in zip(grads["torchless"], grads["torch"]):
        np.testing.assert_allclose(ours_grad, their_grad, rtol=1e-3, atol=1e-5 * float(np.abs(their_grad).max()))
