"""torch.distributed in a world of one process: a DDP training script run as rank 0 of world_size 1.

PyTorch's gloo backend is the oracle where torch imports (its groups rendezvous through a file here, so no port
is opened); without it the tests that need no oracle still run: one-process DDP training must give exactly the
parameters of the same training without DDP, and every collective must leave its tensors as they are.
"""
import warnings

import numpy as np
import pytest

import torchless
import torchless.distributed as dist
from helpers import outcome_named_as_torch


@pytest.fixture
def world(tmp_path, monkeypatch):
    """``start(lib)`` sets up ``lib``'s default group of one process; every group started is destroyed after."""
    for variable in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(variable, raising=False)
    started = []

    def start(lib, **options):
        options.setdefault("init_method", f"file://{tmp_path}/{lib.__name__}-{len(started)}")
        options.setdefault("rank", 0)
        options.setdefault("world_size", 1)
        started.append(lib.distributed)
        lib.distributed.init_process_group(options.pop("backend", "gloo"), **options)

    yield start
    for module in started:
        if module.is_initialized():
            module.destroy_process_group()


def _train(lib, wrap, steps=3, seed=0):
    """A small CNN trained ``steps`` Adam steps on seeded data, the model wrapped by ``wrap``; its parameters."""
    lib.manual_seed(seed)
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 3))
    net = wrap(model)
    optimizer = lib.optim.Adam(net.parameters(), lr=1e-2)
    data = lib.utils.data.TensorDataset(lib.randn(12, 1, 8, 8), lib.randint(0, 3, (12,)))
    if wrap is _plain:  # the order DistributedSampler deals a world of one: randperm seeded with seed + epoch
        sampler = lib.randperm(len(data), generator=lib.Generator().manual_seed(seed)).tolist()
    else:
        sampler = lib.utils.data.DistributedSampler(data, seed=seed)
    loader = lib.utils.data.DataLoader(data, batch_size=4, sampler=sampler)
    losses = []
    for step, (x, y) in zip(range(steps), loader):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, {name: p.detach().numpy().copy() for name, p in model.named_parameters()}


def _plain(model):
    return model


def test_one_process_ddp_trains_as_without_ddp(world):
    world(torchless)
    ddp_losses, ddp_params = _train(torchless, lambda m: torchless.nn.parallel.DistributedDataParallel(m))
    world_size_one = torchless.utils.data.DistributedSampler(range(12), seed=0)
    assert (world_size_one.num_replicas, world_size_one.rank, len(world_size_one)) == (1, 0, 12)
    plain_losses, plain_params = _train(torchless, _plain)
    assert ddp_losses == plain_losses
    for name in plain_params:
        np.testing.assert_array_equal(ddp_params[name], plain_params[name])


def test_ddp_wraps_the_module_as_torch_does(world):
    torch = pytest.importorskip("torch")

    def record(lib):
        world(lib)
        lib.manual_seed(0)
        ddp = lib.nn.parallel.DistributedDataParallel(lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.ReLU()))
        out = ddp(lib.ones(4, 3))
        out.sum().backward()
        flags = [ddp.require_backward_grad_sync]
        with ddp.no_sync():
            flags.append(ddp.require_backward_grad_sync)
        flags.append(ddp.require_backward_grad_sync)
        ddp.eval()
        return (repr(ddp), list(ddp.state_dict()), type(out.grad_fn).__name__, out.detach().numpy().tolist(),
                ddp.module[0].weight.grad.numpy().tolist(), flags, ddp.module.training,
                (ddp.device_ids, ddp.output_device, ddp.dim, ddp.broadcast_buffers, ddp.find_unused_parameters,
                 ddp.static_graph, ddp.gradient_as_bucket_view, ddp.bucket_bytes_cap,
                 ddp.require_forward_param_sync, ddp.process_group is lib.distributed.group.WORLD))

    assert record(torchless) == record(torch)


