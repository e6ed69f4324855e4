"""Parity regressions (session 43): differences found by fuzzing whole CNN programs (models built, trained with
optimizers and schedulers over a DataLoader, evaluated, saved and reloaded) against torch 2.13.0, each fixed in
torchless and kept here."""
import itertools
import math

import pytest

import torchless

torch = pytest.importorskip("torch")


def _one_thread(lib):
    """Set one thread for the test, returning the count to restore."""
    previous = lib.get_num_threads()
    lib.set_num_threads(1)
    return previous


# ---------------------------------------------------------------- 1x1 convolutions in one thread


def _one_by_one_layouts(lib, transposed, ndim, stride, dilation):
    """Strides of a 1x1 (1x1x1) convolution's output and first and second derivatives for a channels-last batch
    of four, in one thread."""
    previous = _one_thread(lib)
    try:
        lib.manual_seed(0)
        module = getattr(lib.nn, ("ConvTranspose%dd" if transposed else "Conv%dd") % ndim)
        conv = module(2, 4, 1, stride=stride, dilation=dilation)
        layout = lib.channels_last if ndim == 2 else lib.channels_last_3d
        x = lib.randn(4, 2, *([5] * ndim)).to(memory_format=layout).requires_grad_()
        y = conv(x)
        gx, gw = lib.autograd.grad((y * y).sum(), [x, conv.weight], create_graph=True)
        ggx, ggw = lib.autograd.grad((gx * gx).sum() + (gw * gw).sum(), [x, conv.weight])
        return [t.stride() for t in (y, gx, gw, ggx, ggw)]
    finally:
        lib.set_num_threads(previous)


@pytest.mark.parametrize("transposed,ndim,stride,dilation",
                         [(True, 2, 1, 2)] + [case for case in itertools.product((False, True), (3,), (1, 2), (1, 2))
                                              if case[2:] != (1, 1)])
def test_strided_or_dilated_one_by_one_convolution_in_one_thread_is_onednns(transposed, ndim, stride, dilation):
    # PyTorch's reference kernel takes a float32 1x1 convolution in one thread only where it is neither strided nor
    # dilated; torchless read the dilation (a transposed one's) or the stride and dilation (3-D) as 1, laying out
    # the weight's gradient (ConvTranspose2d) or the output and gradients (3-D) as the reference kernel does.
    assert _one_by_one_layouts(torchless, transposed, ndim, stride, dilation) == \
        _one_by_one_layouts(torch, transposed, ndim, stride, dilation)


def _one_by_one_3d_layouts_without_graph(lib, stride, dilation):
    """Strides of a strided or dilated 1x1x1 convolution's output under no_grad and of torch.nn.grad's
    gradients, for a channels-last batch of four, in one thread."""
    previous = _one_thread(lib)
    try:
        lib.manual_seed(0)
        conv = lib.nn.Conv3d(2, 4, 1, stride=stride, dilation=dilation)
        x = lib.randn(4, 2, 5, 5, 5).to(memory_format=lib.channels_last_3d)
        with lib.no_grad():
            y = conv(x)
        w = conv.weight.detach()
        gy = lib.randn(y.shape).to(memory_format=lib.channels_last_3d)
        gw = lib.nn.grad.conv3d_weight(x, w.shape, gy, stride=stride, dilation=dilation)
        return y.stride(), gw.stride()
    finally:
        lib.set_num_threads(previous)


@pytest.mark.parametrize("stride,dilation", [(1, 2), (2, 1), (2, 2)])
def test_strided_or_dilated_one_by_one_volume_convolution_without_graph_is_onednns(stride, dilation):
    # (the same backend choice in conv3d's path without a graph and in torch.nn.grad.conv3d_weight)
    assert _one_by_one_3d_layouts_without_graph(torchless, stride, dilation) == \
        _one_by_one_3d_layouts_without_graph(torch, stride, dilation)


# ---------------------------------------------------------------- grouped convolutions of one cell per image


