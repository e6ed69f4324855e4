"""More real-world PyTorch programs run unchanged under ``python -m torchless.as_torch``, each compared with PyTorch
running the same script: every printed line (tensors, module reprs, state_dicts, error texts as the scripts print
them) and the tensors a script saves.

- PyTorch's "Tensors" tutorials (the basics one and "Introduction to PyTorch Tensors", every cell), "A Gentle
  Introduction to torch.autograd", the "Autograd mechanics" notes (saved tensors, grad modes, in-place correctness
  checks and their errors, retain_grad, tensor, node and saved-tensor hooks), "Extending PyTorch" (autograd
  Functions with setup_context, ctx.save_for_backward, once_differentiable, mark_non_differentiable,
  set_materialize_grads, mark_dirty, gradcheck and gradgradcheck, a custom Linear module) and the parts of
  "Learning PyTorch with Examples" test_parity_regressions_wild27 leaves out (NumPy warm-up, gradients by hand,
  manual parameter updates, a custom module).
- Recipes: defining a network (Dropout2d, log_softmax), what a state_dict is, saving and loading for inference, a
  general checkpoint, several models in one file, warm-starting with ``strict=False``, zeroing gradients,
  changing the default device, loading with ``mmap=True`` and ``assign=True``.
- A Kaggle-style MNIST CNN: a Sequential with Flatten, BatchNorm and Dropout2d, TensorDataset, random_split with a
  generator, ReduceLROnPlateau, early stopping with ``copy.deepcopy(model.state_dict())``, confusion matrices by
  ``bincount`` and ``index_put_``, accuracies in f-strings, OneCycleLR. It runs in float64 (its conv biases ahead
  of BatchNorm have gradients of pure rounding noise, which Adam turns into steps of ``lr`` either way in float32).
- "Extending torch.func with autograd.Function": NumpySort and NumpyTake (forward on NumPy arrays, their own vmap
  staticmethods), MyCube with ``generate_vmap_rule``, under grad, vmap, jacrev and their compositions.
- A Kaggle digit-recognizer-style loop: a Dataset over CSV-like rows, WeightedRandomSampler, ``model.apply`` with
  Kaiming and Xavier inits, a torchsummary-like table from forward hooks, frozen layers, AdamW, clip_grad_norm_,
  StepLR, CosineAnnealingLR, LambdaLR and pytorch/examples' log lines.

Losses summed over hundreds of elements are printed to 10 significant digits: PyTorch adds a long float row in its
own vectorised order, torchless in NumPy's pairwise one, which can differ in the last bit.

Fixed on the way:

- ``with torch.device(...):`` was refused (a device is a context manager making itself the default device for the
  block), and ``torch.get_default_device()`` dropped a default device's index ('cpu:0') and refused an indexed
  CUDA device, which PyTorch returns as it is.
- ``Tensor.numpy()`` refused a tensor requiring grad even with grad mode off (under ``no_grad``, and so in an
  autograd Function's forward, which NumPy-backed Functions rely on); PyTorch refuses it only with grad enabled.
- An autograd Function under vmap ran its forward on the batched samples whatever it declared: its vmap
  staticmethod now maps it (given each sample as a batch of one, torchless's vmap running sample by sample),
  ``generate_vmap_rule = True`` keeps forward, and one with neither, or both, or a Function without
  setup_context inside any torch.func transform, raises PyTorch's errors.
- ``dir(tensor)`` listed torchless's private helpers too, 753 names: past 750 Python stops suggesting "Did you mean:
  'size'?" for a mistyped attribute, which PyTorch's 749 still get.
- gradcheck warned that a complex128 input is not in double precision (and not that a complex64 one is), naming
  the caller's line where PyTorch names gradcheck's.
- A tensor packed by saved_tensors_hooks and changed in place before backward raised the in-place modification
  error, where PyTorch's packed tensors have no version to check (backward uses what unpack_hook gives). They no
  longer do where backward reads the unpacked tensor (ops keeping the saved tensor as such, custom Functions);
  an op whose backward reads its own copy of the memory (torchless's convolutions, linear, norms, pooling) keeps
  the check, which is an error where PyTorch's result would differ, never a silently different gradient. On it,
  ``torch.autograd.graph.allow_mutation_on_saved_tensors``, which was missing.
"""
import pytest

import torchless
from helpers import run_python, same_program

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("lib", [torch, torchless], ids=["torch", "torchless"])
def test_a_device_is_a_context_manager_setting_the_default_device(lib):
    with lib.device("cpu") as entered:
        assert str(entered) == "cpu" and str(lib.get_default_device()) == "cpu"
        with lib.device("meta"):
            assert repr(lib.get_default_device()) == "device(type='meta')"
            with lib.device("cuda:1"):
                assert repr(lib.get_default_device()) == "device(type='cuda', index=1)"
        with pytest.raises(ValueError):
            with lib.device("meta:0"):
                assert repr(lib.get_default_device()) == "device(type='meta', index=0)"
                raise ValueError
        assert str(lib.get_default_device()) == "cpu"
        layer = lib.nn.Linear(2, 3)
        assert layer.weight.device == lib.device("cpu")
    with lib.device("cuda"):  # entering checks nothing; asking for the default allocates there, and fails
        with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
            lib.get_default_device()
    assert repr(lib.get_default_device()) == "device(type='cpu')"


@pytest.mark.parametrize("name, expected", [
    ("cpu", "device(type='cpu')"), ("cpu:0", "device(type='cpu', index=0)"), ("meta", "device(type='meta')"),
    ("cuda:1", "device(type='cuda', index=1)"), ("cuda", AssertionError), ("xpu", AssertionError),
    ("mps", RuntimeError), ("hpu", ModuleNotFoundError)])
def test_get_default_device_returns_an_indexed_device_as_it_is(name, expected):
    for lib in (torch, torchless):
        lib.set_default_device(name)
        try:
            if isinstance(expected, str):
                assert repr(lib.get_default_device()) == expected
            else:
                with pytest.raises(expected):
                    lib.get_default_device()
        finally:
            lib.set_default_device(None)