def test_ddp_training_matches_torch(world):
    torch = pytest.importorskip("torch")
    results = {}
    for lib in (torch, torchless):
        world(lib)
        results[lib.__name__] = _train(lib, lambda m, lib=lib: lib.nn.parallel.DistributedDataParallel(m), steps=3)
        lib.distributed.destroy_process_group()
    (torch_losses, torch_params), (losses, params) = results["torch"], results["torchless"]
    np.testing.assert_allclose(losses, torch_losses, rtol=1e-5)
    for name in torch_params:
        np.testing.assert_allclose(params[name], torch_params[name], rtol=1e-4, atol=1e-6)


_DDP_REFUSALS = [
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.ReLU()),
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2).requires_grad_(False)),
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2), device_ids=[0]),
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2), device_ids=[0, 1]),
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.ReLU(), device_ids=[0, 1]),
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2), output_device=1),
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2), output_device=0).device_ids,
    lambda lib: lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2), bucket_cap_mb=1).bucket_bytes_cap,
    lambda lib: lib.utils.data.DistributedSampler(range(5), rank=1),
    lambda lib: list(lib.utils.data.DistributedSampler(range(5), num_replicas=2, shuffle=False)),
]


def _in_both_worlds(world, call):
    """``call(lib)``'s outcome in torch's one-process world, then in torchless's."""
    torch = pytest.importorskip("torch")
    outcomes = []
    for lib in (torch, torchless):
        world(lib)
        outcomes.append(outcome_named_as_torch(lambda: call(lib)))
        if lib.distributed.is_initialized():
            lib.distributed.destroy_process_group()
    return outcomes


@pytest.mark.parametrize("call", _DDP_REFUSALS)
def test_ddp_and_sampler_arguments_as_torch(world, call):
    expected, got = _in_both_worlds(world, call)
    assert got == expected


def _ints(lib):
    return lib.arange(4)


def _floats(lib):
    return lib.arange(4.0)