def _grouped_one_cell_layouts(lib, transposed, in_per_group, out_per_group, batch):
    """Strides of a grouped float64 (reference kernel) convolution's output, with and without a graph, and of
    its input's and weight's gradients, for a channels-last input of one cell per image."""
    lib.manual_seed(0)
    module = lib.nn.ConvTranspose2d if transposed else lib.nn.Conv2d
    conv = module(2 * in_per_group, 2 * out_per_group, 1, groups=2).double()
    x = lib.randn(batch, 2 * in_per_group, 1, 1, dtype=lib.float64).to(memory_format=lib.channels_last)
    x.requires_grad_()
    y = conv(x)
    y.backward(lib.ones_like(y))
    with lib.no_grad():
        y_without_graph = conv(x)
    return y.stride(), y_without_graph.stride(), x.grad.stride(), conv.weight.grad.stride()


@pytest.mark.parametrize("transposed,in_per_group,out_per_group,batch",
                         [(False, 1, 1, 2), (False, 1, 2, 1), (False, 1, 2, 4), (False, 1, 3, 2), (True, 1, 2, 4)])
def test_grouped_convolution_of_single_channel_groups_concatenates_in_c_order(transposed, in_per_group,
                                                                                out_per_group, batch):
    # PyTorch's reference kernels convolve group by group and concatenate: the input's gradient, the
    # concatenation of the groups' one-channel, one-cell gradients, is C-ordered (torchless laid it out
    # channels-last: (2, 1, 2, 2) for PyTorch's (2, 1, 1, 1)), and so is the output where the batch has more than
    # one image (torchless: (4, 1, 4, 4) for (4, 1, 1, 1)).
    assert _grouped_one_cell_layouts(torchless, transposed, in_per_group, out_per_group, batch) == \
        _grouped_one_cell_layouts(torch, transposed, in_per_group, out_per_group, batch)


# ---------------------------------------------------------------- batch norm of a C-contiguous channels-last input


