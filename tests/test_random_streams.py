"""After the same ``manual_seed``, torchless draws PyTorch's numbers: its generator is PyTorch's CPU Mersenne
Twister and turns words into numbers as PyTorch's kernels do. Without torch, the stream is checked against NumPy's
legacy Mersenne Twister (the same seeding) and the transformations against a direct float64 computation."""
import math

import numpy as np
import pytest

import torchless


def draws(library, make, seed=0):
    library.manual_seed(seed)
    result = make(library)
    items = result if isinstance(result, tuple) else (result,)
    return [np.asarray(item.detach().numpy() if hasattr(item, "detach") else item, np.float64) for item in items]


CASES = {
    # name: (calls, tolerance) — exact where PyTorch's arithmetic is reproduced step for step
    "rand": (lambda L: (L.rand(3, 5), L.rand(7, dtype=L.float64), L.rand(9, dtype=L.float16)), 0),
    "uniform_ with bounds": (lambda L: (L.empty(500).uniform_(-0.3, 0.7), L.empty(300).uniform_(-30, 30)), 0),
    # PyTorch fuses float64's multiply-add too (emulated: _kernels.fma)
    "uniform_ float64": (lambda L: (L.empty(400, dtype=L.float64).uniform_(2, 5),
                                    L.empty(400, dtype=L.float64).uniform_(-1e-3, 7.25)), 0),
    "randint": (lambda L: (L.randint(0, 10, (20,)), L.randint(-5, 5, (3, 3)), L.randint(2**40, (4,)),
                           L.randint(0, 100, (6,), dtype=L.float32), L.randint(0, 2, (5,), dtype=L.bool)), 0),
    "random_": (lambda L: (L.empty(5, dtype=L.int64).random_(), L.empty(5).random_(),
                           L.empty(5, dtype=L.int32).random_(10), L.empty(4, dtype=L.uint8).random_(3, 9)), 0),
    "randperm": (lambda L: (L.randperm(1), L.randperm(0), L.randperm(100), L.randperm(7, dtype=L.int32)), 0),
    # fewer than 16 normals are drawn one by one in float64, the second of each pair kept for the next call
    "randn one by one": (lambda L: (L.randn(3), L.randn(3), L.randn(5, dtype=L.float64), L.randn(1)), 0),
    # Box-Muller in blocks of 16: float32 with PyTorch's polynomial log and sincos (_kernels.avx_mathfun), float64
    # with libm's functions
    "randn in blocks": (lambda L: tuple(L.randn(n, dtype=d) for n in (16, 17, 40, 1000, 70001)
                                        for d in (L.float32, L.float64)), 0),
    "randn float16": (lambda L: tuple(L.randn(n, dtype=L.float16) for n in (16, 17, 40)), 1e-3),
    "normal_ and normal": (lambda L: (L.empty(50).normal_(2, 3), L.normal(2.0, 3.0, (20,)),
                                      L.normal(L.zeros(20), L.ones(20)), L.normal(L.zeros(5), 2.0),
                                      L.empty(999, dtype=L.float64).normal_(-0.3, 1e-2)), 0),
    "bernoulli": (lambda L: (L.bernoulli(L.full((40,), 0.3)), L.empty(40).bernoulli_(0.3),
                             L.bernoulli(L.zeros(30), 0.6)), 0),
    "dropout": (lambda L: (L.nn.functional.dropout(L.ones(200), 0.4),
                           L.nn.functional.dropout2d(L.ones(4, 6, 2, 2), 0.5)), 0),
    "default layer initialisation": (lambda L: tuple(L.nn.Conv2d(3, 6, 5).parameters())
                                     + tuple(L.nn.Linear(30, 7).parameters()), 0),
    "init functions": (lambda L: (L.nn.init.xavier_normal_(L.empty(20, 30)), L.nn.init.kaiming_uniform_(L.empty(8, 9)),
                                  L.nn.init.kaiming_normal_(L.empty(16, 8, 3, 3), mode="fan_out"),
                                  L.nn.init.trunc_normal_(L.empty(300), std=0.02),
                                  L.nn.init.trunc_normal_(L.empty(300), a=2.0, b=3.0),
                                  L.nn.init.sparse_(L.empty(6, 4), 0.5)), 0),
    # a QR factorisation of normals: LAPACK's last bits
    "orthogonal_": (lambda L: L.nn.init.orthogonal_(L.empty(6, 4)), 1e-5),
    "other distributions": (lambda L: (L.empty(30).exponential_(), L.empty(5, dtype=L.float64).exponential_(2.5),
                                       L.empty(30).geometric_(0.2), L.empty(30, dtype=L.float64).cauchy_(1, 2),
                                       L.empty(30).log_normal_(0.5, 0.7),
                                       L.empty(900, dtype=L.float64).exponential_(2.5),
                                       L.empty(900, dtype=L.float64).cauchy_(1, 2),
                                       L.empty(900, dtype=L.float64).log_normal_(0.5, 0.7)), 0),
    "multinomial": (lambda L: (L.multinomial(L.tensor([0.1, 0.5, 0.2, 0.2]), 3), L.multinomial(L.rand(5, 6), 1),
                               L.multinomial(L.rand(3, 6, dtype=L.float64), 7, True)), 0),
    "samplers": (lambda L: (L.tensor(list(L.utils.data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.3], 12))),
                            L.tensor(list(L.utils.data.SubsetRandomSampler([5, 6, 7, 8, 9]))),
                            L.tensor(list(L.utils.data.RandomSampler(range(10), replacement=True, num_samples=40)))), 0),
    # Knuth's products below rate 10, transformed rejection from 10 on: a varying number of draws per count
    "poisson": (lambda L: (L.poisson(L.tensor([0.0, 0.5, 3.0, 9.99, 10.0, 25.0, 400.0, 1e5] * 20)), L.rand(3),
                           L.poisson(L.full((3, 4), 7.0, dtype=L.float64))), 0),
    # rrelu's bounds rounded to float32 first
    "rrelu": (lambda L: tuple(L.nn.functional.rrelu(L.linspace(-3, 1, 801, dtype=d), lower, upper, training=True)
                              for d in (L.float32, L.float64) for lower, upper in ((1 / 8, 1 / 3), (-0.5, 0.3))), 0),
    "random layers": (lambda L: (L.nn.functional.rrelu(L.linspace(-2, 2, 41), training=True),
                                 L.nn.functional.gumbel_softmax(L.zeros(3, 5), tau=0.5),
                                 L.nn.functional.fractional_max_pool2d(L.arange(2 * 3 * 81.).reshape(2, 3, 9, 9), 2,
                                                                       output_size=4)), 1e-5),
    "generator objects": (lambda L: (L.rand(5, generator=L.Generator().manual_seed(42)),
                                     L.randn(20, generator=L.Generator().manual_seed(2**40 + 7))), 0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_seeded_draws_are_pytorchs(name):
    torch = pytest.importorskip("torch")
    make, tolerance = CASES[name]
    for seed in (0, 123):
        ours, theirs = draws(torchless, make, seed), draws(torch, make, seed)
        for mine, reference in zip(ours, theirs):
            assert mine.shape == reference.shape
            np.testing.assert_allclose(mine, reference, rtol=tolerance, atol=tolerance, err_msg=name)


def test_data_loader_shuffles_and_random_split_as_pytorch():
    torch = pytest.importorskip("torch")

    def epochs(L):
        dataset = L.utils.data.TensorDataset(L.arange(10))
        loader = L.utils.data.DataLoader(dataset, batch_size=4, shuffle=True)
        order = [int(i) for _ in range(2) for batch in loader for i in batch[0]]
        return order, [list(part.indices) for part in L.utils.data.random_split(range(10), [3, 7])]
    for seed in (0, 5):
        torch.manual_seed(seed)
        torchless.manual_seed(seed)
        assert epochs(torchless) == epochs(torch)


def test_the_stream_is_the_seeded_mersenne_twister():
    """Independent of torch: PyTorch seeds its mt19937 with the seed's low 32 bits (init_genrand), as NumPy's
    legacy RandomState does, and rand() keeps a word's low 24 bits."""
    for seed in (0, 7, 2**40 + 7, -5):
        reference = np.random.RandomState(seed & 0xFFFFFFFF).randint(0, 2**32, size=6, dtype=np.uint64)
        torchless.manual_seed(seed)
        got = torchless.rand(6).numpy()
        np.testing.assert_array_equal(got, ((reference & (2**24 - 1)) / 2**24).astype(np.float32))


def test_small_normal_draws_are_box_muller_pairs_in_float64():
    generator = torchless.Generator().manual_seed(3)
    words = np.random.RandomState(3).randint(0, 2**32, size=4, dtype=np.uint64)
    u = [((int(words[i]) << 32 | int(words[i + 1])) & (2**53 - 1)) / 2**53 for i in (0, 2)]
    radius, theta = math.sqrt(-2 * math.log1p(-u[1])), 2 * math.pi * u[0]
    values = torchless.randn(2, generator=generator, dtype=torchless.float64).numpy()
    np.testing.assert_allclose(values, [radius * math.cos(theta), radius * math.sin(theta)], rtol=1e-15)


def test_state_round_trip_and_cached_normal():
    torchless.manual_seed(11)
    torchless.randn(1)  # leaves the pair's second value cached
    state = torchless.get_rng_state()
    first = (torchless.randn(3).numpy(), torchless.rand(2).numpy())
    torchless.set_rng_state(state)
    second = (torchless.randn(3).numpy(), torchless.rand(2).numpy())
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError, match="CPUGeneratorImplState of size 5056 but found the input RNG state size to be 5"):
        torchless.set_rng_state(torchless.zeros(5, dtype=torchless.uint8))


