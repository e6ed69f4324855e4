"""Audit of torchless's numbers against PyTorch's at ``torch.testing.assert_close``'s default tolerances.

``compare(fn, arrays, ...)`` runs ``fn(lib, *tensors)`` in torchless and in torch on the same arrays, in float32
and float64, and checks the forward values and the gradients of every floating input with
``torch.testing.assert_close``; on a float32 failure it measures both libraries against a float64 truth (torch in
float64 on the same float32 values) so that a failure can be told a torchless bug (ours farther from the truth)
from PyTorch's own rounding. Run as a script, it audits the CNN ops and prints the failures.
"""
import sys
import traceback

import numpy as np

import torchless


def _as_lib_tensor(lib, array, requires_grad, noncontiguous):
    """A tensor of ``array`` in ``lib`` and the leaf holding its gradient (a strided view when ``noncontiguous``)."""
    if noncontiguous and array.ndim:
        doubled = np.repeat(array, 2, axis=-1)
        leaf = lib.tensor(doubled, requires_grad=requires_grad)
        return leaf[..., ::2], leaf
    leaf = lib.tensor(array.copy(), requires_grad=requires_grad)
    return leaf, leaf


def _run(lib, fn, arrays, dtype, noncontiguous, seed):
    """Outputs and input gradients of ``fn`` in ``lib`` (numpy arrays), the output gradient drawn from ``seed``."""
    tensors, leaves = [], []
    for array in arrays:
        floating = np.issubdtype(array.dtype, np.floating)
        cast = array.astype(dtype) if floating else array
        t, leaf = _as_lib_tensor(lib, cast, floating, noncontiguous and floating)
        tensors.append(t)
        leaves.append(leaf if floating else None)
    out = fn(lib, *tensors)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    rng = np.random.default_rng(seed)
    loss = None
    for o in outs:
        if o.requires_grad and o.dtype.is_floating_point:
            g = lib.tensor(rng.standard_normal(tuple(o.shape)).astype(np.float64)).to(o.dtype)
            term = (o * g).sum()
            loss = term if loss is None else loss + term
    grads = []
    if loss is not None:
        loss.backward()
        for leaf in leaves:
            if leaf is None or leaf.grad is None:
                grads.append(None)
            else:
                g = leaf.grad.numpy()
                grads.append(g[..., ::2] if noncontiguous and g.ndim else g)
    return [o.detach().numpy() for o in outs], grads


def compare(name, fn, arrays, dtypes=(np.float32, np.float64), noncontiguous=False, seed=0, failures=None):
    """Forward values and gradients of ``fn(lib, *tensors)`` in torchless and torch, by assert_close's defaults.

    Returns the list of failure descriptions (also appended to ``failures``)."""
    import torch

    found = []
    for dtype in dtypes:
        try:
            ours = _run(torchless, fn, arrays, dtype, noncontiguous, seed)
            theirs = _run(torch, fn, arrays, dtype, noncontiguous, seed)
        except Exception as error:  # noqa: BLE001 - reported
            found.append(f"{name} {np.dtype(dtype).name}: raised {type(error).__name__}: {error}")
            continue
        truth = None
        if dtype == np.float32:
            truth = _run(torch, fn, [a.astype(np.float32).astype(np.float64)
                                     if np.issubdtype(a.dtype, np.floating) else a for a in arrays],
                         np.float64, noncontiguous, seed)
        pairs = [("out", i, o, t, truth[0][i] if truth else None) for i, (o, t) in enumerate(zip(*[ours[0], theirs[0]]))]
        pairs += [("grad", i, o, t, truth[1][i] if truth else None)
                  for i, (o, t) in enumerate(zip(ours[1], theirs[1])) if t is not None or o is not None]
        for kind, i, o, t, true in pairs:
            if o is None or t is None:
                found.append(f"{name} {np.dtype(dtype).name} {kind}{i}: ours {o is None} theirs {t is None}")
                continue
            try:
                torch.testing.assert_close(torch.from_numpy(np.ascontiguousarray(o)), torch.from_numpy(np.ascontiguousarray(t)))
            except AssertionError as error:
                detail = str(error).splitlines()
                msg = f"{name} {np.dtype(dtype).name} {kind}{i}: " + " | ".join(line.strip() for line in detail[1:4])
                if true is not None:
                    err_ours = np.abs(o.astype(np.float64) - true).max()
                    err_theirs = np.abs(t.astype(np.float64) - true).max()
                    msg += f" || err ours {err_ours:.3g} theirs {err_theirs:.3g}" + (" OURS WORSE" if err_ours > err_theirs * 1.5 else "")
                found.append(msg)
    if failures is not None:
        failures.extend(found)
    return found