@pytest.mark.parametrize("shape", [(8, 1, 7, 8), (4, 3, 1, 1), (4, 3, 1, 1, 1), (4, 1, 3, 3, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_output_of_c_contiguous_channels_last_input_is_c_ordered(shape, training):
    # A channels-last tensor of one channel (a grayscale batch), or of one cell per image (after global pooling),
    # is C-contiguous too: PyTorch's batch norm gives it a C-ordered output ((56, 56, 8, 1) for (8, 1, 7, 8)),
    # torchless a channels-last one ((56, 1, 8, 1)), the layout its input suggests; the input's gradient follows
    # that suggestion in both.
    def layouts(lib):
        layout = lib.channels_last if len(shape) == 4 else lib.channels_last_3d
        x = lib.zeros(shape).to(memory_format=layout) + lib.arange(float(math.prod(shape))).reshape(shape)
        x = x.to(memory_format=layout).requires_grad_()
        norm = (lib.nn.BatchNorm2d if len(shape) == 4 else lib.nn.BatchNorm3d)(shape[1]).train(training)
        y = norm(x)
        y.backward(lib.ones_like(y))
        return x.stride(), y.stride(), x.grad.stride()

    assert layouts(torchless) == layouts(torch)


# ---------------------------------------------------------------- SGD's first momentum buffer


@pytest.mark.parametrize("options", [{}, {"foreach": True}, {"weight_decay": 0.1}, {"maximize": True},
                                     {"weight_decay": 0.1, "foreach": True}, {"fused": True, "weight_decay": 0.1}])
@pytest.mark.parametrize("shape,strides", [((6, 4, 1, 1, 1), (4, 1, 4, 4, 4)), ((6, 4, 1, 1), (4, 1, 4, 4))])
def test_sgd_momentum_buffer_strides_are_those_of_the_cloned_gradient(options, shape, strides):
    # The weight gradient of a 1x1 convolution of a channels-last input has channels-last strides on its size-1
    # dims; PyTorch clones it into the first momentum buffer (keeping them), or clones the -grad or
    # grad + weight_decay * param it computed (which TensorIterator lays out in C order's strides). torchless
    # made every buffer with NumPy's empty_like, C order's strides, so the optimizer's state differed.
    def buffer_strides(lib):
        param = lib.nn.Parameter(lib.ones(shape))
        param.grad = lib.empty_strided(shape, strides).fill_(0.5)
        optimizer = lib.optim.SGD([param], lr=0.1, momentum=0.9, **options)
        optimizer.step()
        return optimizer.state[param]["momentum_buffer"].stride()

    assert buffer_strides(torchless) == buffer_strides(torch)


# ---------------------------------------------------------------- optimizer state of a channels-last model


@pytest.mark.parametrize("name,options", [("Adam", {}), ("Adam", {"amsgrad": True, "foreach": True}),
                                          ("AdamW", {"fused": True}), ("RMSprop", {"momentum": 0.9, "centered": True}),
                                          ("Adamax", {}), ("NAdam", {}), ("RAdam", {}), ("Adadelta", {}),
                                          ("ASGD", {}), ("Rprop", {})])
def test_optimizer_state_keeps_the_strides_of_a_channels_last_parameter(name, options):
    # model.to(memory_format=torch.channels_last) leaves a 1x1 convolution's weight of shape (2, 3, 1, 1, 1) with
    # strides (3, 1, 3, 3, 3); PyTorch's zeros_like(p, memory_format=torch.preserve_format) state keeps them,
    # torchless's NumPy zeros_like gave (3, 1, 1, 1, 1).
    def state_strides(lib):
        param = lib.nn.Parameter(lib.empty_strided((2, 3, 1, 1, 1), (3, 1, 3, 3, 3)).fill_(0.5))
        param.grad = lib.empty_strided((2, 3, 1, 1, 1), (3, 1, 3, 3, 3)).fill_(0.25)
        optimizer = getattr(lib.optim, name)([param], lr=0.01, **options)
        optimizer.step()
        return {key: value.stride() for key, value in optimizer.state[param].items()}

    assert state_strides(torchless) == state_strides(torch)


# ---------------------------------------------------------------- copy.deepcopy keeps strides


def test_deepcopy_of_channels_last_model_and_optimizer_state_keeps_strides():
    # copy.deepcopy(model) of a model moved to channels-last (saving the best model, an EMA copy) gave
    # C-contiguous parameters (Parameter.__deepcopy__ copied in C order; PyTorch clones with preserve_format), and
    # a deepcopied optimizer state_dict lost its channels-last momentum buffers (a tensor over memory NumPy did not
    # allocate in one order was copied in C order; PyTorch copies the storage and keeps the strides).
    import copy

    def strides(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.Conv2d(4, 2, 1)).to(memory_format=lib.channels_last)
        model(lib.randn(2, 3, 6, 6).to(memory_format=lib.channels_last)).sum().backward()
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        optimizer.step()
        state = copy.deepcopy(optimizer.state_dict())["state"]
        return ([p.stride() for p in copy.deepcopy(model).parameters()],
                [entry["momentum_buffer"].stride() for entry in state.values()])

    assert strides(torchless) == strides(torch)


# ---------------------------------------------------------------- leaky_relu / threshold / rrelu gradient layout


@pytest.mark.parametrize("layer", ["LeakyReLU", "LeakyReLU_inplace", "Threshold", "RReLU"])
@pytest.mark.parametrize("shape", [(4, 4, 2, 1)])
def test_pointwise_activation_gradient_follows_the_input_strides_of_size_one_dims(layer, shape):
    # A channels-last activation with a size-1 dim (a BatchNorm2d output of width 1) has strides (8, 1, 4, 4);
    # PyTorch's leaky_relu_backward/threshold_backward lay the input's gradient out by the input first,
    # (8, 1, 4, 4) for a C-ordered output gradient; torchless's saved mask, a NumPy comparison, had other strides at
    # the size-1 dim and gave (8, 1, 4, 1).
    def gradient_strides(lib):
        module = {"LeakyReLU": lambda: lib.nn.LeakyReLU(0.1), "LeakyReLU_inplace": lambda: lib.nn.LeakyReLU(0.1, True),
                  "Threshold": lambda: lib.nn.Threshold(0.1, 0.0), "RReLU": lambda: lib.nn.RReLU().eval()}[layer]()
        lib.manual_seed(0)
        leaf = lib.randn(shape[0], shape[2], shape[3], shape[1]).permute(0, 3, 1, 2).requires_grad_()
        x = leaf * 1
        seen = []
        x.register_hook(lambda grad: seen.append(grad.stride()))
        y = module(x)
        y.backward(lib.ones(y.shape))
        return x.stride(), seen

    assert gradient_strides(torchless) == gradient_strides(torch)


@pytest.mark.parametrize("shape,channels", [((4, 4, 1, 1), 4), ((4, 1, 2, 3), 1)])
def test_prelu_input_gradient_layout_reads_the_weight_operand(shape, channels):
    # PyTorch's PReLU backward iterates over (input, weight, grad); the weight's broadcast shape keeps
    # TensorIterator from its fast setup, so a channels-last input that is C-contiguous as well (one cell per image,
    # or one channel) gets a channels-last gradient, (4, 1, 4, 4); torchless left the weight out and took the fast
    # setup's C order, (4, 1, 1, 1).
    def gradient_strides(lib):
        lib.manual_seed(0)
        x = lib.randn(shape[0], shape[2], shape[3], shape[1]).permute(0, 3, 1, 2).requires_grad_() * 1
        seen = []
        x.register_hook(lambda grad: seen.append(grad.stride()))
        y = lib.nn.PReLU(channels)(x)
        y.backward(lib.ones(y.shape))
        return x.stride(), seen

    assert gradient_strides(torchless) == gradient_strides(torch)


# ---------------------------------------------------------------- LBFGS reads gradients through view(-1)


def test_lbfgs_refuses_channels_last_gradients_as_pytorchs_view():
    # LBFGS gathers the gradients with grad.view(-1): after model.to(memory_format=torch.channels_last) a
    # convolution weight's gradient is channels-last and PyTorch's step raises view's error; torchless reshaped
    # every gradient and stepped.
    def step(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 2), lib.nn.Flatten(), lib.nn.Linear(4 * 5 * 5, 2))
        model = model.to(memory_format=lib.channels_last)
        x = lib.randn(2, 3, 6, 6).to(memory_format=lib.channels_last)
        optimizer = lib.optim.LBFGS(model.parameters(), max_iter=2)

        def closure():
            optimizer.zero_grad()
            loss = model(x).pow(2).mean()
            loss.backward()
            return loss

        with pytest.raises(RuntimeError) as error:
            optimizer.step(closure)
        return str(error.value)

    assert step(torchless) == step(torch)


# ---------------------------------------------------------------- the divisor's gradient of a / b


def test_divisor_gradient_is_laid_out_as_pytorchs_chain_of_ops():
    # PyTorch computes the divisor's gradient as -grad * ((a / b) / b), four TensorIterator ops, each laying its
    # result out by its own operands; torchless laid the product out once over (grad, a, b), which differs for a
    # divisor with channels-last strides at a size-1 dim beside C-ordered operands ((12, 3, 12, 1) for PyTorch's
    # (12, 3, 3, 1)).
    def gradient_strides(lib):
        lib.manual_seed(0)
        x = lib.randn(4, 1, 3, 4).permute(0, 3, 1, 2).requires_grad_() * 1
        seen = []
        x.register_hook(lambda grad: seen.append(grad.stride()))
        y = (lib.rand(4, 4, 1, 3) + 1) / x
        y.backward(lib.ones(y.shape))
        return y.stride(), seen

    assert gradient_strides(torchless) == gradient_strides(torch)


def test_cast_backward_keeps_the_gradients_strides_at_size_one_dims():
    """ToCopyBackward0: PyTorch's grad.to(dtype) keeps the gradient's strides, size-1 dims' too, and AccumulateGrad
    keeps them (its layout contract ignores size-1 dims); NumPy's astype reset them."""
    for lib in (torchless, torch):
        weight = lib.randn(6, 4, 1, 1).to(memory_format=lib.channels_last).requires_grad_()
        grad = lib.empty_strided((6, 4, 1, 1), (4, 1, 4, 4), dtype=lib.float64).fill_(1)
        weight.double().backward(grad)
        assert weight.grad.stride() == (4, 1, 4, 4), lib.__name__