# Each call returns what it left in its tensors, so an identity collective that wrote into them would show.
_COLLECTIVES = [
    lambda d, lib: [(d.all_reduce(t, op=op), t.tolist()) for t in [_floats(lib)]
                    for op in (d.ReduceOp.SUM, d.ReduceOp.AVG, d.ReduceOp.PRODUCT, d.ReduceOp.MIN, d.ReduceOp.MAX)],
    lambda d, lib: [(d.all_reduce(t, op=op), t.tolist()) for t in [_ints(lib)]
                    for op in (d.ReduceOp.BAND, d.ReduceOp.BOR, d.ReduceOp.BXOR, d.ReduceOp.MAX)],
    lambda d, lib: d.all_reduce(_floats(lib), op=d.ReduceOp.BAND),
    lambda d, lib: d.all_reduce(_floats(lib), op=d.ReduceOp.BXOR),
    lambda d, lib: d.all_reduce(_ints(lib), op=d.ReduceOp.AVG),
    lambda d, lib: d.all_reduce(_floats(lib).numpy()),
    lambda d, lib: d.all_reduce([_floats(lib)]),
    lambda d, lib: d.all_reduce(_floats(lib), op="sum")[:0],
    lambda d, lib: type(d.all_reduce(_floats(lib), op=d.ReduceOp.PREMUL_SUM)).__name__,
    lambda d, lib: (lambda w: (w.wait(), w.is_completed(), [t.tolist() for t in w.result()]))(
        d.all_reduce(_floats(lib), async_op=True)),
    lambda d, lib: (lambda t: (d.all_reduce(t), t.tolist(), t.requires_grad))(lib.ones(2, requires_grad=True)),
    lambda d, lib: (lambda t: (d.broadcast(t, src=0), t.tolist()))(_floats(lib)),
    lambda d, lib: d.broadcast(_floats(lib), src=1),
    lambda d, lib: d.broadcast(_floats(lib), src=-1),
    lambda d, lib: (lambda t: (d.reduce(t, dst=0), t.tolist()))(_floats(lib)),
    lambda d, lib: d.reduce(_floats(lib), dst=1),
    lambda d, lib: (lambda out: (d.all_gather(out, _floats(lib)), [t.tolist() for t in out]))([lib.zeros(4)]),
    lambda d, lib: d.all_gather([lib.zeros(4), lib.zeros(4)], _floats(lib)),
    lambda d, lib: d.all_gather([lib.zeros(3)], _floats(lib)),
    lambda d, lib: d.all_gather([lib.zeros(2, 3)], lib.zeros(3, 2)),
    lambda d, lib: d.all_gather([lib.zeros(4, dtype=lib.float64)], _floats(lib)),
    lambda d, lib: (lambda out: (d.all_gather_single(out, _floats(lib)), out.tolist()))(lib.zeros(4)),
    lambda d, lib: (lambda out: (d.gather(_floats(lib), out, dst=0), [t.tolist() for t in out]))([lib.zeros(4)]),
    lambda d, lib: d.gather(_floats(lib), dst=0),
    lambda d, lib: d.gather(_floats(lib), [_floats(lib)], dst=1),
    lambda d, lib: (lambda out: (d.scatter(out, [_floats(lib)], src=0), out.tolist()))(lib.zeros(4)),
    lambda d, lib: d.scatter(lib.zeros(4), None, src=0),
    lambda d, lib: (lambda out: (d.reduce_scatter(out, [_floats(lib)]), out.tolist()))(lib.zeros(4)),
    lambda d, lib: (lambda out: (d.reduce_scatter_single(out, _floats(lib)), out.tolist()))(lib.zeros(4)),
    lambda d, lib: (lambda out: (d.all_to_all(out, [_floats(lib)]), [t.tolist() for t in out]))([lib.zeros(4)]),
    lambda d, lib: (lambda out: (d.all_to_all_single(out, _floats(lib)), out.tolist()))(lib.zeros(4)),
    lambda d, lib: (lambda objects: (d.all_gather_object(objects, {"loss": 0.5}), objects))([None]),
    lambda d, lib: (lambda objects: (d.broadcast_object_list(objects, src=0), objects))([1, "two"]),
    lambda d, lib: (lambda objects: (d.gather_object("x", objects, dst=0), objects))([None]),
    lambda d, lib: (lambda objects: (d.scatter_object_list(objects, ["y"], src=0), objects))([None]),
    lambda d, lib: (d.barrier(), d.monitored_barrier()),
    lambda d, lib: (d.get_rank(), d.get_world_size(), d.get_backend(), d.is_initialized()),
    lambda d, lib: (d.group.WORLD is d.GroupMember.WORLD, d.group.WORLD.rank(), d.group.WORLD.size(),
                    d.group.WORLD.name()),
    lambda d, lib: (lambda g: (d.get_rank(g), d.get_world_size(g), d.get_process_group_ranks(g)))(d.new_group([0])),
    lambda d, lib: d.new_group([0, 1]),
    lambda d, lib: (d.get_global_rank(d.group.WORLD, 0), d.get_group_rank(d.group.WORLD, 0)),
    lambda d, lib: d.send(_floats(lib), dst=0),
    lambda d, lib: d.init_process_group("gloo", init_method="file:///nonexistent", rank=0, world_size=1),
    lambda d, lib: (d.destroy_process_group(), d.is_initialized(), d.group.WORLD, d.GroupMember.WORLD),
]


@pytest.mark.parametrize("call", _COLLECTIVES)
def test_collectives_of_a_one_process_world_as_gloo(world, call):
    outcomes = _in_both_worlds(world, lambda lib: call(lib.distributed, lib))
    if isinstance(outcomes[0], tuple) and outcomes[0][:1] == ("TypeError",):
        # pybind11's refusal names an address: the first line and the offending value must agree
        outcomes = [(kind, message.split("\n")[0], message.rsplit(", ", 1)[-1]) for kind, message in outcomes]
    assert outcomes[1] == outcomes[0]


def test_result_before_wait_is_refused(world):
    # gloo completes the work on a thread of its own: torch's result() before wait() raises, unless that thread
    # happened to finish first (then it returns the tensors); torchless's work is done at once, and always refuses
    torch_outcome, outcome = _in_both_worlds(world, lambda lib: [t.tolist() for t in lib.distributed.all_reduce(
        lib.arange(4.), async_op=True).result()])
    assert outcome == ("RuntimeError", "Work needs to be completed before calling result(). Should call wait() "
                                       "before result().")
    assert torch_outcome == outcome or torch_outcome == [[0.0, 1.0, 2.0, 3.0]]