def randn(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed + sum(shape)).standard_normal(shape) * scale).astype(np.float64)


def bn_train(lib, x, w, b):
    """Three training-mode batch_norm calls updating running statistics: the output and both statistics."""
    rm, rv = lib.zeros(x.shape[1], dtype=x.dtype), lib.ones(x.shape[1], dtype=x.dtype)
    y = None
    for _ in range(3):
        y = F(lib).batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)
    return y, rm, rv


def audit():
    import torch  # noqa: F401

    fails = []

    def c(name, fn, *arrays, **kw):
        for nc in (False, True):
            compare(name + (" nc" if nc else ""), fn, list(arrays), noncontiguous=nc, failures=fails, **kw)

    F = lambda lib: lib.nn.functional  # noqa: E731
    # convolutions
    for shape, w, kw in [((2, 3, 17), (4, 3, 3), dict(stride=2, padding=1)),
                         ((1, 4, 20), (4, 2, 5), dict(groups=2, dilation=2, padding='same')),
                         ((2, 6, 9), (6, 1, 3), dict(groups=6))]:
        c(f"conv1d {shape} {kw}", lambda lib, x, w_, b: F(lib).conv1d(x, w_, b, **kw), randn(*shape), randn(*w, scale=0.3), randn(w[0]))
    for shape, w, kw in [((2, 3, 17, 15), (8, 3, 3, 3), dict(padding=1)),
                         ((1, 16, 14, 14), (32, 16, 3, 3), dict(padding=1)),
                         ((2, 3, 32, 32), (16, 3, 7, 7), dict(stride=2, padding=3)),
                         ((1, 8, 13, 11), (8, 1, 3, 3), dict(groups=8, padding='same')),
                         ((2, 8, 13, 11), (4, 4, 3, 3), dict(groups=2, dilation=2)),
                         ((2, 64, 8, 8), (64, 64, 3, 3), dict(padding=1)),
                         ((2, 32, 9, 9), (16, 32, 1, 1), dict()),
                         ((1, 3, 10, 12), (5, 3, 2, 4), dict(stride=(2, 1), padding=(1, 2)))]:
        c(f"conv2d {shape} {w} {kw}", lambda lib, x, w_, b: F(lib).conv2d(x, w_, b, **kw), randn(*shape), randn(*w, scale=0.2), randn(w[0]))
    for shape, w, kw in [((1, 2, 7, 8, 9), (4, 2, 3, 3, 3), dict(padding=1)),
                         ((2, 4, 6, 7, 5), (4, 2, 2, 3, 3), dict(stride=2, groups=2, dilation=(1, 2, 1)))]:
        c(f"conv3d {shape} {kw}", lambda lib, x, w_, b: F(lib).conv3d(x, w_, b, **kw), randn(*shape), randn(*w, scale=0.2), randn(w[0]))
    for shape, w, kw in [((2, 4, 9), (4, 3, 3), dict(stride=2, output_padding=1)),
                         ((1, 4, 7), (4, 2, 3), dict(groups=2, dilation=2, padding=1))]:
        c(f"conv_transpose1d {kw}", lambda lib, x, w_, b: F(lib).conv_transpose1d(x, w_, b, **kw), randn(*shape), randn(*w, scale=0.3), randn(w[1] * kw.get('groups', 1)))
    for shape, w, kw in [((2, 4, 9, 7), (4, 3, 3, 3), dict(stride=2, output_padding=1, padding=1)),
                         ((1, 4, 7, 6), (4, 2, 4, 4), dict(groups=2, dilation=2, stride=2)),
                         ((2, 16, 8, 8), (16, 8, 2, 2), dict(stride=2))]:
        c(f"conv_transpose2d {shape} {kw}", lambda lib, x, w_, b: F(lib).conv_transpose2d(x, w_, b, **kw), randn(*shape), randn(*w, scale=0.3), randn(w[1] * kw.get('groups', 1)))
    c("conv_transpose3d", lambda lib, x, w_, b: F(lib).conv_transpose3d(x, w_, b, stride=2, output_padding=1, groups=2),
      randn(1, 4, 4, 5, 3), randn(4, 2, 3, 3, 3, scale=0.3), randn(4))
    # linear
    c("linear", lambda lib, x, w, b: F(lib).linear(x, w, b), randn(7, 33), randn(10, 33, scale=0.2), randn(10))
    c("linear big", lambda lib, x, w, b: F(lib).linear(x, w, b), randn(64, 512), randn(100, 512, scale=0.05), randn(100))
    c("linear 3d", lambda lib, x, w, b: F(lib).linear(x, w, b), randn(2, 5, 33), randn(10, 33, scale=0.2), randn(10))
    c("bilinear", lambda lib, x1, x2, w, b: F(lib).bilinear(x1, x2, w, b), randn(5, 7), randn(5, 6), randn(4, 7, 6, scale=0.3), randn(4))
    # norms
    c("batch_norm train 4d", bn_train, randn(4, 5, 7, 6, scale=3) + 2, randn(5), randn(5))
    c("batch_norm train 2d", bn_train, randn(16, 5, scale=3) + 2, randn(5), randn(5))
    c("batch_norm train 3d", bn_train, randn(3, 5, 11), randn(5), randn(5))
    c("batch_norm eval", lambda lib, x, w, b, rm, rv: F(lib).batch_norm(x, rm.detach(), rv.detach().abs() + 0.5, w, b, training=False),
      randn(4, 5, 7, 6), randn(5), randn(5), randn(5), randn(5))
    c("group_norm", lambda lib, x, w, b: F(lib).group_norm(x, 3, w, b), randn(2, 6, 5, 7, scale=2) + 1, randn(6), randn(6))
    c("layer_norm", lambda lib, x, w, b: F(lib).layer_norm(x, (5, 7), w, b), randn(3, 4, 5, 7, scale=2) + 1, randn(5, 7), randn(5, 7))
    c("layer_norm 1", lambda lib, x, w, b: F(lib).layer_norm(x, (768,), w, b), randn(3, 768, scale=2) + 1, randn(768), randn(768))
    c("instance_norm", lambda lib, x, w, b: F(lib).instance_norm(x, weight=w, bias=b), randn(2, 4, 9, 7, scale=2) + 1, randn(4), randn(4))
    c("instance_norm running", lambda lib, x: F(lib).instance_norm(x, lib.zeros(4, dtype=x.dtype), lib.ones(4, dtype=x.dtype), use_input_stats=True), randn(2, 4, 9, 7))
    c("local_response_norm", lambda lib, x: F(lib).local_response_norm(x, 3, alpha=1e-2, beta=0.75, k=2.0), randn(2, 7, 5, 6, scale=3))
    c("local_response_norm 3d", lambda lib, x: F(lib).local_response_norm(x, 4), randn(2, 7, 5))
    # pooling
    c("max_pool2d", lambda lib, x: F(lib).max_pool2d(x, 3, 2, 1, ceil_mode=True), randn(2, 3, 11, 10))
    c("max_pool2d dil", lambda lib, x: F(lib).max_pool2d(x, 2, 1, 0, dilation=2), randn(2, 3, 11, 10))
    c("max_pool1d", lambda lib, x: F(lib).max_pool1d(x, 3, 2, ceil_mode=True), randn(2, 3, 11))
    c("max_pool3d", lambda lib, x: F(lib).max_pool3d(x, 2, 2, 1, ceil_mode=True), randn(1, 3, 7, 6, 5))
    c("avg_pool2d", lambda lib, x: F(lib).avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), randn(2, 3, 11, 10))
    c("avg_pool2d cip", lambda lib, x: F(lib).avg_pool2d(x, 3, 2, 1, ceil_mode=True), randn(2, 3, 11, 10))
    c("avg_pool2d div", lambda lib, x: F(lib).avg_pool2d(x, 3, 2, 1, divisor_override=7), randn(2, 3, 11, 10))
    c("avg_pool1d", lambda lib, x: F(lib).avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), randn(2, 3, 11))
    c("avg_pool3d", lambda lib, x: F(lib).avg_pool3d(x, 3, 2, 1, ceil_mode=True), randn(1, 2, 7, 6, 9))
    c("avg_pool3d div", lambda lib, x: F(lib).avg_pool3d(x, 2, divisor_override=3), randn(1, 2, 7, 6, 9))
    c("adaptive_avg_pool2d", lambda lib, x: F(lib).adaptive_avg_pool2d(x, (3, 5)), randn(2, 3, 11, 13))
    c("adaptive_avg_pool2d 1", lambda lib, x: F(lib).adaptive_avg_pool2d(x, 1), randn(2, 64, 7, 7, scale=3) + 5)
    c("adaptive_avg_pool1d", lambda lib, x: F(lib).adaptive_avg_pool1d(x, 4), randn(2, 3, 11))
    c("adaptive_avg_pool3d", lambda lib, x: F(lib).adaptive_avg_pool3d(x, (2, 3, 2)), randn(1, 2, 7, 6, 5))
    c("adaptive_max_pool2d", lambda lib, x: F(lib).adaptive_max_pool2d(x, (3, 5)), randn(2, 3, 11, 13))
    c("adaptive_max_pool1d", lambda lib, x: F(lib).adaptive_max_pool1d(x, 4), randn(2, 3, 11))
    c("adaptive_max_pool3d", lambda lib, x: F(lib).adaptive_max_pool3d(x, (2, 3, 2)), randn(1, 2, 7, 6, 5))
    c("lp_pool2d", lambda lib, x: F(lib).lp_pool2d(x, 2, 3, 2), randn(2, 3, 11, 10))
    c("lp_pool2d 3", lambda lib, x: F(lib).lp_pool2d(x.abs() + 0.1, 3.0, (2, 3), ceil_mode=True), randn(2, 3, 11, 10))
    c("lp_pool1d", lambda lib, x: F(lib).lp_pool1d(x, 2, 3, 2), randn(2, 3, 11))
    c("lp_pool3d", lambda lib, x: F(lib).lp_pool3d(x, 2, 2), randn(1, 2, 6, 6, 4))
    # interpolate
    for mode, kw in [("nearest", {}), ("nearest-exact", {}), ("bilinear", dict(align_corners=False)),
                     ("bilinear", dict(align_corners=True)), ("bicubic", dict(align_corners=False)),
                     ("bicubic", dict(align_corners=True)), ("bilinear", dict(antialias=True)),
                     ("bicubic", dict(antialias=True)), ("area", {})]:
        c(f"interpolate up {mode} {kw}", lambda lib, x: F(lib).interpolate(x, size=(13, 17), mode=mode, **kw), randn(2, 3, 7, 9))
        c(f"interpolate down {mode} {kw}", lambda lib, x: F(lib).interpolate(x, size=(5, 4), mode=mode, **kw), randn(2, 3, 11, 13))
        c(f"interpolate sf {mode} {kw}", lambda lib, x: F(lib).interpolate(x, scale_factor=1.7, mode=mode, **kw), randn(1, 2, 7, 9))
        c(f"interpolate sf rsf {mode} {kw}", lambda lib, x: F(lib).interpolate(x, scale_factor=(0.6, 2.3), mode=mode, recompute_scale_factor=True, **kw) if mode not in ("area",) else F(lib).interpolate(x, scale_factor=0.6, mode=mode), randn(1, 2, 17, 9))
    for mode, kw in [("nearest", {}), ("nearest-exact", {}), ("linear", dict(align_corners=False)), ("linear", dict(align_corners=True))]:
        c(f"interpolate1d {mode} {kw}", lambda lib, x: F(lib).interpolate(x, scale_factor=2.5, mode=mode, **kw), randn(2, 3, 7))
    for mode, kw in [("nearest", {}), ("trilinear", dict(align_corners=False)), ("trilinear", dict(align_corners=True))]:
        c(f"interpolate3d {mode} {kw}", lambda lib, x: F(lib).interpolate(x, size=(5, 7, 3), mode=mode, **kw), randn(1, 2, 4, 3, 6))
    for mode in ("bilinear", "nearest", "bicubic"):
        for pm in ("zeros", "border", "reflection"):
            for ac in (False, True):
                c(f"grid_sample {mode} {pm} {ac}", lambda lib, x, th: F(lib).grid_sample(x, F(lib).affine_grid(th, (2, 3, 6, 7), align_corners=ac), mode=mode, padding_mode=pm, align_corners=ac),
                  randn(2, 3, 5, 8), randn(2, 2, 3, scale=0.7))
    c("grid_sample 3d", lambda lib, x, th: F(lib).grid_sample(x, F(lib).affine_grid(th, (2, 3, 4, 6, 5), align_corners=False), align_corners=False),
      randn(2, 3, 5, 4, 6), randn(2, 3, 4, scale=0.7))
    c("pixel_shuffle", lambda lib, x: F(lib).pixel_shuffle(x, 2), randn(2, 8, 3, 5))
    c("pixel_unshuffle", lambda lib, x: F(lib).pixel_unshuffle(x, 2), randn(2, 2, 4, 6))
    for d in (0, 1, -1):
        c(f"softmax {d}", lambda lib, x: F(lib).softmax(x, d), randn(4, 7, 9, scale=5))
        c(f"log_softmax {d}", lambda lib, x: F(lib).log_softmax(x, d), randn(4, 7, 9, scale=5))
    c("softmax big", lambda lib, x: F(lib).softmax(x, 1), randn(8, 1000, scale=5))
    c("log_softmax big", lambda lib, x: F(lib).log_softmax(x, 1), randn(8, 1000, scale=5))
    tgt = np.random.default_rng(1).integers(0, 10, 16)
    tgt_ig = tgt.copy(); tgt_ig[::3] = 2
    for red in ("mean", "sum", "none"):
        c(f"cross_entropy {red}", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=red), randn(16, 10, scale=3), tgt)
        c(f"cross_entropy w {red}", lambda lib, x, t, w: F(lib).cross_entropy(x, t, weight=w.detach().abs(), reduction=red, ignore_index=2), randn(16, 10, scale=3), tgt_ig, randn(10))
        c(f"cross_entropy ls {red}", lambda lib, x, t, w: F(lib).cross_entropy(x, t, weight=w.detach().abs(), reduction=red, label_smoothing=0.1), randn(16, 10, scale=3), tgt, randn(10))
        c(f"cross_entropy ls ig {red}", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=red, label_smoothing=0.2, ignore_index=2), randn(16, 10, scale=3), tgt_ig)
        c(f"cross_entropy prob {red}", lambda lib, x, p: F(lib).cross_entropy(x, p.softmax(1), reduction=red, label_smoothing=0.1), randn(16, 10, scale=3), randn(16, 10))
        c(f"cross_entropy prob w {red}", lambda lib, x, p, w: F(lib).cross_entropy(x, p.softmax(1), weight=w.detach().abs(), reduction=red), randn(16, 10, scale=3), randn(16, 10), randn(10))
        c(f"cross_entropy 4d {red}", lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=red), randn(2, 5, 4, 3, scale=3), np.random.default_rng(2).integers(0, 5, (2, 4, 3)))
        c(f"nll_loss {red}", lambda lib, x, t, w: F(lib).nll_loss(x, t, weight=w.detach().abs(), reduction=red, ignore_index=2), randn(16, 10, scale=3), tgt_ig, randn(10))
        c(f"mse {red}", lambda lib, x, y: F(lib).mse_loss(x, y, reduction=red), randn(4, 5, 6), randn(4, 5, 6))
        c(f"l1 {red}", lambda lib, x, y: F(lib).l1_loss(x, y, reduction=red), randn(4, 5, 6), randn(4, 5, 6))
        c(f"smooth_l1 {red}", lambda lib, x, y: F(lib).smooth_l1_loss(x, y, reduction=red, beta=0.5), randn(4, 5, 6), randn(4, 5, 6))
        c(f"huber {red}", lambda lib, x, y: F(lib).huber_loss(x, y, reduction=red, delta=0.7), randn(4, 5, 6), randn(4, 5, 6))
        c(f"bce {red}", lambda lib, x, y, w: F(lib).binary_cross_entropy(x.sigmoid(), y.sigmoid(), weight=w.detach().abs(), reduction=red), randn(4, 5, 6, scale=3), randn(4, 5, 6), randn(4, 5, 6))
        c(f"bce_logits {red}", lambda lib, x, y, pw: F(lib).binary_cross_entropy_with_logits(x, y.sigmoid(), pos_weight=pw.detach().abs(), reduction=red), randn(4, 5, 6, scale=5), randn(4, 5, 6), randn(6))
        c(f"bce_logits w {red}", lambda lib, x, y, w: F(lib).binary_cross_entropy_with_logits(x, y.sigmoid(), weight=w.detach(), reduction=red), randn(4, 5, 6, scale=5), randn(4, 5, 6), randn(5, 6))
        c(f"kl_div {red}", lambda lib, x, y: F(lib).kl_div(x.log_softmax(1), y.softmax(1), reduction=red), randn(4, 5, 6), randn(4, 5, 6))
        c(f"kl_div log {red}", lambda lib, x, y: F(lib).kl_div(x.log_softmax(1), y.log_softmax(1), reduction=red, log_target=True), randn(4, 5, 6), randn(4, 5, 6))
    c("kl_div batchmean", lambda lib, x, y: F(lib).kl_div(x.log_softmax(1), y.softmax(1), reduction="batchmean"), randn(4, 5, 6), randn(4, 5, 6))
    c("cosine_similarity", lambda lib, x, y: F(lib).cosine_similarity(x, y, dim=1), randn(4, 5, 6), randn(4, 5, 6))
    c("cosine_similarity bc", lambda lib, x, y: F(lib).cosine_similarity(x, y, dim=-1), randn(4, 1, 64), randn(1, 5, 64))
    c("pairwise_distance", lambda lib, x, y: F(lib).pairwise_distance(x, y), randn(4, 64), randn(4, 64))
    c("pairwise_distance p1", lambda lib, x, y: F(lib).pairwise_distance(x, y, p=1.0, keepdim=True), randn(4, 64), randn(4, 64))
    c("pairwise_distance p3", lambda lib, x, y: F(lib).pairwise_distance(x, y, p=3.0), randn(4, 64), randn(4, 64))
    c("embedding", lambda lib, w, i: F(lib).embedding(i, w), randn(10, 6), np.random.default_rng(3).integers(0, 10, (4, 5)))
    c("embedding pad", lambda lib, w, i: F(lib).embedding(i, w, padding_idx=3, scale_grad_by_freq=True), randn(10, 6), np.random.default_rng(3).integers(0, 10, (4, 5)))
    c("embedding maxnorm", lambda lib, w, i: F(lib).embedding(i, w.clone(), max_norm=1.0), randn(10, 6), np.random.default_rng(3).integers(0, 10, (4, 5)))
    c("matmul", lambda lib, a, b: lib.matmul(a, b), randn(3, 17, 33), randn(33, 19))
    c("matmul vec", lambda lib, a, b: lib.matmul(a, b), randn(300), randn(300, 19))
    c("bmm", lambda lib, a, b: lib.bmm(a, b), randn(3, 17, 33), randn(3, 33, 19))
    c("einsum", lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), randn(3, 17, 33), randn(3, 33, 19))
    c("einsum2", lambda lib, a, b: lib.einsum("ij,ij->i", a, b), randn(17, 333), randn(17, 333))
    c("einsum3", lambda lib, a: lib.einsum("ii->", a), randn(50, 50))
    # reductions
    big = randn(1000, 1003, scale=3) + 10
    c("sum", lambda lib, x: x.sum(), big)
    c("sum dim0", lambda lib, x: x.sum(0), big)
    c("sum dim1", lambda lib, x: x.sum(1), big)
    c("mean", lambda lib, x: x.mean(), big)
    c("mean dim", lambda lib, x: x.mean((0,)), big)
    c("var", lambda lib, x: x.var(), big)
    c("var c0", lambda lib, x: x.var(1, correction=0), big)
    c("std", lambda lib, x: x.std(0, correction=2), big)
    c("var_mean", lambda lib, x: lib.var_mean(x, 1), big)
    c("norm", lambda lib, x: x.norm(), big)
    c("norm p1", lambda lib, x: x.norm(p=1, dim=1), big)
    c("norm p3", lambda lib, x: x.norm(p=3, dim=0), big)
    c("linalg vector_norm", lambda lib, x: lib.linalg.vector_norm(x, 2.5), big)
    c("logsumexp", lambda lib, x: x.logsumexp(1), big)
    c("logsumexp all", lambda lib, x: x.logsumexp((0, 1)), big)
    c("cumsum", lambda lib, x: x.cumsum(1), big)
    c("cumsum0", lambda lib, x: x.cumsum(0), big)
    c("cumprod", lambda lib, x: (x / 10).cumprod(1), randn(10, 50, scale=0.1) + 10)
    c("prod", lambda lib, x: (x / 10).prod(1), randn(10, 50, scale=0.1) + 10)
    big1 = randn(2_000_003, scale=3) + 10
    c("sum 1d", lambda lib, x: x.sum(), big1)
    c("mean 1d", lambda lib, x: x.mean(), big1)
    c("var 1d", lambda lib, x: x.var(), big1)
    c("norm 1d", lambda lib, x: x.norm(), big1)
    c("cumsum 1d", lambda lib, x: x.cumsum(0), big1[:100000])
    fails += hard_audit()
    return fails