def test_a_seeded_training_run_follows_pytorchs_step_by_step():
    """Seeded initialisation, shuffling and dropout are PyTorch's: the same script gives the same losses,
    with nothing copied across."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    images, labels = rng.random((96, 1, 12, 12), dtype=np.float32), rng.integers(0, 10, 96)

    def losses(L):
        L.manual_seed(0)
        net = L.nn.Sequential(L.nn.Conv2d(1, 4, 3, padding=1), L.nn.ReLU(), L.nn.MaxPool2d(2), L.nn.Flatten(),
                              L.nn.Dropout(0.3), L.nn.Linear(144, 10))
        loader = L.utils.data.DataLoader(L.utils.data.TensorDataset(L.tensor(images), L.tensor(labels)),
                                         batch_size=16, shuffle=True)
        optimizer = L.optim.Adam(net.parameters(), lr=1e-2)
        result = []
        for _ in range(2):
            for x, y in loader:
                optimizer.zero_grad()
                loss = L.nn.functional.cross_entropy(net(x), y)
                loss.backward()
                optimizer.step()
                result.append(loss.item())
        return result
    np.testing.assert_allclose(losses(torchless), losses(torch), rtol=2e-5)


@pytest.mark.parametrize("words", [0, 3, 623, 625, 1300])
def test_generator_states_are_pytorchs_bytes(words):
    """get_rng_state has PyTorch's layout, so a state saved by either library restores in the other."""
    torch = pytest.importorskip("torch")
    states = []
    for library in (torchless, torch):
        library.manual_seed(5)
        library.rand(words)
        library.randn(1)  # a cached normal in the state
        states.append(library.get_rng_state().numpy())
    np.testing.assert_array_equal(states[0], states[1])
    torchless.set_rng_state(torchless.tensor(states[1]))
    torch.set_rng_state(torch.tensor(states[0]))
    np.testing.assert_allclose(torchless.randn(20).numpy(), torch.randn(20).numpy(), rtol=2e-6, atol=2e-6)


