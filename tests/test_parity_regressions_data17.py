"""torchless.utils.data and torchless.optim.lr_scheduler against torch 2.13, as CNN training code uses them.

Differences fixed:

- ``RandomSampler(replacement=True)`` draws its indices in chunks of 32 as PyTorch does, not all at once: an
  epoch consumed part way leaves an explicit generator where PyTorch's would, and ``num_samples=True`` (which
  PyTorch takes as the int 1) draws one index instead of failing in ``randint``.
"""
import pytest

import torchless

torch = pytest.importorskip("torch")


def _data(module):
    return module.utils.data


@pytest.mark.parametrize("num_samples", [5, 31, 32, 33, 70, True])
def test_random_sampler_with_replacement_draws_in_chunks_of_32(num_samples):
    def consume_part_then_draw(module):
        generator = module.Generator().manual_seed(1)
        sampler = _data(module).RandomSampler(range(9), replacement=True, num_samples=num_samples,
                                              generator=generator)
        indices = iter(sampler)
        first = [next(indices) for _ in range(min(4, len(sampler)))]
        return first, module.randint(0, 100, (3,), generator=generator).tolist(), list(sampler)

    assert consume_part_then_draw(torchless) == consume_part_then_draw(torch)


@pytest.mark.parametrize("num_samples", [1, 40, 100])
def test_random_sampler_with_replacement_follows_manual_seed(num_samples):
    def epochs(module):
        module.manual_seed(7)
        sampler = _data(module).RandomSampler(range(6), replacement=True, num_samples=num_samples)
        return list(sampler), list(sampler), module.rand(2).tolist()

    assert epochs(torchless) == epochs(torch)