def hard_audit():
    """Large reductions with offsets, where an order of accumulation shows."""
    fails = []

    def c(name, fn, *arrays, **kw):
        compare(name, fn, list(arrays), failures=fails, **kw)

    F = lambda lib: lib.nn.functional  # noqa: E731
    big = randn(3000, 301, scale=3) + 100
    c("H mean dim0", lambda lib, x: x.mean(0), big)
    c("H var dim0", lambda lib, x: x.var(0), big)
    c("H var dim1", lambda lib, x: x.var(1), big)
    c("H var all", lambda lib, x: x.var(), big)
    c("H std dim0", lambda lib, x: x.std(0), big)
    c("H sum 023", lambda lib, x: x.sum((0, 2, 3)), randn(64, 16, 30, 30) + 10)
    c("H mean 023", lambda lib, x: x.mean((0, 2, 3)), randn(64, 16, 30, 30) + 10)
    c("H var 023", lambda lib, x: x.var((0, 2, 3)), randn(64, 16, 30, 30) + 10)
    c("H batch_norm big", bn_train, randn(32, 16, 28, 28, scale=3) + 50, randn(16), randn(16))
    c("H batch_norm 1d big", bn_train, randn(4096, 8, scale=3) + 50, randn(8), randn(8))
    c("H layer_norm big", lambda lib, x, w, b: F(lib).layer_norm(x, (4096,), w, b), randn(4, 4096, scale=3) + 50, randn(4096), randn(4096))
    c("H group_norm big", lambda lib, x, w, b: F(lib).group_norm(x, 4, w, b), randn(2, 16, 40, 40, scale=3) + 50, randn(16), randn(16))
    c("H instance_norm big", lambda lib, x: F(lib).instance_norm(x), randn(2, 4, 64, 64, scale=3) + 50)
    c("H linear bias grad", lambda lib, x, w, b: F(lib).linear(x, w, b), randn(4096, 16), randn(8, 16, scale=0.2), randn(8))
    c("H conv2d bias grad", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1), randn(32, 3, 32, 32), randn(8, 3, 3, 3, scale=0.2), randn(8))
    c("H softmax dim0", lambda lib, x: F(lib).softmax(x, 0), randn(5000, 7, scale=3))
    c("H log_softmax dim0", lambda lib, x: F(lib).log_softmax(x, 0), randn(5000, 7, scale=3))
    c("H mse big", lambda lib, x, y: F(lib).mse_loss(x, y), randn(300, 1001) + 3, randn(300, 1001))
    c("H l1 big", lambda lib, x, y: F(lib).l1_loss(x, y), randn(300, 1001) + 3, randn(300, 1001))
    c("H ce big", lambda lib, x, t: F(lib).cross_entropy(x, t), randn(8192, 10, scale=3), np.random.default_rng(1).integers(0, 10, 8192))
    c("H ce big ls", lambda lib, x, t: F(lib).cross_entropy(x, t, label_smoothing=0.1), randn(8192, 10, scale=3), np.random.default_rng(1).integers(0, 10, 8192))
    c("H bce big", lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x, y.sigmoid()), randn(300, 1001, scale=3), randn(300, 1001))
    c("H adaptive_avg big", lambda lib, x: F(lib).adaptive_avg_pool2d(x, 1), randn(2, 4, 112, 112) + 10)
    c("H avg_pool big", lambda lib, x: F(lib).avg_pool2d(x, 28), randn(2, 4, 56, 56) + 10)
    c("H avg_pool3d big", lambda lib, x: F(lib).avg_pool3d(x, 8), randn(1, 2, 16, 16, 16) + 10)
    c("H interpolate area big", lambda lib, x: F(lib).interpolate(x, size=(2, 3), mode="area"), randn(2, 4, 100, 99) + 10)
    c("H interpolate antialias big", lambda lib, x: F(lib).interpolate(x, size=(5, 6), mode="bilinear", antialias=True), randn(1, 2, 200, 210) + 10)
    c("H cosine big", lambda lib, x, y: F(lib).cosine_similarity(x, y), randn(4, 50000) + 1, randn(4, 50000) + 1)
    c("H pairwise big", lambda lib, x, y: F(lib).pairwise_distance(x, y), randn(4, 50000) + 1, randn(4, 50000))
    c("H logsumexp dim0", lambda lib, x: x.logsumexp(0), randn(5000, 7, scale=3))
    c("H matmul big k", lambda lib, a, b: a @ b, randn(8, 20000) + 1, randn(20000, 8) + 1)
    c("H kl big", lambda lib, x, y: F(lib).kl_div(x.log_softmax(1), y.softmax(1), reduction="batchmean"), randn(4096, 10), randn(4096, 10))
    c("H nll big w", lambda lib, x, t, w: F(lib).nll_loss(x.log_softmax(1), t, weight=w.detach().abs()), randn(8192, 10), np.random.default_rng(1).integers(0, 10, 8192), randn(10))
    c("H embedding grad", lambda lib, w, i: F(lib).embedding(i, w), randn(10, 6), np.random.default_rng(3).integers(0, 10, (4000, 5)))
    c("H local_response_norm big", lambda lib, x: F(lib).local_response_norm(x, 5), randn(2, 64, 8, 8, scale=3))
    c("H layer_norm rows", lambda lib, x, w, b: F(lib).layer_norm(x, (64,), w, b), randn(4096, 64, scale=2) + 5, randn(64), randn(64))
    c("H group_norm batch", lambda lib, x, w, b: F(lib).group_norm(x, 4, w, b), randn(128, 8, 6, 6, scale=2) + 5, randn(8), randn(8))
    tall = randn(2000, 503, scale=3) + 10
    c("H transposed sum", lambda lib, x: x.t().sum(1), tall)
    c("H transposed log_softmax", lambda lib, x: x.t().log_softmax(1), tall)
    rows = randn(100000, 3, scale=2) + 100
    c("H var rows", lambda lib, x: x.var(0), rows)
    c("H nansum rows", lambda lib, x: x.nansum(0), rows)
    c("H logcumsumexp rows", lambda lib, x: x.logcumsumexp(0), rows[:20000] - 100)
    c("H cumprod long", lambda lib, x: x.cumprod(1), 1 + randn(3, 5000, scale=0.01))
    c("H conv2d batch 64", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1), randn(64, 16, 14, 14), randn(32, 16, 3, 3, scale=0.1), randn(32))
    return fails