def test_fork_rng_restores_the_stream():
    torch = pytest.importorskip("torch")
    results = []
    for library in (torchless, torch):
        library.manual_seed(0)
        with library.random.fork_rng():
            inside = library.rand(3).numpy()
        results.append((inside, library.rand(3).numpy()))
    np.testing.assert_array_equal(results[0][0], results[0][1])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_bernoulli_compares_53_bit_draws_exactly_where_the_high_halves_tie(monkeypatch):
    """bernoulli_(p) keeps k < ceil(p 2**53), k the high word's low 21 bits then the low word; it compares the
    halves separately, so words whose high halves equal the threshold's must be decided by the low ones."""
    generator = torchless.random.default_generator
    p = 0.3
    threshold = math.ceil(p * 2.0**53)
    high, low = divmod(threshold, 2**32)
    rng = np.random.default_rng(0)
    words = rng.integers(0, 2**32, size=(64, 2), dtype=np.uint32)
    words[::2, 0] = high | (rng.integers(0, 2**11, 32, dtype=np.uint32) << 21)  # ties, with noise above bit 21
    words[::4, 1] = low
    words[1::4, 1] = low - 1

    class Words:  # stands in for the NumPy generator's word draws
        def integers(self, *args, **kwargs):
            return words.copy()
    monkeypatch.setattr(generator, "numpy", Words())
    k = (words[:, 0].astype(np.uint64) & np.uint64(2**21 - 1)) << np.uint64(32) | words[:, 1].astype(np.uint64)
    np.testing.assert_array_equal(generator.bernoulli((64,), p), k < np.uint64(threshold))


@pytest.mark.parametrize("rate", [0.7, 4.0, 10.0, 60.0])
def test_poisson_counts_have_the_rate_as_mean_and_variance(rate):
    """Independent of torch: both samplers (below and from rate 10) draw Poisson counts."""
    torchless.manual_seed(11)
    counts = torchless.poisson(torchless.full((40000,), rate)).numpy().astype(np.float64)
    assert np.all(counts == np.round(counts)) and counts.min() >= 0
    standard_error = math.sqrt(rate / counts.size)
    assert abs(counts.mean() - rate) < 5 * standard_error
    assert abs(counts.var() / rate - 1) < 0.05