def test_collectives_leave_tensors_as_they_are_without_torch(world):
    world(torchless)
    values = torchless.arange(6.0).reshape(2, 3)
    for collective in (dist.all_reduce, dist.broadcast, dist.reduce):
        assert collective(values) is None
        np.testing.assert_array_equal(values.numpy(), np.arange(6.0).reshape(2, 3))
    gathered = [torchless.zeros(2, 3)]
    dist.all_gather(gathered, values)
    np.testing.assert_array_equal(gathered[0].numpy(), values.numpy())
    assert dist.get_world_size() == 1 and dist.get_rank() == 0


_RENDEZVOUS = [
    dict(),
    dict(env={"RANK": "0"}),
    dict(env={"RANK": "0", "WORLD_SIZE": "1"}),
    dict(env={"RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1"}),
    dict(init_method="tcp://127.0.0.1", rank=0, world_size=1),
    dict(init_method="tcp://127.0.0.1:29999", world_size=1),
    dict(init_method="tcp://127.0.0.1:29999", rank=0),
    dict(init_method="file:///tmp/torchless-never-made", rank=0),
    dict(init_method="file:///tmp/torchless-never-made", world_size=1),
    dict(init_method="bogus://x", rank=0, world_size=1),
    dict(file=True, timeout=5),
    dict(file=True, rank="0"),
    dict(file=True, backend="nccl"),
    dict(file=True, backend="xccl"),
    dict(file=True, backend="ucc"),
    dict(file=True, backend="foo"),
    dict(file=True, backend="cpu:foo"),
    dict(file=True, backend="cuda:nccl"),
    dict(backend="mpi"),
    dict(backend="mpi", init_method="file:///tmp/torchless-never-made", rank=0, world_size=1),
    dict(store=object(), init_method="tcp://x:1"),
    dict(store=object()),
    dict(store=object(), world_size=1),
]


@pytest.mark.parametrize("case", _RENDEZVOUS, ids=range(len(_RENDEZVOUS)))
def test_init_process_group_refusals_as_torch(case, tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    for variable in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in case.get("env", {}).items():
        monkeypatch.setenv(variable, value)
    outcomes = []
    for lib in (torch, torchless):
        options = {key: value for key, value in case.items() if key not in ("env", "file")}
        if case.get("file"):
            options.update(init_method=f"file://{tmp_path}/{lib.__name__}", rank=options.get("rank", 0),
                           world_size=1)
        backend = options.pop("backend", "gloo")
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            outcome = outcome_named_as_torch(lambda: lib.distributed.init_process_group(backend, **options))
        outcomes.append((outcome, [(w.category, str(w.message)) for w in warned]))
        if lib.distributed.is_initialized():
            lib.distributed.destroy_process_group()
    assert outcomes[1] == outcomes[0]


def test_a_world_of_several_processes_is_refused_at_once(tmp_path):
    """Rather than waiting for peers that could never connect (torchless has no transport between processes)."""
    with pytest.raises(RuntimeError, match="world_size=2"):
        dist.init_process_group("gloo", init_method=f"file://{tmp_path}/store", rank=0, world_size=2)
    with pytest.raises(ValueError, match="Invalid rank 1"):
        dist.init_process_group("gloo", init_method=f"file://{tmp_path}/store", rank=1, world_size=1)
    assert not dist.is_initialized()


def test_environment_rendezvous_as_torchrun_sets_it(monkeypatch):
    """``torchrun --nproc-per-node=1`` sets these four variables and the script calls init_process_group("gloo")."""
    for variable, value in {"RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}.items():
        monkeypatch.setenv(variable, value)
    dist.init_process_group("gloo")
    try:
        assert (dist.is_initialized(), dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (
            True, 0, 1, "gloo")
        with pytest.raises(ValueError, match="twice"):
            dist.init_process_group("gloo")
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