OPTIMIZERS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)),
]


def optimizer_audit(steps=5):
    import torch

    fails = []
    for dtype in (np.float32, np.float64):
        rng = np.random.default_rng(0)
        initial = [rng.standard_normal(s).astype(dtype) for s in [(8, 6), (6,), ()]]
        grads = [[rng.standard_normal(a.shape).astype(dtype) for a in initial] for _ in range(steps)]
        for name, options in OPTIMIZERS:
            for foreach in (None,):
                results = []
                for lib in (torchless, torch):
                    params = [lib.nn.Parameter(lib.tensor(a.copy())) for a in initial]
                    opt = getattr(lib.optim, name)(params, **options)
                    for step in grads:
                        for p, g in zip(params, step):
                            p.grad = lib.tensor(g.copy())
                        opt.step()
                    results.append([p.detach().numpy() for p in params])
                for ours, theirs in zip(*results):
                    try:
                        torch.testing.assert_close(torch.from_numpy(ours), torch.from_numpy(theirs))
                    except AssertionError as error:
                        fails.append(f"{name} {options} {np.dtype(dtype).name}: {str(error).splitlines()[1:4]}")
        for max_norm, norm_type in [(1.0, 2.0), (0.5, 1.0), (0.5, float("inf")), (0.5, 3.0)]:
            results = []
            for lib in (torchless, torch):
                params = [lib.nn.Parameter(lib.tensor(a.copy())) for a in initial]
                for p, g in zip(params, grads[0]):
                    p.grad = lib.tensor(g.copy() * 10)
                total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
                results.append([total.numpy()] + [p.grad.numpy() for p in params])
            for ours, theirs in zip(*results):
                try:
                    torch.testing.assert_close(torch.from_numpy(np.asarray(ours)), torch.from_numpy(np.asarray(theirs)))
                except AssertionError as error:
                    fails.append(f"clip_grad_norm_ {max_norm} {norm_type} {np.dtype(dtype).name}: {str(error).splitlines()[1:4]}")
    return fails


if __name__ == "__main__":
    which = sys.argv[1:] or ["ops", "optim"]
    failures = []
    if "hard" in which:
        failures += hard_audit()
    if "ops" in which:
        failures += audit()
    if "optim" in which:
        failures += optimizer_audit()
    print("\n".join(failures) or "no failures")
    print(len(failures), "failures")