@pytest.mark.parametrize("lib", [torch, torchless], ids=["torch", "torchless"])
def test_numpy_of_a_tensor_requiring_grad_is_refused_only_with_grad_enabled(lib):
    x = lib.ones(2, requires_grad=True)
    with lib.no_grad():
        assert x.numpy().tolist() == [1.0, 1.0]
    with lib.inference_mode():
        assert x.numpy().tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match=r"^Can't call numpy\(\) on Tensor that requires grad. Use "
                                           r"tensor.detach\(\).numpy\(\) instead.$"):
        x.numpy()

    class Doubled(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return lib.from_numpy(x.numpy() * 2)

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    y = Doubled.apply(x)
    y.sum().backward()
    assert y.tolist() == [2.0, 2.0] and x.grad.tolist() == [2.0, 2.0]


def _doubling_function(lib, vmap_rule=None, generate=False, setup_context=True):
    """A Function doubling its input, with the given vmap staticmethod and generate_vmap_rule."""
    namespace = {"generate_vmap_rule": generate, "backward": staticmethod(lambda ctx, g: g * 2)}
    if setup_context:
        namespace["forward"] = staticmethod(lambda x: x * 2)
        namespace["setup_context"] = staticmethod(lambda ctx, inputs, output: None)
    else:
        namespace["forward"] = staticmethod(lambda ctx, x: x * 2)
    if vmap_rule is not None:
        namespace["vmap"] = staticmethod(vmap_rule)
    return type("Doubling", (lib.autograd.Function,), namespace)


VMAP_RULE_CASES = {
    "rule": (dict(vmap_rule=lambda info, in_dims, x: (x * 2, in_dims[0])), None),
    "rule moving the batch dimension": (dict(vmap_rule=lambda info, in_dims, x: ((x * 2).movedim(in_dims[0], -1), -1)),
                                        None),
    "generated": (dict(generate=True), None),
    "neither": (dict(), r"^You tried to vmap over Doubling, but it does not have vmap support. Please override and "
                        r"implement the vmap staticmethod or set generate_vmap_rule=True. For more details, please "
                        r"see https://pytorch.org/docs/main/notes/extending.func.html$"),
    "both": (dict(vmap_rule=lambda info, in_dims, x: (x * 2, 0), generate=True),
             r"^You tried to vmap over Doubling, but it has both generate_vmap_rule=True and an overridden vmap "
             r"staticmethod."),
    "one return": (dict(vmap_rule=lambda info, in_dims, x: x * 2),
                   r"^Expected the vmap staticmethod to have two returns, an output and out_dims with pytree "
                   r"structure compatible with the output. Got a <class '(torch|torchless).Tensor'> instead$"),
    "three returns": (dict(vmap_rule=lambda info, in_dims, x: (x, 0, 0)), r"Got 3 returns instead$"),
    "no setup_context": (dict(setup_context=False), r"^In order to use an autograd.Function with functorch "
                                                    r"transforms \(vmap, grad, jvp, jacrev, ...\), it must override "
                                                    r"the setup_context staticmethod."),
}


@pytest.mark.parametrize("case", VMAP_RULE_CASES)
@pytest.mark.parametrize("lib", [torch, torchless], ids=["torch", "torchless"])
def test_autograd_function_under_vmap_and_grad(lib, case):
    options, error = VMAP_RULE_CASES[case]
    function = _doubling_function(lib, **options)
    x = lib.arange(6.0).reshape(2, 3)
    if error is not None:
        with pytest.raises(RuntimeError, match=error):
            lib.vmap(function.apply)(x)
        return
    assert lib.vmap(function.apply)(x).tolist() == (x * 2).tolist()
    assert lib.vmap(function.apply, in_dims=1)(x).tolist() == (x * 2).T.tolist()
    assert lib.func.grad(lambda t: lib.vmap(function.apply)(t).sum())(x).tolist() == [[2.0] * 3] * 2
    assert lib.vmap(lib.func.grad(lambda t: function.apply(t).sum()))(x).tolist() == [[2.0] * 3] * 2
    unmapped = lib.vmap(lambda t: function.apply(lib.ones(3)) + t)(x)  # (no batched input: forward runs as is)
    assert unmapped.tolist() == (x + 2).tolist()


@pytest.mark.parametrize("lib", [torch, torchless], ids=["torch", "torchless"])
def test_a_function_without_setup_context_is_refused_by_grad_but_not_by_autograd(lib):
    function = _doubling_function(lib, setup_context=False)
    with pytest.raises(RuntimeError, match="must override the setup_context staticmethod"):
        lib.func.grad(lambda t: function.apply(t).sum())(lib.ones(2))
    x = lib.ones(2, requires_grad=True)
    function.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_a_mistyped_tensor_attribute_gets_pythons_suggestion_as_with_pytorch(tmp_path):
    (tmp_path / "script.py").write_text(
        "import sys\n"
        "import torch\n"
        "for name in ('sizee', 'requires_grd', 'detatch', 'numpyy'):\n"
        "    try:\n"
        "        getattr(torch.nn.Parameter(torch.ones(2)) if name == 'requires_grd' else torch.ones(2), name)\n"
        "    except AttributeError as error:\n"
        "        sys.excepthook(type(error), error, None)  # (Python's display, which adds the suggestion)\n")
    _, expected = run_python(["script.py"], cwd=tmp_path)
    _, actual = run_python(["-m", "torchless.as_torch", "script.py"], cwd=tmp_path)
    assert "Did you mean: 'size'?" in expected and actual == expected
    names = dir(torchless.ones(1))
    assert names == sorted(names) and "_version" in names and "_data" not in names


@pytest.mark.parametrize("dtype", ["float64", "complex128", "float32", "complex64", "float16"])
def test_gradcheck_warns_of_inputs_not_in_double_precision_from_its_own_line(dtype):
    def warned(lib):
        import os
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.autograd.gradcheck(lambda t: t * 2, (lib.ones(2, dtype=getattr(lib, dtype), requires_grad=True),),
                                   atol=0.1, rtol=0.1, raise_exception=False)
        return [(str(w.message), os.path.basename(w.filename)) for w in caught]

    expected = warned(torch)
    assert warned(torchless) == expected
    assert bool(expected) == (dtype not in ("float64", "complex128"))


def _close(actual, expected):
    """Whether nested lists of numbers (and strings) agree, numbers to float32's precision."""
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(map(_close, actual, expected))
    if isinstance(expected, str):
        return actual == expected
    return abs(actual - expected) <= 1e-5 * max(1.0, abs(expected))


def _changed_after_saving(lib, pack_hook):
    """A tensor saved by ops and by a custom Function under saved_tensors_hooks(pack_hook, identity), then changed
    in place before backward: the input's gradients, or the error backward raised."""
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * grad

    grads = []
    for make in (lambda b: (b ** 2).sum(), lambda b: (b * b.exp()).sum(), lambda b: Cube.apply(b).sum()):
        a = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(pack_hook, lambda kept: kept):
            b = a.clone()
            out = make(b)
        b.sin_()
        try:
            out.backward()
        except RuntimeError as error:
            grads.append(str(error).replace("torchless", "torch"))
        else:
            grads.append(a.grad.tolist())
    return grads


@pytest.mark.parametrize("pack_hook", [lambda t: t, lambda t: t.detach().clone()], ids=["identity", "copy"])
def test_tensors_packed_by_saved_tensors_hooks_have_no_version_to_check(pack_hook):
    expected = _changed_after_saving(torch, pack_hook)
    assert _close(_changed_after_saving(torchless, pack_hook), expected)


def test_allow_mutation_on_saved_tensors():
    def run(lib):
        with lib.autograd.graph.allow_mutation_on_saved_tensors():
            a = lib.ones(2, 3, requires_grad=True)
            b = a.clone()
            out = (b ** 2).sum()
            b.sin_()
            out.sum().backward()
            x = lib.tensor([1.0, 2.0, -0.5], requires_grad=True)
            y = x.clone()
            z = y.exp()
            w = (z * y / (y + 3)).sum() + (y * y).sum() + lib.softmax(y, 0)[0] + y.tanh().sum()
            z.mul_(2)
            y.add_(1)
            w.backward()
            with pytest.raises(RuntimeError, match="^allow_mutation_on_saved_tensors contexts cannot be nested$"):
                with lib.autograd.graph.allow_mutation_on_saved_tensors():
                    pass
        return [b.tolist(), a.grad.tolist(), x.grad.tolist()]

    assert _close(run(torchless), run(torch))
    for lib in (torch, torchless):
        with lib.autograd.graph.allow_mutation_on_saved_tensors():
            out = (lib.ones(2, requires_grad=True).clone() ** 2).sum()
        with pytest.raises(AssertionError, match="^Trying to backward outside of the 'allow_mutation_on_saved_tensors' "
                                                 "contextin which the graph was originally recorded.$"):
            out.backward()



def test_tensors_tutorials(tmp_path, monkeypatch):
    """The basics tutorial's and the introductory series' tensor tutorials, every cell."""
    same_program(tmp_path, monkeypatch, r"""
        import torch
        import numpy as np

        data = [[1, 2],[3, 4]]
        x_data = torch.tensor(data)
        np_array = np.array(data)
        x_np = torch.from_numpy(np_array)
        print(x_np, x_np.dtype)
        x_ones = torch.ones_like(x_data) # retains the properties of x_data
        print(f"Ones Tensor: \n {x_ones} \n")
        torch.manual_seed(0)
        x_rand = torch.rand_like(x_data, dtype=torch.float) # overrides the datatype of x_data
        print(f"Random Tensor: \n {x_rand} \n")
        shape = (2,3,)
        rand_tensor = torch.rand(shape)
        ones_tensor = torch.ones(shape)
        zeros_tensor = torch.zeros(shape)
        print(f"Random Tensor: \n {rand_tensor} \n")
        print(f"Ones Tensor: \n {ones_tensor} \n")
        print(f"Zeros Tensor: \n {zeros_tensor}")
        tensor = torch.rand(3,4)
        print(f"Shape of tensor: {tensor.shape}")
        print(f"Datatype of tensor: {tensor.dtype}")
        print(f"Device tensor is stored on: {tensor.device}")
        if torch.accelerator.is_available():
            tensor = tensor.to(torch.accelerator.current_accelerator())
        tensor = torch.ones(4, 4)
        print(f"First row: {tensor[0]}")
        print(f"First column: {tensor[:, 0]}")
        print(f"Last column: {tensor[..., -1]}")
        tensor[:,1] = 0
        print(tensor)
        t1 = torch.cat([tensor, tensor, tensor], dim=1)
        print(t1)
        y1 = tensor @ tensor.T
        y2 = tensor.matmul(tensor.T)
        y3 = torch.rand_like(y1)
        torch.matmul(tensor, tensor.T, out=y3)
        print(y1, y2, y3)
        z1 = tensor * tensor
        z2 = tensor.mul(tensor)
        z3 = torch.rand_like(tensor)
        torch.mul(tensor, tensor, out=z3)
        print(z1, z2, z3)
        agg = tensor.sum()
        agg_item = agg.item()
        print(agg_item, type(agg_item))
        print(f"{tensor} \n")
        tensor.add_(5)
        print(tensor)
        t = torch.ones(5)
        print(f"t: {t}")
        n = t.numpy()
        print(f"n: {n}")
        t.add_(1)
        print(f"t: {t}")
        print(f"n: {n}")
        n = np.ones(5)
        t = torch.from_numpy(n)
        np.add(n, 1, out=n)
        print(f"t: {t}")
        print(f"n: {n}")

        # introyt: Introduction to PyTorch Tensors
        import math
        x = torch.empty(3, 4)
        print(type(x))
        zeros = torch.zeros(2, 3)
        print(zeros)
        ones = torch.ones(2, 3)
        print(ones)
        torch.manual_seed(1729)
        random = torch.rand(2, 3)
        print(random)
        torch.manual_seed(1729)
        random1 = torch.rand(2, 3)
        print(random1)
        random2 = torch.rand(2, 3)
        print(random2)
        torch.manual_seed(1729)
        random3 = torch.rand(2, 3)
        print(random3)
        random4 = torch.rand(2, 3)
        print(random4)
        x = torch.empty(2, 2, 3)
        print(x.shape)
        empty_like_x = torch.empty_like(x)
        print(empty_like_x.shape)
        zeros_like_x = torch.zeros_like(x)
        print(zeros_like_x.shape)
        print(zeros_like_x)
        ones_like_x = torch.ones_like(x)
        print(ones_like_x.shape)
        print(ones_like_x)
        rand_like_x = torch.rand_like(x)
        print(rand_like_x.shape)
        print(rand_like_x)
        some_constants = torch.tensor([[3.1415926, 2.71828], [1.61803, 0.0072897]])
        print(some_constants)
        some_integers = torch.tensor((2, 3, 5, 7, 11, 13, 17, 19))
        print(some_integers)
        more_integers = torch.tensor(((2, 4, 6), [3, 6, 9]))
        print(more_integers)
        a = torch.ones((2, 3), dtype=torch.int16)
        print(a)
        b = torch.rand((2, 3), dtype=torch.float64) * 20.
        print(b)
        c = b.to(torch.int32)
        print(c)
        ones = torch.zeros(2, 2) + 1
        twos = torch.ones(2, 2) * 2
        threes = (torch.ones(2, 2) * 7 - 1) / 2
        fours = twos ** 2
        sqrt2s = twos ** 0.5
        print(ones)
        print(twos)
        print(threes)
        print(fours)
        print(sqrt2s)
        powers2 = twos ** torch.tensor([[1, 2], [3, 4]])
        print(powers2)
        fives = ones + fours
        print(fives)
        dozens = threes * fours
        print(dozens)
        a = torch.rand(2, 3)
        b = torch.rand(3, 2)
        try:
            print(a * b)
        except RuntimeError as e:
            print("RuntimeError:", e)
        rand = torch.rand(2, 4)
        doubled = rand * (torch.ones(1, 4) * 2)
        print(rand)
        print(doubled)
        a =     torch.ones(4, 3, 2)
        b = a * torch.rand(   3, 2) # 3rd & 2nd dims identical to a, dim 1 absent
        print(b)
        c = a * torch.rand(   3, 1) # 3rd dim = 1, 2nd dim identical to a
        print(c)
        d = a * torch.rand(   1, 2) # 3rd dim identical to a, 2nd dim = 1
        print(d)
        for bad in ((4, 3, 2), (2, 3), (3,), ()):
            try:
                a = torch.ones(4, 3, 2)
                b = a * torch.rand(4, 3)    # dimensions must match last-to-first
                c = a * torch.rand(   2, 3) # both 3rd & 2nd dims different
                d = a * torch.rand((0, ))   # can't broadcast with an empty tensor
            except RuntimeError as e:
                print(e)
                break
        a = torch.rand(2, 4) * 2 - 1
        print('Common functions:')
        print(torch.abs(a))
        print(torch.ceil(a))
        print(torch.floor(a))
        print(torch.clamp(a, -0.5, 0.5))
        angles = torch.tensor([0, math.pi / 4, math.pi / 2, 3 * math.pi / 4])
        sines = torch.sin(angles)
        inverses = torch.asin(sines)
        print('\nSine and arcsine:')
        print(angles)
        print(sines)
        print(inverses)
        print('\nBitwise XOR:')
        b = torch.tensor([1, 5, 11])
        c = torch.tensor([2, 7, 10])
        print(torch.bitwise_xor(b, c))
        print('\nBroadcasted, element-wise equality comparison:')
        d = torch.tensor([[1., 2.], [3., 4.]])
        e = torch.ones(1, 2)  # many comparison ops support broadcasting!
        print(torch.eq(d, e)) # returns a tensor of type bool
        print('\nReduction ops:')
        print(torch.max(d))        # returns a single-element tensor
        print(torch.max(d).item()) # extracts the value from the returned tensor
        print(torch.mean(d))       # average
        print(torch.std(d))        # standard deviation
        print(torch.prod(d))       # product of all numbers
        print(torch.unique(torch.tensor([1, 2, 1, 2, 1, 2]))) # filter unique elements
        v1 = torch.tensor([1., 0., 0.])         # x unit vector
        v2 = torch.tensor([0., 1., 0.])         # y unit vector
        m1 = torch.rand(2, 2)                   # random matrix
        m2 = torch.tensor([[3., 0.], [0., 3.]]) # three times identity matrix
        print('\nVectors & Matrices:')
        print(torch.linalg.cross(v2, v1)) # negative of z unit vector (v1 x v2 == -v2 x v1)
        print(m1)
        m3 = torch.linalg.matmul(m1, m2)
        print(m3)                  # 3 times m1
        print(torch.linalg.svd(m3))       # singular value decomposition
        print(torch.std_mean(d), torch.det(m2))
        a = torch.tensor([0, math.pi / 4, math.pi / 2, 3 * math.pi / 4])
        print('a:')
        print(a)
        print(torch.sin(a))   # this operation creates a new tensor in memory
        print(a)              # a has not changed
        b = torch.tensor([0, math.pi / 4, math.pi / 2, 3 * math.pi / 4])
        print('\nb:')
        print(b)
        print(torch.sin_(b))  # note the underscore
        print(b)              # b has changed
        a = torch.ones(2, 2)
        b = torch.rand(2, 2)
        print('Before:')
        print(a)
        print(b)
        print('\nAfter adding:')
        print(a.add_(b))
        print(a)
        print(b)
        print('\nAfter multiplying')
        print(b.mul_(b))
        print(b)
        a = torch.rand(2, 2)
        b = torch.rand(2, 2)
        c = torch.zeros(2, 2)
        old_id = id(c)
        print(c)
        d = torch.matmul(a, b, out=c)
        print(c)                # contents of c have changed
        assert c is d           # test c & d are same object, not just containing equal values
        assert id(c) == old_id  # make sure that our new c is the same object as the old one
        torch.rand(2, 2, out=c) # works for creation too!
        print(c)                # c has changed again
        assert id(c) == old_id  # still the same object!
        a = torch.ones(2, 2)
        b = a
        a[0][1] = 561  # we change a...
        print(b)       # ...and b is also altered
        a = torch.ones(2, 2)
        b = a.clone()
        assert b is not a      # different objects in memory...
        print(torch.eq(a, b))  # ...but still with the same contents!
        a[0][1] = 561          # a changes...
        print(b)               # ...but b is still all ones
        a = torch.rand(2, 2, requires_grad=True) # turn on autograd
        print(a)
        b = a.clone()
        print(b)
        c = a.detach().clone()
        print(c)
        print(a)
        if torch.accelerator.is_available():
            print('We have an accelerator!')
        else:
            print('Sorry, CPU only.')
        a = torch.rand(3, 226, 226)
        b = a.unsqueeze(0)
        print(a.shape)
        print(b.shape)
        c = torch.rand(1, 1, 1, 1, 1)
        print(c)
        a = torch.rand(1, 20)
        print(a.shape)
        print(a)
        b = a.squeeze(0)
        print(b.shape)
        print(b)
        c = torch.rand(2, 2)
        print(c.shape)
        d = c.squeeze(0)
        print(d.shape)
        a =     torch.ones(4, 3, 2)
        c = a * torch.rand(   3, 1) # 3rd dim = 1, 2nd dim identical to a
        print(c)
        a = torch.ones(4, 3, 2)
        b = torch.rand(   3)     # trying to multiply a * b will give a runtime error
        c = b.unsqueeze(1)       # change to a 2-dimensional tensor, adding new dim at the end
        print(c.shape)
        print(a * c)             # broadcasting works again!
        batch_me = torch.rand(3, 226, 226)
        print(batch_me.shape)
        batch_me.unsqueeze_(0)
        print(batch_me.shape)
        output3d = torch.rand(6, 20, 20)
        print(output3d.shape)
        input1d = output3d.reshape(6 * 20 * 20)
        print(input1d.shape)
        # can also call it as a method on the torch module:
        print(torch.reshape(output3d, (6 * 20 * 20,)).shape)
        try:
            a * torch.rand(3)[None].T.T.T
            a * torch.rand(2, 3)
        except RuntimeError as e:
            print(e)
        numpy_array = np.ones((2, 3))
        print(numpy_array)
        pytorch_tensor = torch.from_numpy(numpy_array)
        print(pytorch_tensor)
        pytorch_rand = torch.rand(2, 3)
        print(pytorch_rand)
        numpy_rand = pytorch_rand.numpy()
        print(numpy_rand)
        numpy_array[1, 1] = 23
        print(pytorch_tensor)
        pytorch_rand[1, 1] = 17
        print(numpy_rand)
    """)


def test_gentle_introduction_to_autograd_and_autograd_mechanics(tmp_path, monkeypatch):
    same_program(tmp_path, monkeypatch, r"""
        import torch
        from torch import nn, optim

        def show(fn):
            try:
                r = fn()
                print("ok", r)
            except Exception as e:
                print(type(e).__name__ + ":", e)

        torch.manual_seed(0)
        # A Gentle Introduction to torch.autograd
        a = torch.tensor([2., 3.], requires_grad=True)
        b = torch.tensor([6., 4.], requires_grad=True)
        Q = 3*a**3 - b**2
        external_grad = torch.tensor([1., 1.])
        Q.backward(gradient=external_grad)
        print(9*a**2 == a.grad)
        print(-2*b == b.grad)
        print(Q, Q.grad_fn, Q.grad_fn.next_functions)
        show(lambda: (3*a**3 - b**2).backward())
        x = torch.rand(5, 5)
        y = torch.rand(5, 5)
        z = torch.rand((5, 5), requires_grad=True)
        a = x + y
        print(f"Does `a` require gradients?: {a.requires_grad}")
        b = x + z
        print(f"Does `b` require gradients?: {b.requires_grad}")
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 5))
        for param in model.parameters():
            param.requires_grad = False
        model[4] = nn.Linear(4, 10)
        optimizer = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
        data = torch.rand(1, 3, 8, 8)
        labels = torch.rand(1, 10)
        prediction = model(data)
        loss = (prediction - labels).sum()
        loss.backward()
        optimizer.step()
        print(model[0].weight.grad, model[4].weight.grad.shape, loss.grad_fn)
        print([p.requires_grad for p in model.parameters()])

        # Autograd mechanics: saved tensors
        x = torch.randn(5, requires_grad=True)
        y = x.pow(2)
        print(x.equal(y.grad_fn._saved_self))  # True
        print(x is y.grad_fn._saved_self)  # True
        x = torch.randn(5, requires_grad=True)
        y = x.exp()
        print(y.equal(y.grad_fn._saved_result))  # True
        print(y is y.grad_fn._saved_result)  # False
        y.sum().backward()
        show(lambda: y.grad_fn._saved_result)
        show(lambda: y.sum().backward())
        # locally disabling gradient computation
        x = torch.zeros(1, requires_grad=True)
        with torch.no_grad():
            y = x * 2
        print(y.requires_grad)
        is_train = False
        with torch.set_grad_enabled(is_train):
            y = x * 2
        print(y.requires_grad)
        torch.set_grad_enabled(True)
        y = x * 2
        print(y.requires_grad)
        torch.set_grad_enabled(False)
        y = x * 2
        print(y.requires_grad)
        torch.set_grad_enabled(True)
        with torch.inference_mode():
            w = x * 2
        print(w.requires_grad, w.is_inference(), torch.is_inference_mode_enabled())
        show(lambda: w.add_(1))
        show(lambda: (w * x).sum().backward())
        # in-place correctness checks
        a = torch.randn(3, requires_grad=True)
        b = a.sigmoid()
        b.mul_(2)
        show(lambda: b.sum().backward())
        c = a.clone()
        d = c.exp()
        c.add_(1)
        show(lambda: d.sum().backward())
        show(lambda: a.add_(1))
        show(lambda: a.view(3).add_(1))
        show(lambda: a[0].zero_())
        with torch.no_grad():
            a.add_(1)
        print(a._version)
        e = a * 1
        u0, u1, u2 = e.unbind(0)
        show(lambda: u0.add_(1))
        s0, s1 = e.split(2)
        show(lambda: s0.mul_(2))
        v = e.view(3)
        v.mul_(2)
        print(e.grad_fn, v.grad_fn, e._version, v._version)
        e.sum().backward()
        print(a.grad)
        # hooks: retain_grad, Tensor.register_hook, Node hooks
        a = torch.tensor([1., 2., 3.], requires_grad=True)
        b = a * 2
        b.retain_grad()
        print(b.retains_grad, a.retains_grad, a.is_leaf, b.is_leaf)
        c = b.pow(2)
        h = b.register_hook(lambda g: print("hook on b", g))
        c.sum().backward()
        print(b.grad, a.grad)
        h.remove()
        show(lambda: a.retain_grad())
        show(lambda: print(c.grad))
        x = torch.tensor([1., 2.], requires_grad=True)
        y = x * 3
        y.register_hook(lambda g: g * 10)
        y.retain_grad()
        y.sum().backward()
        print(y.grad, x.grad)
        x = torch.tensor([1., 2.], requires_grad=True)
        y = x * 3
        y.retain_grad()
        y.register_hook(lambda g: g * 10)
        y.sum().backward()
        print(y.grad, x.grad)
        x = torch.tensor([1., 2.], requires_grad=True)
        y = x.exp()
        y.grad_fn.register_prehook(lambda gO: (gO[0] * 2,))
        y.grad_fn.register_hook(lambda gI, gO: print("node hook", [g.shape for g in gI], [g.shape for g in gO]))
        y.sum().backward()
        print(x.grad)
        x = torch.tensor([1.], requires_grad=True)
        x.register_post_accumulate_grad_hook(lambda p: print("post acc", p.grad))
        (x * 5).sum().backward()
        # saved tensor hooks
        def pack_hook(x):
            print("Packing", x.shape)
            return x
        def unpack_hook(x):
            print("Unpacking", x.shape)
            return x
        a = torch.ones(5, requires_grad=True)
        b = torch.ones(5, requires_grad=True) * 2
        with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
            y = a * b
        y.sum().backward()
        x = torch.randn(5, requires_grad=True)
        y = x.pow(2)
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t.tolist(), lambda l: torch.tensor(l))
        y.sum().backward()
        print(x.grad.equal(2 * x))
        with torch.autograd.graph.save_on_cpu(pin_memory=False):
            y = (x * x).sum()
        y.backward()
        print(x.grad.equal(4 * x))
        # multithreading / complex autograd bits
        z = torch.tensor([1 + 2j, 3 - 1j], requires_grad=True)
        (z.abs() ** 2).sum().backward()
        print(z.grad)
        show(lambda: z.abs().backward())
        show(lambda: torch.ones(2, requires_grad=True).mul(2).backward())
        show(lambda: torch.ones(2).sum().backward())
        x = torch.ones(2, requires_grad=True)
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        print(x.grad)
        y = (x * x).sum()
        y.backward()
        show(lambda: y.backward())
        print(torch.autograd.grad((x ** 3).sum(), x, create_graph=True))
        show(lambda: torch.autograd.grad((x ** 3).sum(), [x, torch.ones(1, requires_grad=True)]))
        print(torch.autograd.grad((x ** 3).sum(), [x, torch.ones(1, requires_grad=True)], allow_unused=True))
        print(torch.autograd.grad((x ** 3).sum(), [x, torch.ones(1, requires_grad=True)], allow_unused=True, materialize_grads=True))
        # torch.autograd.graph: hooks across tensors, mutation of saved tensors, nodes
        a = torch.ones(2, requires_grad=True)
        b = torch.ones(2, requires_grad=True) * 3
        with torch.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            show(lambda: torch.autograd.graph.saved_tensors_hooks(lambda x: x, lambda x: x).__enter__())
        print(torch.autograd.graph.disable_saved_tensors_hooks)
        seen = []
        h = torch.autograd.graph.register_multi_grad_hook((a, b), lambda grads: seen.append([g is None for g in grads]))
        (a * 2).sum().backward()
        print(seen)
        h.remove()
        h = torch.autograd.graph.register_multi_grad_hook((a, b), lambda grad: seen.append(grad.shape), mode="any")
        (a * b).sum().backward()
        print(seen)
        h.remove()
        with torch.autograd.graph.allow_mutation_on_saved_tensors() as ctx:
            x = torch.ones(3, requires_grad=True).clone()
            y = x.sin()
            x.add_(1) if False else None
            z = x * 2
            x.mul_(3)
            z.sum().backward()
        print(x)
        x = torch.ones(2, requires_grad=True)
        y = x.exp()
        print(y.grad_fn.metadata, y.grad_fn._saved_result.shape, type(y.grad_fn).__name__, y.grad_fn.next_functions[0][0].variable is x)
        y.grad_fn.metadata["k"] = 1
        print(y.grad_fn.metadata)
        node = y.grad_fn
        print(isinstance(node, torch.autograd.graph.Node), node.name(), torch.autograd.graph.Node.__subclasshook__ is not None)
        y.sum().backward()
        show(lambda: node._saved_result)
        with torch.autograd.set_multithreading_enabled(False):
            (x * 2).sum().backward()
        print(x.grad)
        with torch.autograd.detect_anomaly(check_nan=False):
            (x * 2).sum().backward()
        print(torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
        def pack(t):
            print("pack", t.shape)
            return t.detach().clone()
        def unpack(t):
            print("unpack", t.shape)
            return t
        torch.manual_seed(0)
        w = torch.randn(3, 3, requires_grad=True)
        with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
            out = torch.nn.functional.linear(torch.ones(2, 3), w).relu().sum()
        out.backward()
        print(w.grad.sum())
    """)


def test_extending_pytorch_with_autograd_functions(tmp_path, monkeypatch):
    same_program(tmp_path, monkeypatch, r"""
        import functools
        import logging
        import sys
        import torch
        from torch import nn
        from torch.autograd import Function, gradcheck, gradgradcheck
        from torch.autograd.function import once_differentiable

        def show(fn):
            try:
                r = fn()
                print("ok", r)
            except Exception as e:
                print(type(e).__name__ + ":", e)

        torch.manual_seed(0)

        class LinearFunction(Function):
            @staticmethod
            def forward(input, weight, bias):
                output = input.mm(weight.t())
                if bias is not None:
                    output += bias.unsqueeze(0).expand_as(output)
                return output

            @staticmethod
            def setup_context(ctx, inputs, output):
                input, weight, bias = inputs
                ctx.save_for_backward(input, weight, bias)

            @staticmethod
            def backward(ctx, grad_output):
                input, weight, bias = ctx.saved_tensors
                grad_input = grad_weight = grad_bias = None
                ctx.seen = ctx.needs_input_grad
                if ctx.needs_input_grad[0]:
                    grad_input = grad_output.mm(weight)
                if ctx.needs_input_grad[1]:
                    grad_weight = grad_output.t().mm(input)
                if bias is not None and ctx.needs_input_grad[2]:
                    grad_bias = grad_output.sum(0)
                return grad_input, grad_weight, grad_bias

        linear = LinearFunction.apply

        class MulConstant(Function):
            @staticmethod
            def forward(tensor, constant):
                return tensor * constant

            @staticmethod
            def setup_context(ctx, inputs, output):
                tensor, constant = inputs
                ctx.constant = constant

            @staticmethod
            def backward(ctx, grad_output):
                return grad_output * ctx.constant, None

        class MyCube(torch.autograd.Function):
            @staticmethod
            def forward(x):
                dx = 3 * x ** 2
                result = x ** 3
                return result, dx

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, = inputs
                result, dx = output
                ctx.save_for_backward(x, dx)

            @staticmethod
            def backward(ctx, grad_output, grad_dx):
                x, dx = ctx.saved_tensors
                result = grad_output * dx + grad_dx * 6 * x
                return result

        def my_cube(x):
            result, dx = MyCube.apply(x)
            return result

        input = (torch.randn(4,3,dtype=torch.double,requires_grad=True), torch.randn(5,3,dtype=torch.double,requires_grad=True))
        test = gradcheck(linear, input + (None,), eps=1e-6, atol=1e-4)
        print(test)
        x = torch.randn(4, 3, requires_grad=True)
        w = torch.randn(2, 3, requires_grad=True)
        bias = torch.randn(2)
        out = linear(x, w, bias)
        print(out.grad_fn, out.grad_fn.name(), type(out.grad_fn).__name__, out.requires_grad)
        out.sum().backward()
        print(x.grad, w.grad)
        y = MulConstant.apply(x, 5.0)
        print(y.grad_fn.name())
        y.sum().backward()
        print(x.grad)
        xd = torch.randn(3, dtype=torch.double, requires_grad=True)
        print(gradcheck(my_cube, (xd,)), gradgradcheck(my_cube, (xd,)))
        g, = torch.autograd.grad(my_cube(xd).sum(), xd, create_graph=True)
        g2, = torch.autograd.grad(g.sum(), xd)
        print(torch.allclose(g2, 6 * xd))

        # the old style: forward takes ctx
        class Exp(Function):
            @staticmethod
            def forward(ctx, i):
                result = i.exp()
                ctx.save_for_backward(result)
                return result

            @staticmethod
            def backward(ctx, grad_output):
                result, = ctx.saved_tensors
                return grad_output * result

        x = torch.tensor([0.5, 1.0], requires_grad=True)
        Exp.apply(x).sum().backward()
        print(x.grad)

        class BadCount(Function):
            @staticmethod
            def forward(ctx, a, b):
                return a + b

            @staticmethod
            def backward(ctx, g):
                return g

        show(lambda: BadCount.apply(torch.ones(2, requires_grad=True), torch.ones(2)).sum().backward())

        class BadShape(Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g.sum()

        show(lambda: BadShape.apply(torch.ones(2, requires_grad=True)).sum().backward())
        show(lambda: BadShape(torch.ones(2)))
        show(lambda: BadShape.forward(None, torch.ones(2)))

        class NoBackward(Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

        show(lambda: NoBackward.apply(torch.ones(2, requires_grad=True)).sum().backward())

        # once_differentiable
        class Square(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 2

            @staticmethod
            @once_differentiable
            def backward(ctx, grad_output):
                x, = ctx.saved_tensors
                return 2 * x * grad_output

        x = torch.tensor([1.0, 3.0], requires_grad=True)
        g, = torch.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
        print(g, g.requires_grad, g.grad_fn)
        show(lambda: g.sum().backward())

        # mark_non_differentiable: sort returning indices
        class Sort(Function):
            @staticmethod
            def forward(ctx, x):
                values, idx = x.sort()
                ctx.mark_non_differentiable(idx)
                ctx.save_for_backward(x, idx)
                return values, idx

            @staticmethod
            def backward(ctx, g1, g2):
                x, idx = ctx.saved_tensors
                print("g2", g2)
                grad_input = torch.zeros_like(x)
                grad_input.index_add_(0, idx, g1)
                return grad_input

        x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
        v, i = Sort.apply(x)
        print(v, i, v.requires_grad, i.requires_grad, i.grad_fn)
        (v * torch.tensor([1., 2., 3.])).sum().backward()
        print(x.grad)

        # set_materialize_grads
        class SimpleFunc(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(False)
                return x.clone(), x.clone()

            @staticmethod
            @once_differentiable
            def backward(ctx, g1, g2):
                print("grads", g1, g2)
                x = torch.zeros(2)
                if g1 is not None:
                    x += g1
                if g2 is not None:
                    x += g2
                return x

        class Materialized(Function):
            @staticmethod
            def forward(ctx, x):
                return x.clone(), x.clone()

            @staticmethod
            def backward(ctx, g1, g2):
                print("grads", g1, g2)
                return g1 + g2

        a = torch.tensor([1., 2.], requires_grad=True)
        out1, out2 = SimpleFunc.apply(a)
        out1.sum().backward()
        print(a.grad)
        a.grad = None
        out1, out2 = Materialized.apply(a)
        out2.sum().backward()
        print(a.grad)

        # mark_dirty
        class AddOneInplace(Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        a = torch.tensor([1., 2.], requires_grad=True)
        b = a.clone()
        c = AddOneInplace.apply(b)
        print(c is b, c, b._version)
        c.sum().backward()
        print(a.grad)
        show(lambda: AddOneInplace.apply(a))

        class ForgotDirty(Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        b = a.clone()
        c = ForgotDirty.apply(b)
        print(c is b, c.grad_fn)

        # a custom Module using the function
        class Linear(nn.Module):
            def __init__(self, input_features, output_features, bias=True):
                super().__init__()
                self.input_features = input_features
                self.output_features = output_features
                self.weight = nn.Parameter(torch.empty(output_features, input_features))
                if bias:
                    self.bias = nn.Parameter(torch.empty(output_features))
                else:
                    self.register_parameter('bias', None)
                nn.init.uniform_(self.weight, -0.1, 0.1)
                if self.bias is not None:
                    nn.init.uniform_(self.bias, -0.1, 0.1)

            def forward(self, input):
                return LinearFunction.apply(input, self.weight, self.bias)

            def extra_repr(self):
                return 'input_features={}, output_features={}, bias={}'.format(
                    self.input_features, self.output_features, self.bias is not None
                )

        m = Linear(3, 2)
        print(m)
        print(Linear(3, 2, bias=False), Linear(3, 2, bias=False).bias)
        out = m(torch.randn(4, 3))
        out.sum().backward()
        print(m.weight.grad, m.bias.grad)
    """)


def test_extending_torch_func_with_autograd_functions(tmp_path, monkeypatch):
    same_program(tmp_path, monkeypatch, r"""
        import torch
        import numpy as np
        from torch.func import grad, vmap, jacrev

        def show(fn):
            try:
                r = fn()
                print("ok", r)
            except Exception as e:
                print(type(e).__name__ + ":", e)

        def to_numpy(tensor):
            return tensor.cpu().numpy()

        class NumpySort(torch.autograd.Function):
            @staticmethod
            def forward(x, dim):
                device = x.device
                x = to_numpy(x)
                ind = np.argsort(x, axis=dim)
                ind_inv = np.argsort(ind, axis=dim)
                result = np.take_along_axis(x, ind, axis=dim)
                return (
                    torch.tensor(result, device=device),
                    torch.tensor(ind, device=device),
                    torch.tensor(ind_inv, device=device),
                )

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, dim = inputs
                _, ind, ind_inv = output
                ctx.mark_non_differentiable(ind, ind_inv)
                ctx.save_for_backward(ind, ind_inv)
                ctx.dim = dim

            @staticmethod
            def backward(ctx, grad_output, _0, _1):
                ind, ind_inv = ctx.saved_tensors
                return NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim), None

            @staticmethod
            def vmap(info, in_dims, x, dim):
                x_bdim, _ = in_dims
                x = x.movedim(x_bdim, 0)
                dim = dim if dim >= 0 else dim + x.dim() - 1
                result = NumpySort.apply(x, dim + 1)
                return NumpySort.apply(x, dim + 1), (0, 0, 0)

        class NumpyTake(torch.autograd.Function):
            @staticmethod
            def forward(x, ind, ind_inv, dim):
                device = x.device
                x = to_numpy(x)
                ind = to_numpy(ind)
                return torch.tensor(np.take_along_axis(x, ind, dim), device=device)

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, ind, ind_inv, dim = inputs
                ctx.save_for_backward(ind, ind_inv)
                ctx.dim = dim

            @staticmethod
            def backward(ctx, grad_output):
                ind, ind_inv = ctx.saved_tensors
                result = NumpyTake.apply(grad_output, ind_inv, ind, ctx.dim)
                return result, None, None, None

            @staticmethod
            def vmap(info, in_dims, x, ind, ind_inv, dim):
                x_bdim, ind_bdim, ind_inv_bdim, _ = in_dims
                logical_dim = x.dim() if x_bdim is None else x_bdim - 1
                dim = dim if dim >= 0 else dim + logical_dim
                def maybe_expand_bdim_at_front(x, x_bdim):
                    if x_bdim is None:
                        return x.expand(info.batch_size, *x.shape)
                    return x.movedim(x_bdim, 0)
                x = maybe_expand_bdim_at_front(x, x_bdim)
                ind = maybe_expand_bdim_at_front(ind, ind_bdim)
                ind_inv = maybe_expand_bdim_at_front(ind_inv, ind_inv_bdim)
                return NumpyTake.apply(x, ind, ind_inv, dim + 1), 0

        def numpy_sort(x, dim=-1):
            result, _, _ = NumpySort.apply(x, dim)
            return result

        torch.manual_seed(0)
        x = torch.randn(2, 3)
        result = numpy_sort(x)
        print(torch.allclose(result, x.sort().values))
        x = torch.randn(2, 3, requires_grad=True)
        result = numpy_sort(x)
        print(result.grad_fn.name())
        result.sum().backward() if False else None
        def f(x):
            return numpy_sort(x).sum()
        x = torch.randn(3)
        print(grad(f)(x))
        x = torch.randn(2, 3)
        print(torch.allclose(vmap(numpy_sort)(x), x.sort().values))

        class MyCube(torch.autograd.Function):
            generate_vmap_rule = True

            @staticmethod
            def forward(x):
                result = x ** 3
                dx = 3 * x ** 2
                return result, dx

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, = inputs
                result, dx = output
                ctx.save_for_backward(x, dx)

            @staticmethod
            def backward(ctx, grad_output, grad_dx):
                x, dx = ctx.saved_tensors
                result = grad_output * dx + grad_dx * 6 * x
                return result

        def my_cube(x):
            result, dx = MyCube.apply(x)
            return result

        x = torch.randn(3)
        print(torch.allclose(vmap(my_cube)(x), x ** 3))
        print(torch.allclose(grad(my_cube)(torch.tensor(2.0)), torch.tensor(12.0)))
        print(jacrev(my_cube)(torch.tensor([1.0, 2.0])))
        print(grad(grad(my_cube))(torch.tensor(2.0)))

        class OldStyle(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        show(lambda: grad(lambda x: OldStyle.apply(x).sum())(torch.ones(2)))

        class NoVmap(torch.autograd.Function):
            @staticmethod
            def forward(x):
                return x * 2

            @staticmethod
            def setup_context(ctx, inputs, output):
                pass

            @staticmethod
            def backward(ctx, g):
                return g * 2

        show(lambda: vmap(NoVmap.apply)(torch.ones(2, 3)))
        print(grad(lambda x: NoVmap.apply(x).sum())(torch.ones(2)))
        x = torch.randn(2, 3)
        result = torch.vmap(numpy_sort)(x)
        print(torch.allclose(result, numpy_sort(result, 1)))
        print(vmap(grad(f))(torch.randn(4, 3)))
        w = torch.tensor([[3., 1., 2.], [0., 5., -1.]])
        print(jacrev(lambda x: vmap(numpy_sort)(x * w).sum(0))(torch.ones(2, 3)).shape)
        print(vmap(numpy_sort, in_dims=1)(torch.randn(3, 4)))
        print(vmap(lambda t: NumpyTake.apply(torch.arange(3.), t, t, 0))(torch.tensor([[2, 0, 1], [1, 2, 0]])))
        print(vmap(vmap(numpy_sort))(torch.randn(2, 2, 3)).shape)
        class Both(torch.autograd.Function):
            generate_vmap_rule = True
            @staticmethod
            def forward(x):
                return x * 2
            @staticmethod
            def setup_context(ctx, inputs, output):
                pass
            @staticmethod
            def backward(ctx, g):
                return g * 2
            @staticmethod
            def vmap(info, in_dims, x):
                return x * 2, in_dims[0]
        show(lambda: vmap(Both.apply)(torch.ones(2, 3)))

        class BadRule(NoVmap):
            @staticmethod
            def vmap(info, in_dims, x):
                return x * 2
        show(lambda: vmap(BadRule.apply)(torch.ones(2, 3)))
        class MovedRule(NoVmap):
            @staticmethod
            def vmap(info, in_dims, x):
                return (x * 2).movedim(0, 1), 1
        print(vmap(MovedRule.apply, randomness="same")(torch.arange(6.).reshape(2, 3)))
        print(torch.func.grad(lambda x: vmap(MovedRule.apply)(x).sum())(torch.arange(6.).reshape(2, 3)))
    """)


def test_learning_pytorch_with_examples_by_hand(tmp_path, monkeypatch):
    same_program(tmp_path, monkeypatch, r"""
        import math
        import numpy as np
        import torch

        # numpy warm-up
        np.random.seed(0)
        x = np.linspace(-math.pi, math.pi, 200)
        y = np.sin(x)
        a, b, c, d = np.random.randn(), np.random.randn(), np.random.randn(), np.random.randn()
        learning_rate = 1e-6
        for t in range(200):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = np.square(y_pred - y).sum()
            if t % 100 == 99:
                print(t, f'{loss:.10g}')
            grad_y_pred = 2.0 * (y_pred - y)
            a -= learning_rate * grad_y_pred.sum()
            b -= learning_rate * (grad_y_pred * x).sum()
            c -= learning_rate * (grad_y_pred * x ** 2).sum()
            d -= learning_rate * (grad_y_pred * x ** 3).sum()

        # tensors, gradients by hand (float64 so that the sums agree to the last printed digit)
        dtype = torch.float
        device = torch.device("cpu")
        torch.manual_seed(0)
        x = torch.linspace(-math.pi, math.pi, 200, device=device, dtype=torch.float64)
        y = torch.sin(x)
        a = torch.randn((), device=device, dtype=torch.float64)
        b = torch.randn((), device=device, dtype=torch.float64)
        c = torch.randn((), device=device, dtype=torch.float64)
        d = torch.randn((), device=device, dtype=torch.float64)
        for t in range(200):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y).pow(2).sum().item()
            if t % 100 == 99:
                print(t, f'{loss:.10g}')
            grad_y_pred = 2.0 * (y_pred - y)
            grad_a = grad_y_pred.sum()
            grad_b = (grad_y_pred * x).sum()
            grad_c = (grad_y_pred * x ** 2).sum()
            grad_d = (grad_y_pred * x ** 3).sum()
            a -= learning_rate * grad_a
            b -= learning_rate * grad_b
            c -= learning_rate * grad_c
            d -= learning_rate * grad_d
        print(f'Result: y = {a.item():.10g} + {b.item():.10g} x + {c.item():.10g} x^2 + {d.item():.10g} x^3')

        # autograd
        a = torch.randn((), dtype=torch.float64, requires_grad=True)
        b = torch.randn((), dtype=torch.float64, requires_grad=True)
        c = torch.randn((), dtype=torch.float64, requires_grad=True)
        d = torch.randn((), dtype=torch.float64, requires_grad=True)
        for t in range(200):
            y_pred = a + b * x + c * x ** 2 + d * x ** 3
            loss = (y_pred - y).pow(2).sum()
            if t % 100 == 99:
                print(t, f'{loss.item():.10g}')
            loss.backward()
            with torch.no_grad():
                a -= learning_rate * a.grad
                b -= learning_rate * b.grad
                c -= learning_rate * c.grad
                d -= learning_rate * d.grad
                a.grad = None
                b.grad = None
                c.grad = None
                d.grad = None
        print(f'Result: y = {a.item():.10g} + {b.item():.10g} x + {c.item():.10g} x^2 + {d.item():.10g} x^3')
        try:
            a -= 1.0
        except RuntimeError as e:
            print(e)

        # nn with manual updates
        torch.set_default_dtype(torch.float64)
        p = torch.tensor([1, 2, 3])
        xx = x.unsqueeze(-1).pow(p)
        model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
        loss_fn = torch.nn.MSELoss(reduction='sum')
        for t in range(200):
            y_pred = model(xx)
            loss = loss_fn(y_pred, y)
            if t % 100 == 99:
                print(t, f'{loss.item():.10g}')
            model.zero_grad()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    param -= learning_rate * param.grad
        linear_layer = model[0]
        print(f'Result: y = {linear_layer.bias.item():.10g} + {linear_layer.weight[:, 0].item():.10g} x + {linear_layer.weight[:, 1].item():.10g} x^2 + {linear_layer.weight[:, 2].item():.10g} x^3')

        # custom nn Module with SGD
        class Polynomial3(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Parameter(torch.randn(()))
                self.b = torch.nn.Parameter(torch.randn(()))
                self.c = torch.nn.Parameter(torch.randn(()))
                self.d = torch.nn.Parameter(torch.randn(()))

            def forward(self, x):
                return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

            def string(self):
                return f'y = {self.a.item():.10g} + {self.b.item():.10g} x + {self.c.item():.10g} x^2 + {self.d.item():.10g} x^3'

        model = Polynomial3()
        criterion = torch.nn.MSELoss(reduction='sum')
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)
        for t in range(200):
            y_pred = model(x)
            loss = criterion(y_pred, y)
            if t % 100 == 99:
                print(t, f'{loss.item():.10g}')
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f'Result: {model.string()}')
        print(model, list(model.state_dict()), model.a.dtype)
    """)


def test_saving_loading_and_default_device_recipes(tmp_path, monkeypatch):
    same_program(tmp_path, monkeypatch, r"""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim

        def show(fn):
            try:
                r = fn()
                print("ok", r)
            except Exception as e:
                print(type(e).__name__ + ":", str(e).replace("torchless", "torch"))

        torch.manual_seed(1)

        # Defining a Neural Network in PyTorch
        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(1, 32, 3, 1)
                self.conv2 = nn.Conv2d(32, 64, 3, 1)
                self.dropout1 = nn.Dropout2d(0.25)
                self.dropout2 = nn.Dropout2d(0.5)
                self.fc1 = nn.Linear(9216, 128)
                self.fc2 = nn.Linear(128, 10)

            def forward(self, x):
                x = self.conv1(x)
                x = F.relu(x)
                x = self.conv2(x)
                x = F.relu(x)
                x = F.max_pool2d(x, 2)
                x = self.dropout1(x)
                x = torch.flatten(x, 1)
                x = self.fc1(x)
                x = F.relu(x)
                x = self.dropout2(x)
                x = self.fc2(x)
                output = F.log_softmax(x, dim=1)
                return output

        my_nn = Net()
        print(my_nn)
        random_data = torch.rand((1, 1, 28, 28))
        result = my_nn(random_data)
        print(result)
        my_nn.eval()
        print(my_nn(random_data))

        # What is a state_dict
        class Net2(nn.Module):
            def __init__(self):
                super(Net2, self).__init__()
                self.conv1 = nn.Conv2d(3, 6, 5)
                self.pool = nn.MaxPool2d(2, 2)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                x = x.view(-1, 16 * 5 * 5)
                x = F.relu(self.fc1(x))
                x = F.relu(self.fc2(x))
                x = self.fc3(x)
                return x

        net = Net2()
        optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
        print("Model's state_dict:")
        for param_tensor in net.state_dict():
            print(param_tensor, "\t", net.state_dict()[param_tensor].size())
        print()
        print("Optimizer's state_dict:")
        for var_name in optimizer.state_dict():
            print(var_name, "\t", optimizer.state_dict()[var_name])
        sd = net.state_dict()
        print(type(sd).__name__, sd._metadata if hasattr(sd, "_metadata") else None)
        print(sd['conv1.bias'].requires_grad, sd['conv1.bias'].grad_fn, net.state_dict(keep_vars=True)['conv1.bias'].requires_grad)

        # Saving and loading models for inference
        PATH = "state_dict_model.pt"
        torch.save(net.state_dict(), PATH)
        model = Net2()
        print(model.load_state_dict(torch.load(PATH, weights_only=True)))
        print(model.eval().training)
        PATH = "entire_model.pt"
        torch.save(net, PATH)
        model = torch.load(PATH, weights_only=False)
        model.eval()
        x = torch.randn(2, 3, 32, 32)
        print(torch.equal(model(x), net(x)))
        # Saving & loading multiple models in one file
        netA = Net2()
        netB = Net2()
        optimizerA = optim.SGD(netA.parameters(), lr=0.001, momentum=0.9)
        optimizerB = optim.SGD(netB.parameters(), lr=0.001, momentum=0.9)
        for n, o in ((netA, optimizerA), (netB, optimizerB)):
            o.zero_grad()
            n(x).sum().backward()
            o.step()
        PATH = "model.pt"
        torch.save({
                    'modelA_state_dict': netA.state_dict(),
                    'modelB_state_dict': netB.state_dict(),
                    'optimizerA_state_dict': optimizerA.state_dict(),
                    'optimizerB_state_dict': optimizerB.state_dict(),
                    }, PATH)
        modelA = Net2()
        modelB = Net2()
        optimModelA = optim.SGD(modelA.parameters(), lr=0.001, momentum=0.9)
        optimModelB = optim.SGD(modelB.parameters(), lr=0.001, momentum=0.9)
        checkpoint = torch.load(PATH, weights_only=True)
        print(sorted(checkpoint))
        print(modelA.load_state_dict(checkpoint['modelA_state_dict']))
        print(modelB.load_state_dict(checkpoint['modelB_state_dict']))
        optimModelA.load_state_dict(checkpoint['optimizerA_state_dict'])
        optimModelB.load_state_dict(checkpoint['optimizerB_state_dict'])
        print(optimModelA.state_dict()['state'][0]['momentum_buffer'].sum(), optimModelB.state_dict()['param_groups'])
        modelA.eval()
        modelB.train()
        print(torch.equal(modelA(x), netA(x)))
        # Warmstarting with a different model
        class NetB(Net2):
            def __init__(self):
                super().__init__()
                self.fc3 = nn.Linear(84, 5)
                self.fc4 = nn.Linear(5, 2)

        netB = NetB()
        show(lambda: netB.load_state_dict(torch.load("state_dict_model.pt", weights_only=True)))
        show(lambda: netB.load_state_dict(torch.load("state_dict_model.pt", weights_only=True), strict=False))
        sd = torch.load("state_dict_model.pt", weights_only=True)
        del sd['fc3.weight'], sd['fc3.bias']
        print(netB.load_state_dict(sd, strict=False))
        sd['extra.weight'] = torch.ones(1)
        r = netB.load_state_dict(sd, strict=False)
        print(r.missing_keys, r.unexpected_keys, r)
        # Zeroing out gradients
        net = Net2()
        optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
        criterion = nn.CrossEntropyLoss()
        inputs, labels = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
        for epoch in range(2):
            running_loss = 0.0
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            print('[%d, %5d] loss: %.3f' % (epoch + 1, 1, running_loss))
        net.zero_grad()
        print(net.fc3.bias.grad)
        # Changing default device
        print(torch.get_default_device())
        torch.set_default_device('cpu')
        print(torch.get_default_device(), torch.tensor([1.2, 3]).device)
        with torch.device('cpu'):
            mod = torch.nn.Linear(20, 30)
            print(mod.weight.device)
            print(mod(torch.randn(128, 20)).device)
        torch.set_default_device(None)
        print(torch.get_default_device())
        show(lambda: torch.set_default_device('cuda'))
        show(torch.get_default_device)
        torch.set_default_device(None)
        print(torch.device('cpu'), torch.device('cpu', 0), repr(torch.device('cpu:0')), torch.device('cpu').type, torch.device('cpu').index)
        # Reasoning about shapes: meta device
        def fw_hook(module, input, output):
            print(f"Shape of output to {module} is {output.shape}.")
        t = torch.rand(2, 3, 10, 10)
        print(F.conv2d(t, torch.rand(16, 3, 5, 5)).shape)
        show(lambda: torch.device("meta"))
        # Tips for loading an nn.Module from a checkpoint: mmap and assign
        m = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
        torch.save(m.state_dict(), "checkpoint.pth")
        state_dict = torch.load('checkpoint.pth', mmap=True, weights_only=True)
        print(sorted(state_dict), state_dict['0.weight'].shape)
        m2 = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
        w_before = m2[0].weight
        print(m2.load_state_dict(state_dict, assign=True))
        print(m2[0].weight is w_before, type(m2[0].weight).__name__, m2[0].weight.requires_grad, m2[1].running_mean.requires_grad)
        print(torch.equal(m2[0].weight, m[0].weight))
        m3 = nn.Linear(4, 3)
        m3.weight.requires_grad_(False)
        m3.load_state_dict({'weight': torch.ones(3, 4), 'bias': torch.zeros(3)}, assign=True)
        print(m3.weight.requires_grad, type(m3.weight).__name__, m3.bias.requires_grad)
        show(lambda: m3.load_state_dict({'weight': torch.ones(3, 5), 'bias': torch.zeros(3)}, assign=True))
        show(lambda: m3.load_state_dict({'weight': torch.ones(3, 5), 'bias': torch.zeros(3)}))
        show(lambda: torch.load('checkpoint.pth', mmap=True, weights_only=True, map_location='cpu').keys())
        torch.save(m.state_dict(), "checkpoint_old.pth", _use_new_zipfile_serialization=False)
        show(lambda: torch.load('checkpoint_old.pth', mmap=True, weights_only=True))
        print(sorted(torch.load('checkpoint_old.pth', weights_only=True)))
        # ... and building the module under a meta device context before assigning the checkpoint's tensors
        class SomeModule(torch.nn.Module):
            def __init__(self, size):
                super().__init__()
                self.linears = nn.ModuleList([nn.Linear(size, size) for i in range(3)])
            def forward(self, x):
                return self.linears(x)
        m = SomeModule(8)
        torch.save(m.state_dict(), 'checkpoint.pth')
        state_dict = torch.load('checkpoint.pth', mmap=True, weights_only=True)
        with torch.device('meta'):
            meta_m = SomeModule(8)
        print(meta_m.load_state_dict(state_dict, assign=True))
        print(meta_m.linears[0].weight.device, torch.equal(meta_m.linears[1].bias, m.linears[1].bias), type(meta_m.linears[0].weight).__name__)
        state_dict = torch.load('checkpoint.pth', mmap=True, weights_only=True)
        with torch.device('meta'):
            meta_m = SomeModule(8)
        print(meta_m.load_state_dict(state_dict, assign=True, strict=False))
        print(sum(p.numel() for p in meta_m.parameters()))
    """)


def test_kaggle_style_mnist_cnn(tmp_path, monkeypatch):
    same_program(tmp_path, monkeypatch, r"""
        import copy
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import TensorDataset, DataLoader, random_split

        torch.set_default_dtype(torch.float64)
        torch.manual_seed(42)
        # a tiny "MNIST": 10 classes, 1x12x12 images whose class sets a bright patch
        N = 96
        labels = torch.randint(0, 10, (N,))
        images = torch.rand(N, 1, 12, 12) * 0.3
        for i, c in enumerate(labels.tolist()):
            images[i, 0, c, :] += 0.7
        images = (images - images.mean()) / images.std()
        print(f"images {tuple(images.shape)} mean={images.mean():.4f} std={images.std():.4f}")
        dataset = TensorDataset(images, labels)
        print(len(dataset), dataset[0][0].shape, dataset[0][1])
        train_set, val_set, test_set = random_split(dataset, [64, 16, 16], generator=torch.Generator().manual_seed(0))
        print(len(train_set), len(val_set), test_set.indices[:8])
        fr = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(42))
        print([list(s) for s in fr])
        train_loader = DataLoader(train_set, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(1))
        val_loader = DataLoader(val_set, batch_size=8)
        test_loader = DataLoader(test_set, batch_size=8, shuffle=False)

        model = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Dropout2d(0.25),
            nn.Conv2d(8, 16, kernel_size=3),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 2 * 2, 32),
            nn.BatchNorm1d(32),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(32, 10),
        )
        print(model)
        total_params = sum(p.numel() for p in model.parameters())
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        print(f"Total params: {total_params:,} | trainable: {trainable:,}")
        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor=0.5, patience=0)
        best_loss, best_state, patience, bad_epochs = float('inf'), None, 2, 0
        history = {"train_loss": [], "val_loss": [], "val_acc": []}

        def evaluate(loader):
            model.eval()
            total, correct, loss_sum = 0, 0, 0.0
            with torch.no_grad():
                for x, y in loader:
                    out = model(x)
                    loss_sum += criterion(out, y).item() * x.size(0)
                    _, predicted = torch.max(out.data, 1)
                    total += y.size(0)
                    correct += (predicted == y).sum().item()
            return loss_sum / total, correct / total

        for epoch in range(3):
            model.train()
            running_loss = 0.0
            for batch_idx, (data, target) in enumerate(train_loader):
                optimizer.zero_grad()
                output = model(data)
                loss = criterion(output, target)
                loss.backward()
                optimizer.step()
                running_loss += loss.item()
                if batch_idx % 2 == 0:
                    print(f"Epoch [{epoch+1}/3], Step [{batch_idx+1}/{len(train_loader)}], Loss: {loss.item():.4f}")
            val_loss, val_acc = evaluate(val_loader)
            scheduler.step(val_loss)
            history["train_loss"].append(running_loss / len(train_loader))
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
            print(f"epoch {epoch}: val_loss={val_loss:.4f} val_acc={val_acc:.2%} lr={optimizer.param_groups[0]['lr']} "
                  f"last_lr={scheduler.get_last_lr()}")
            if val_loss < best_loss:
                best_loss, bad_epochs = val_loss, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                bad_epochs += 1
                if bad_epochs >= patience:
                    print("Early stopping!")
                    break
        print({k: [round(v, 3) for v in vs] for k, vs in history.items()})
        print({k: round(v, 10) if isinstance(v, float) else v for k, v in scheduler.state_dict().items()})
        model.load_state_dict(best_state)
        print(best_state['1.running_mean'], best_state['1.num_batches_tracked'])

        # confusion matrix, two ways
        model.eval()
        all_preds, all_targets = [], []
        with torch.no_grad():
            for x, y in test_loader:
                preds = model(x).argmax(dim=1)
                all_preds.append(preds)
                all_targets.append(y)
        all_preds = torch.cat(all_preds)
        all_targets = torch.cat(all_targets)
        cm = torch.bincount(all_targets * 10 + all_preds, minlength=100).reshape(10, 10)
        print(cm)
        cm2 = torch.zeros(10, 10, dtype=torch.int64)
        cm2.index_put_((all_targets, all_preds), torch.ones_like(all_targets), accumulate=True)
        print(torch.equal(cm, cm2), cm.diag().sum().item(), cm.sum())
        per_class = cm.diag() / cm.sum(1).clamp(min=1)
        print(per_class)
        precision = cm.diag().float() / cm.sum(0).float()
        print(precision)
        print(f"Test accuracy: {(all_preds == all_targets).float().mean():.2%}, {(all_preds == all_targets).sum()} / {len(all_targets)}")
        correct, total = (all_preds == all_targets).sum(), all_targets.numel()
        print(f"{correct/total:.2%}", f"{100 * correct / total:.1f}%", correct / total, correct.item() / total)
        loss = torch.tensor(0.123456)
        print(f"{loss:.3f}", f"{loss.item():.4f}", f"{loss}", "%.4f" % loss, "{:.2f}".format(loss), f"{loss:>10.3e}", str(loss), repr(loss))
        print(f"{torch.tensor(3)}", f"{torch.tensor(3):d}", f"{torch.tensor(2.5):g}", f"{torch.tensor([1.0, 2.0])}")
        print(round(torch.tensor(2.567).item(), 2), round(torch.tensor(2.567), 2) if False else None, int(torch.tensor(7)), float(torch.tensor(7)))


        # OneCycleLR with SGD and a fresh model
        model2 = copy.deepcopy(model)
        opt2 = torch.optim.SGD(model2.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        sched2 = torch.optim.lr_scheduler.OneCycleLR(opt2, max_lr=0.1, epochs=2, steps_per_epoch=len(train_loader))
        lrs, moms = [], []
        model2.train()
        for epoch in range(2):
            for x, y in train_loader:
                opt2.zero_grad()
                F.cross_entropy(model2(x), y).backward()
                opt2.step()
                sched2.step()
                lrs.append(round(sched2.get_last_lr()[0], 6))
                moms.append(round(opt2.param_groups[0]['momentum'], 6))
        print(lrs)
        print(moms)
        print(sorted(sched2.state_dict()))
        print(opt2.param_groups[0]['initial_lr'], opt2.param_groups[0]['max_lr'], opt2.param_groups[0]['min_lr'])
        results = {"cm": cm, **{f"best.{k}": v for k, v in model.state_dict().items()}, **{f"onecycle.{k}": v for k, v in model2.state_dict().items()}}
        torch.save(results, "results.pt")
        state = torch.load("results.pt", weights_only=True)
        for k, v in state.items():
            print(k, v.dtype, tuple(v.shape), f"{v.float().abs().sum().item():.3f}")
    """)


def test_kaggle_digit_recognizer_style_training_loop(tmp_path, monkeypatch):
    # Trained in float64, its convolutions are MKL's GEMMs, which sum in an order MKL chooses per CPU (on an AMD EPYC
    # not NumPy's running fused multiply-adds, as torchless sums: the first convolution's outputs differ in their last
    # bit), so the weights drift a few float64 ulps apart; softmax's rows then add up to 1 exactly or one ulp below
    # it, which PyTorch prints as 1. or 1.0000 (PyTorch itself prints the other when its input images move by one
    # ulp). Printed numbers may differ by a unit of their last digit; the saved tensors keep float64's precision.
    same_program(tmp_path, monkeypatch, r"""
        import numpy as np
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import Dataset, DataLoader, WeightedRandomSampler, Subset

        torch.set_default_dtype(torch.float64)
        torch.manual_seed(7)
        np.random.seed(7)
        # digit-recognizer style: a CSV-like array, label first then 64 pixels
        raw = np.random.randint(0, 256, size=(60, 65)).astype(np.int64)
        raw[:, 0] = np.random.randint(0, 3, size=60)

        class DigitDataset(Dataset):
            def __init__(self, array, transform=None):
                self.labels = torch.from_numpy(array[:, 0]).long()
                self.images = torch.tensor(array[:, 1:], dtype=torch.float64).reshape(-1, 1, 8, 8) / 255.
                self.transform = transform

            def __len__(self):
                return len(self.labels)

            def __getitem__(self, idx):
                image = self.images[idx]
                if self.transform:
                    image = self.transform(image)
                return image, self.labels[idx]

        normalize = lambda x: (x - 0.1307) / 0.3081
        ds = DigitDataset(raw, transform=normalize)
        print(len(ds), ds[0][0].shape, ds[0][1], ds[0][0].dtype)
        class_counts = torch.bincount(ds.labels)
        print(class_counts, class_counts.tolist())
        weights = 1.0 / class_counts.double()
        sample_weights = weights[ds.labels]
        sampler = WeightedRandomSampler(sample_weights, num_samples=len(sample_weights), replacement=True,
                                        generator=torch.Generator().manual_seed(3))
        print(list(sampler)[:10])
        train_idx, val_idx = torch.randperm(len(ds), generator=torch.Generator().manual_seed(5)).split([48, 12])
        train_ds, val_ds = Subset(ds, train_idx.tolist()), Subset(ds, val_idx)
        loader = DataLoader(train_ds, batch_size=16, shuffle=True, drop_last=True)
        val_loader = DataLoader(val_ds, batch_size=6)
        print(len(loader), len(val_loader), next(iter(val_loader))[1])

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.LeakyReLU(0.1),
                    nn.Conv2d(6, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Dropout(0.2))
                self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(6 * 4 * 4, 16), nn.ReLU(), nn.Dropout(0.3),
                                                nn.Linear(16, 3))

            def forward(self, x):
                return self.classifier(self.features(x))

        def init_weights(m):
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

        model = Net()
        model.apply(init_weights)
        for name, module in model.named_modules():
            if name:
                print(name, type(module).__name__)
        print(sum(p.numel() for p in model.parameters()), torch.nn.utils.parameters_to_vector(model.parameters()).shape)

        # a torchsummary-like table built with forward hooks
        summary, hooks = [], []
        def register(module):
            def hook(module, input, output):
                params = sum(p.numel() for p in module.parameters(recurse=False))
                summary.append((f"{type(module).__name__}-{len(summary) + 1}", list(output.shape), params))
            if not isinstance(module, (nn.Sequential, Net)):
                hooks.append(module.register_forward_hook(hook))
        model.apply(register)
        model(torch.zeros(2, 1, 8, 8))
        for h in hooks:
            h.remove()
        print("-" * 64)
        print("{:>20}  {:>25} {:>15}".format("Layer (type)", "Output Shape", "Param #"))
        for layer, shape, params in summary:
            print("{:>20}  {:>25} {:>15}".format(layer, str(shape), "{0:,}".format(params)))

        # freeze the first conv, train the rest with AdamW, gradient clipping, schedulers
        for p in model.features[0].parameters():
            p.requires_grad_(False)
        optimizer = torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()), lr=3e-3, weight_decay=0.01)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1), T_max=4)
        lam = torch.optim.lr_scheduler.LambdaLR(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1), lambda e: 0.95 ** e)
        for epoch in range(1, 3):
            model.train()
            for batch_idx, (data, target) in enumerate(loader):
                optimizer.zero_grad()
                output = F.log_softmax(model(data), dim=1)
                loss = F.nll_loss(output, target)
                loss.backward()
                norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
                optimizer.step()
                if batch_idx % 2 == 0:
                    print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}\tgrad norm {:.4f}'.format(
                        epoch, batch_idx * len(data), len(loader.dataset),
                        100. * batch_idx / len(loader), loss.item(), norm))
            scheduler.step()
            cosine.optimizer.step(); cosine.step()
            lam.optimizer.step(); lam.step()
            model.eval()
            test_loss, correct = 0, 0
            with torch.no_grad():
                for data, target in val_loader:
                    output = F.log_softmax(model(data), dim=1)
                    test_loss += F.nll_loss(output, target, reduction='sum').item()
                    pred = output.argmax(dim=1, keepdim=True)
                    correct += pred.eq(target.view_as(pred)).sum().item()
            test_loss /= len(val_loader.dataset)
            print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
                test_loss, correct, len(val_loader.dataset), 100. * correct / len(val_loader.dataset)))
            print(scheduler.get_last_lr(), [round(v, 8) for v in cosine.get_last_lr()], lam.get_last_lr())
        print(model.features[0].weight.grad, model.features[3].weight.grad is None)
        probs = F.softmax(model(torch.stack([ds[i][0] for i in range(4)])), dim=1)
        top_p, top_class = probs.topk(1, dim=1)
        print(top_p.shape, top_class.view(-1), probs.sum(1))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = model(torch.stack([ds[i][0] for i in range(4)]).float().double())
        print(out.dtype)
        results = {f"model.{k}": v for k, v in model.state_dict().items()}
        results["probs"] = probs.detach()
        torch.save(results, "results.pt")
    """, last_digit_units=1)
