"""Differential audit of complex tensors against PyTorch: every op of ``CASES`` runs on complex64 and complex128
inputs (and mixed real/complex operands, Python complex scalars) in torchless and in torch, and the script prints
where values, result dtypes, raised exceptions or gradients differ. Not collected by pytest (no ``test_`` prefix);
run ``python tests/cplx9_audit.py [name-filter]``.
"""
import sys
import warnings

import numpy as np

import torchless

RTOL = {"complex64": 1e-5, "complex128": 1e-12}


def _arrays(dtype):
    rng = np.random.default_rng(9)
    real = {"complex64": np.float32, "complex128": np.float64}[dtype]
    z = (rng.uniform(-2, 2, (3, 4)) + 1j * rng.uniform(-2, 2, (3, 4))).astype(dtype)
    w = (rng.uniform(-2, 2, (3, 4)) + 1j * rng.uniform(-2, 2, (3, 4))).astype(dtype)
    r = rng.uniform(-2, 2, (3, 4)).astype(real)
    sq = (rng.uniform(-2, 2, (3, 3)) + 1j * rng.uniform(-2, 2, (3, 3))).astype(dtype)
    return z, w, r, sq


def _P(lib):
    return lib.nn.functional


# (name, fn(lib, z, w, r, sq)); z, w, sq complex leaves requiring grad, r a real leaf requiring grad
CASES = [
    # unary elementwise
    *[(name, (lambda n: lambda lib, z, w, r, sq: getattr(lib, n)(z))(name)) for name in [
        "abs", "absolute", "neg", "negative", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
        "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsin",
        "sigmoid", "reciprocal", "square", "sgn", "sign", "signbit", "floor", "ceil", "round", "trunc", "frac", "fix",
        "erf", "erfc", "erfinv", "lgamma", "digamma", "isnan", "isinf", "isfinite", "isreal", "isposinf", "isneginf",
        "nan_to_num", "angle", "conj", "conj_physical", "real", "imag", "relu", "positive", "deg2rad", "rad2deg",
        "logit", "i0", "sinc", "heaviside_", "exp", "log_softmax_", "sum", "mean", "prod", "std", "var", "norm",
        "max", "min", "amax", "amin", "argmax", "argmin", "median", "nanmedian", "mode", "cumsum", "cumprod",
        "cummax", "cummin", "logcumsumexp", "logsumexp_", "sort", "argsort", "msort", "unique", "nansum",
        "nanmean", "count_nonzero", "all", "any", "flip_", "trace_", "diag", "tril", "triu", "t", "ravel",
        "clone", "zeros_like", "ones_like", "rand_like", "randn_like", "empty_like", "full_like_", "isclose_",
        "square", "frexp", "logdet_", "det_", "inverse_", "aminmax", "std_mean", "var_mean", "nonzero",
        "histc", "bincount", "topk_", "kthvalue_", "quantile_", "clamp_", "sign", "erf", "signbit", "isin_",
        "softmax_", "cumulative_trapezoid", "trapezoid", "diff", "gradient_", "sinc", "rot90", "fliplr",
        "flipud", "count_nonzero", "matrix_exp_", "pinverse", "corrcoef", "cov", "dist_", "renorm_",
        "nanquantile_", "logaddexp_", "hypot_", "atan2_", "fmod_", "remainder_", "floor_divide_",
    ] if not name.endswith("_")],
    ("clamp", lambda lib, z, w, r, sq: lib.clamp(z, min=0)),
    ("clamp_tensor", lambda lib, z, w, r, sq: lib.clamp(z, min=w)),
    ("clip", lambda lib, z, w, r, sq: lib.clip(z, -1, 1)),
    ("clamp_min", lambda lib, z, w, r, sq: lib.clamp_min(z, 0)),
    ("clamp_max", lambda lib, z, w, r, sq: z.clamp_max(0)),
    ("softmax", lambda lib, z, w, r, sq: lib.softmax(z, 0)),
    ("log_softmax", lambda lib, z, w, r, sq: lib.log_softmax(z, 0)),
    ("logsumexp", lambda lib, z, w, r, sq: lib.logsumexp(z, 0)),
    ("flip", lambda lib, z, w, r, sq: lib.flip(z, [0])),
    ("trace", lambda lib, z, w, r, sq: lib.trace(sq)),
    ("det", lambda lib, z, w, r, sq: lib.det(sq)),
    ("logdet", lambda lib, z, w, r, sq: lib.logdet(sq)),
    ("inverse", lambda lib, z, w, r, sq: lib.inverse(sq)),
    ("matrix_exp", lambda lib, z, w, r, sq: lib.matrix_exp(sq)),
    ("linalg.inv", lambda lib, z, w, r, sq: lib.linalg.inv(sq)),
    ("linalg.det", lambda lib, z, w, r, sq: lib.linalg.det(sq)),
    ("linalg.norm", lambda lib, z, w, r, sq: lib.linalg.norm(z)),
    ("linalg.vector_norm", lambda lib, z, w, r, sq: lib.linalg.vector_norm(z, 3)),
    ("linalg.matrix_norm", lambda lib, z, w, r, sq: lib.linalg.matrix_norm(z)),
    ("linalg.solve", lambda lib, z, w, r, sq: lib.linalg.solve(sq, sq[:, :2])),
    ("linalg.svdvals", lambda lib, z, w, r, sq: lib.linalg.svdvals(sq)),
    ("linalg.slogdet", lambda lib, z, w, r, sq: lib.linalg.slogdet(sq)),
    ("linalg.slogdet_abs", lambda lib, z, w, r, sq: lib.linalg.slogdet(sq)[1]),
    ("linalg.cholesky", lambda lib, z, w, r, sq: lib.linalg.cholesky(sq @ sq.mH + lib.eye(3))),
    ("linalg.qr", lambda lib, z, w, r, sq: lib.linalg.qr(sq)),
    ("linalg.svd", lambda lib, z, w, r, sq: lib.linalg.svd(sq)[1]),
    ("linalg.eigh", lambda lib, z, w, r, sq: lib.linalg.eigh(sq + sq.mH)[0]),
    ("linalg.eigvalsh", lambda lib, z, w, r, sq: lib.linalg.eigvalsh(sq + sq.mH)),
    ("linalg.matrix_power", lambda lib, z, w, r, sq: lib.linalg.matrix_power(sq, 3)),
    ("linalg.matrix_power_neg", lambda lib, z, w, r, sq: lib.linalg.matrix_power(sq, -2)),
    ("linalg.matrix_rank", lambda lib, z, w, r, sq: lib.linalg.matrix_rank(sq)),
    ("linalg.pinv", lambda lib, z, w, r, sq: lib.linalg.pinv(sq)),
    ("linalg.lstsq", lambda lib, z, w, r, sq: lib.linalg.lstsq(sq, sq[:, :2]).solution),
    ("linalg.multi_dot", lambda lib, z, w, r, sq: lib.linalg.multi_dot([sq, sq, sq])),
    ("linalg.vecdot", lambda lib, z, w, r, sq: lib.linalg.vecdot(z, w)),
    ("linalg.cross", lambda lib, z, w, r, sq: lib.linalg.cross(sq, sq.flip(0))),
    ("linalg.solve_triangular", lambda lib, z, w, r, sq: lib.linalg.solve_triangular(sq.triu() + 3 * lib.eye(3), sq,
                                                                                       upper=True)),
    ("linalg.cond", lambda lib, z, w, r, sq: lib.linalg.cond(sq)),
    ("linalg.tensorinv", lambda lib, z, w, r, sq: lib.linalg.tensorinv(sq, 1)),
    ("mH", lambda lib, z, w, r, sq: z.mH),
    ("adjoint", lambda lib, z, w, r, sq: z.adjoint()),
    ("H", lambda lib, z, w, r, sq: z.H),
    ("mT", lambda lib, z, w, r, sq: z.mT),
    ("cholesky_old", lambda lib, z, w, r, sq: lib.cholesky(sq @ sq.mH + lib.eye(3))),
    ("outer", lambda lib, z, w, r, sq: lib.outer(z[0], w[1])),
    ("mv", lambda lib, z, w, r, sq: lib.mv(sq, sq[0])),
    ("baddbmm", lambda lib, z, w, r, sq: lib.baddbmm(sq[None], sq[None], sq[None], alpha=1j)),
    ("topk", lambda lib, z, w, r, sq: lib.topk(z, 2)),
    ("kthvalue", lambda lib, z, w, r, sq: lib.kthvalue(z, 2)),
    ("quantile", lambda lib, z, w, r, sq: lib.quantile(z, 0.5)),
    ("isin", lambda lib, z, w, r, sq: lib.isin(z, w)),
    ("isclose", lambda lib, z, w, r, sq: lib.isclose(z, w)),
    ("allclose", lambda lib, z, w, r, sq: lib.tensor(lib.allclose(z, z))),
    ("equal", lambda lib, z, w, r, sq: lib.tensor(lib.equal(z, z))),
    ("dist", lambda lib, z, w, r, sq: lib.dist(z, w)),
    ("renorm", lambda lib, z, w, r, sq: lib.renorm(z, 2, 0, 1.0)),
    ("full_like", lambda lib, z, w, r, sq: lib.full_like(z, 2 + 1j)),
    ("heaviside", lambda lib, z, w, r, sq: lib.heaviside(z, w)),
    ("gradient", lambda lib, z, w, r, sq: lib.gradient(z)[0]),
    ("max_dim", lambda lib, z, w, r, sq: lib.max(z, 0)),
    ("min_dim", lambda lib, z, w, r, sq: lib.min(z, 1)),
    ("sum_dim", lambda lib, z, w, r, sq: lib.sum(z, 0)),
    ("mean_dim", lambda lib, z, w, r, sq: z.mean(1, keepdim=True)),
    ("prod_dim", lambda lib, z, w, r, sq: z.prod(1)),
    ("std_dim", lambda lib, z, w, r, sq: z.std(0)),
    ("var_dim", lambda lib, z, w, r, sq: z.var(1)),
    ("norm_dim", lambda lib, z, w, r, sq: z.norm(dim=1)),
    ("norm_p1", lambda lib, z, w, r, sq: z.norm(p=1)),
    ("norm_inf", lambda lib, z, w, r, sq: z.norm(p=float("inf"))),
    ("cumsum", lambda lib, z, w, r, sq: lib.cumsum(z, 1)),
    ("cumprod", lambda lib, z, w, r, sq: lib.cumprod(z, 1)),
    ("cummax", lambda lib, z, w, r, sq: lib.cummax(z, 1)),
    ("cummin", lambda lib, z, w, r, sq: lib.cummin(z, 1)),
    ("logcumsumexp", lambda lib, z, w, r, sq: lib.logcumsumexp(z, 1)),
    ("sort", lambda lib, z, w, r, sq: lib.sort(z)),
    ("argsort", lambda lib, z, w, r, sq: lib.argsort(z)),
    ("median_dim", lambda lib, z, w, r, sq: lib.median(z, 0)),
    ("diff", lambda lib, z, w, r, sq: lib.diff(z)),
    ("cumulative_trapezoid", lambda lib, z, w, r, sq: lib.cumulative_trapezoid(z)),
    ("trapezoid", lambda lib, z, w, r, sq: lib.trapezoid(z)),
    ("nonzero", lambda lib, z, w, r, sq: lib.nonzero(z)),
    ("where", lambda lib, z, w, r, sq: lib.where(r > 0, z, w)),
    ("where_scalar", lambda lib, z, w, r, sq: lib.where(r > 0, z, 0.0)),
    ("masked_fill", lambda lib, z, w, r, sq: z.masked_fill(r > 0, 1 + 1j)),
    ("masked_fill_real", lambda lib, z, w, r, sq: z.masked_fill(r > 0, 2.0)),
    ("gather", lambda lib, z, w, r, sq: lib.gather(z, 1, lib.tensor([[0, 1], [2, 3], [1, 1]]))),
    ("scatter", lambda lib, z, w, r, sq: lib.scatter(z, 1, lib.tensor([[0, 1], [2, 3], [1, 0]]), w[:, :2])),
    ("scatter_add", lambda lib, z, w, r, sq: lib.scatter_add(z, 1, lib.tensor([[0, 1], [2, 3], [1, 0]]), w[:, :2])),
    ("index_select", lambda lib, z, w, r, sq: lib.index_select(z, 0, lib.tensor([2, 0]))),
    ("index_add", lambda lib, z, w, r, sq: z.index_add(0, lib.tensor([2, 0]), w[:2])),
    ("masked_select", lambda lib, z, w, r, sq: lib.masked_select(z, r > 0)),
    ("take", lambda lib, z, w, r, sq: lib.take(z, lib.tensor([0, 5, 7]))),
    ("getitem", lambda lib, z, w, r, sq: z[1:, ::2]),
    ("getitem_bool", lambda lib, z, w, r, sq: z[r > 0]),
    ("cat", lambda lib, z, w, r, sq: lib.cat([z, w])),
    ("cat_mixed", lambda lib, z, w, r, sq: lib.cat([z, r])),
    ("stack", lambda lib, z, w, r, sq: lib.stack([z, w])),
    ("stack_mixed", lambda lib, z, w, r, sq: lib.stack([z, r])),
    ("roll", lambda lib, z, w, r, sq: lib.roll(z, 1, 0)),
    ("tile", lambda lib, z, w, r, sq: lib.tile(z, (2, 1))),
    ("repeat_interleave", lambda lib, z, w, r, sq: lib.repeat_interleave(z, 2, 0)),
    ("pad", lambda lib, z, w, r, sq: _P(lib).pad(z, (1, 1))),
    ("pad_reflect", lambda lib, z, w, r, sq: _P(lib).pad(z[None], (1, 1), mode="reflect")),
    # binary
    *[(f"{name}{suffix}", (lambda n, pick: lambda lib, z, w, r, sq: getattr(lib, n)(*pick(z, w, r)))(name, pick))
      for name in ["add", "sub", "mul", "div", "true_divide", "pow", "atan2", "hypot", "fmod", "remainder",
                   "floor_divide", "maximum", "minimum", "fmax", "fmin", "lt", "le", "gt", "ge", "eq", "ne",
                   "logaddexp", "xlogy", "copysign", "nextafter", "dot", "vdot", "matmul", "mm", "inner", "outer",
                   "kron", "cross", "lerp_", "polar_", "ldexp", "float_power", "logical_and", "logical_xor",
                   "sub", "rsub", "cdist", "isclose"]
      for suffix, pick in [("", lambda z, w, r: (z, w)), ("_mixed", lambda z, w, r: (z, r)),
                           ("_realfirst", lambda z, w, r: (r, z))] if not name.endswith("_")],
    ("div_floor", lambda lib, z, w, r, sq: lib.div(z, w, rounding_mode="floor")),
    ("div_trunc", lambda lib, z, w, r, sq: lib.div(z, w, rounding_mode="trunc")),
    ("pow_scalar", lambda lib, z, w, r, sq: z ** 2),
    ("pow_float", lambda lib, z, w, r, sq: z ** 0.5),
    ("pow_complex_scalar", lambda lib, z, w, r, sq: z ** (1 + 1j)),
    ("rpow", lambda lib, z, w, r, sq: 2 ** z),
    ("rpow_complex", lambda lib, z, w, r, sq: (1 + 1j) ** z),
    ("real_pow_complex_scalar", lambda lib, z, w, r, sq: r ** (1 + 1j)),
    ("add_scalar", lambda lib, z, w, r, sq: z + (1 + 2j)),
    ("mul_scalar_real", lambda lib, z, w, r, sq: r * (1 + 2j)),
    ("radd_scalar", lambda lib, z, w, r, sq: (1 + 2j) + r),
    ("rdiv", lambda lib, z, w, r, sq: 1 / z),
    ("rdiv_complex", lambda lib, z, w, r, sq: (1 + 1j) / z),
    ("rsub_complex", lambda lib, z, w, r, sq: (1 + 1j) - r),
    ("floordiv_op", lambda lib, z, w, r, sq: z // w),
    ("mod_op", lambda lib, z, w, r, sq: z % w),
    ("lt_op", lambda lib, z, w, r, sq: z < w),
    ("gt_scalar", lambda lib, z, w, r, sq: z > 0),
    ("eq_op", lambda lib, z, w, r, sq: z == w),
    ("eq_scalar", lambda lib, z, w, r, sq: z == (1 + 1j)),
    ("ne_scalar", lambda lib, z, w, r, sq: z != 0),
    ("eq_real_complex_scalar", lambda lib, z, w, r, sq: r == (1 + 1j)),
    ("lt_real_complex_scalar", lambda lib, z, w, r, sq: r < (1 + 1j)),
    ("addcmul", lambda lib, z, w, r, sq: lib.addcmul(z, w, z, value=2)),
    ("addcdiv", lambda lib, z, w, r, sq: lib.addcdiv(z, w, z, value=2)),
    ("addmm", lambda lib, z, w, r, sq: lib.addmm(sq, sq, sq)),
    ("bmm", lambda lib, z, w, r, sq: lib.bmm(sq[None], sq[None])),
    ("einsum", lambda lib, z, w, r, sq: lib.einsum("ij,kj->ik", z, w)),
    ("tensordot", lambda lib, z, w, r, sq: lib.tensordot(z, w, dims=([1], [1]))),
    ("lerp", lambda lib, z, w, r, sq: lib.lerp(z, w, 0.3)),
    ("polar", lambda lib, z, w, r, sq: lib.polar(r.abs(), r)),
    ("complex", lambda lib, z, w, r, sq: lib.complex(r, r * 2)),
    ("logical_not", lambda lib, z, w, r, sq: lib.logical_not(z)),
    ("bool", lambda lib, z, w, r, sq: z.bool()),
    ("float_cast", lambda lib, z, w, r, sq: z.float()),
    ("double_cast", lambda lib, z, w, r, sq: z.double()),
    ("int_cast", lambda lib, z, w, r, sq: z.int()),
    ("to_c128", lambda lib, z, w, r, sq: z.to(lib.complex128)),
    ("to_c64", lambda lib, z, w, r, sq: z.to(lib.complex64)),
    ("real_to_complex", lambda lib, z, w, r, sq: r.to(lib.complex64)),
    ("item", lambda lib, z, w, r, sq: lib.tensor(z[0, 0].item())),
    ("tolist", lambda lib, z, w, r, sq: lib.tensor(z.tolist())),
    ("complex_builtin", lambda lib, z, w, r, sq: lib.tensor(complex(z[0, 0]))),
    ("float_builtin", lambda lib, z, w, r, sq: lib.tensor(float(z[0, 0]))),
    ("bool_builtin", lambda lib, z, w, r, sq: lib.tensor(bool(z[0, 0]))),
    # nn.functional
    *[(f"F.{name}", (lambda n: lambda lib, z, w, r, sq: getattr(_P(lib), n)(z))(name)) for name in [
        "relu", "relu6", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "softsign", "tanhshrink",
        "hardtanh", "hardsigmoid", "hardswish", "leaky_relu", "logsigmoid", "sigmoid", "tanh", "hardshrink",
        "softshrink", "prelu_", "rrelu", "glu", "normalize", "dropout", "alpha_dropout", "threshold_"]
      if not name.endswith("_")],
    ("F.softmax", lambda lib, z, w, r, sq: _P(lib).softmax(z, 1)),
    ("F.log_softmax", lambda lib, z, w, r, sq: _P(lib).log_softmax(z, 1)),
    ("F.threshold", lambda lib, z, w, r, sq: _P(lib).threshold(z, 0.1, 2.0)),
    ("F.linear", lambda lib, z, w, r, sq: _P(lib).linear(z, sq[:, :].repeat(1, 2)[:, :4][:3], None)),
    ("F.linear_bias", lambda lib, z, w, r, sq: _P(lib).linear(z, w, w[:, 0])),
    ("F.linear_mixed", lambda lib, z, w, r, sq: _P(lib).linear(z, r)),
    ("F.conv1d", lambda lib, z, w, r, sq: _P(lib).conv1d(z[None], w[:, :, None][:2].repeat(1, 1, 2)[:, :3])),
    ("F.conv2d", lambda lib, z, w, r, sq: _P(lib).conv2d(z[None, None], w[None, None, :2, :2])),
    ("F.conv2d_mixed", lambda lib, z, w, r, sq: _P(lib).conv2d(z[None, None], r[None, None, :2, :2])),
    ("F.max_pool2d", lambda lib, z, w, r, sq: _P(lib).max_pool2d(z[None, None], 2)),
    ("F.avg_pool2d", lambda lib, z, w, r, sq: _P(lib).avg_pool2d(z[None, None], 2)),
    ("F.avg_pool1d", lambda lib, z, w, r, sq: _P(lib).avg_pool1d(z[None], 2)),
    ("F.max_pool1d", lambda lib, z, w, r, sq: _P(lib).max_pool1d(z[None], 2)),
    ("F.adaptive_avg_pool2d", lambda lib, z, w, r, sq: _P(lib).adaptive_avg_pool2d(z[None, None], 1)),
    ("F.adaptive_max_pool2d", lambda lib, z, w, r, sq: _P(lib).adaptive_max_pool2d(z[None, None], 1)),
    ("F.lp_pool2d", lambda lib, z, w, r, sq: _P(lib).lp_pool2d(z[None, None], 2, 2)),
    ("F.mse_loss", lambda lib, z, w, r, sq: _P(lib).mse_loss(z, w)),
    ("F.l1_loss", lambda lib, z, w, r, sq: _P(lib).l1_loss(z, w)),
    ("F.smooth_l1_loss", lambda lib, z, w, r, sq: _P(lib).smooth_l1_loss(z, w)),
    ("F.huber_loss", lambda lib, z, w, r, sq: _P(lib).huber_loss(z, w)),
    ("F.cross_entropy", lambda lib, z, w, r, sq: _P(lib).cross_entropy(z, lib.tensor([0, 1, 2]))),
    ("F.nll_loss", lambda lib, z, w, r, sq: _P(lib).nll_loss(z, lib.tensor([0, 1, 2]))),
    ("F.binary_cross_entropy", lambda lib, z, w, r, sq: _P(lib).binary_cross_entropy(z, w)),
    ("F.bce_logits", lambda lib, z, w, r, sq: _P(lib).binary_cross_entropy_with_logits(z, w)),
    ("F.kl_div", lambda lib, z, w, r, sq: _P(lib).kl_div(z, w, reduction="batchmean")),
    ("F.cosine_similarity", lambda lib, z, w, r, sq: _P(lib).cosine_similarity(z, w)),
    ("F.pairwise_distance", lambda lib, z, w, r, sq: _P(lib).pairwise_distance(z, w)),
    ("F.batch_norm", lambda lib, z, w, r, sq: _P(lib).batch_norm(z, None, None, training=True)),
    ("F.layer_norm", lambda lib, z, w, r, sq: _P(lib).layer_norm(z, (4,))),
    ("F.group_norm", lambda lib, z, w, r, sq: _P(lib).group_norm(z[None], 1)),
    ("F.embedding", lambda lib, z, w, r, sq: _P(lib).embedding(lib.tensor([0, 2]), z)),
    ("F.one_hot_", lambda lib, z, w, r, sq: z),
    ("F.interpolate", lambda lib, z, w, r, sq: _P(lib).interpolate(z[None], scale_factor=2)),
    ("F.interpolate_linear", lambda lib, z, w, r, sq: _P(lib).interpolate(z[None], scale_factor=2,
                                                                           mode="linear")),
    ("F.pixel_shuffle", lambda lib, z, w, r, sq: _P(lib).pixel_shuffle(z.reshape(1, 4, 3, 1), 2)),
    ("F.unfold", lambda lib, z, w, r, sq: _P(lib).unfold(z[None, None], 2)),
    ("F.scaled_dot_product_attention", lambda lib, z, w, r, sq: _P(lib).scaled_dot_product_attention(z, w, w)),
    # special
    *[(f"special.{name}", (lambda n: lambda lib, z, w, r, sq: getattr(lib.special, n)(z))(name)) for name in [
        "expit", "exp2", "expm1", "log1p", "erf", "erfc", "erfinv", "sinc", "round", "i0", "entr", "ndtr",
        "logit", "gammaln", "digamma", "psi", "log_ndtr"]],
    ("special.logsumexp", lambda lib, z, w, r, sq: lib.special.logsumexp(z, 1)),
    ("special.softmax", lambda lib, z, w, r, sq: lib.special.softmax(z, 1)),
    ("special.xlogy", lambda lib, z, w, r, sq: lib.special.xlogy(z, w)),
    # Tensor methods and in-place
    ("relu_", lambda lib, z, w, r, sq: z.clone().relu_()),
    ("sigmoid_", lambda lib, z, w, r, sq: z.clone().sigmoid_()),
    ("clamp_", lambda lib, z, w, r, sq: z.clone().clamp_(0, 1)),
    ("floor_", lambda lib, z, w, r, sq: z.clone().floor_()),
    ("add_", lambda lib, z, w, r, sq: z.clone().add_(w)),
    ("add_real_complex_", lambda lib, z, w, r, sq: r.clone().add_(z)),
    ("mul_", lambda lib, z, w, r, sq: z.clone().mul_(1j)),
    ("fill_", lambda lib, z, w, r, sq: z.clone().fill_(1 + 1j)),
    ("zero_", lambda lib, z, w, r, sq: z.clone().zero_()),
    ("copy_", lambda lib, z, w, r, sq: z.clone().copy_(r)),
    ("copy_real_from_complex", lambda lib, z, w, r, sq: r.clone().copy_(z)),
    ("setitem", lambda lib, z, w, r, sq: _setitem(z.clone(), 1 + 1j)),
    ("setitem_real_complex", lambda lib, z, w, r, sq: _setitem(r.clone(), 1 + 1j)),
    ("max_method", lambda lib, z, w, r, sq: z.max()),
    ("abs_method", lambda lib, z, w, r, sq: z.abs()),
    ("sigmoid_method", lambda lib, z, w, r, sq: z.sigmoid()),
    ("tanh_method", lambda lib, z, w, r, sq: z.tanh()),
    ("exp_method", lambda lib, z, w, r, sq: z.exp()),
    ("sign_method", lambda lib, z, w, r, sq: z.sign()),
    ("sgn_method", lambda lib, z, w, r, sq: z.sgn()),
    ("square_method", lambda lib, z, w, r, sq: z.square()),
    ("floor_method", lambda lib, z, w, r, sq: z.floor()),
    ("round_decimals", lambda lib, z, w, r, sq: z.round(decimals=1)),
    ("new_tensor", lambda lib, z, w, r, sq: z.new_zeros(2)),
    ("argwhere", lambda lib, z, w, r, sq: lib.argwhere(z)),
    ("masked_scatter", lambda lib, z, w, r, sq: z.masked_scatter(r > 0, w)),
    ("index_put", lambda lib, z, w, r, sq: z.index_put((lib.tensor([0, 1]),), w[:2])),
    ("expand", lambda lib, z, w, r, sq: z[None].expand(2, 3, 4)),
    ("transpose", lambda lib, z, w, r, sq: z.transpose(0, 1)),
    ("contiguous", lambda lib, z, w, r, sq: z.t().contiguous()),
    ("sum_dtype", lambda lib, z, w, r, sq: z.sum(dtype=lib.complex128)),
    ("mean_real_dtype", lambda lib, z, w, r, sq: z.mean(dtype=lib.float32)),
    ("lerp_weight_complex", lambda lib, z, w, r, sq: lib.lerp(z, w, w)),
    ("eye_complex", lambda lib, z, w, r, sq: lib.eye(2, dtype=lib.complex64)),
    ("zeros_complex", lambda lib, z, w, r, sq: lib.zeros(2, dtype=lib.complex128)),
    ("arange_complex", lambda lib, z, w, r, sq: lib.arange(3, dtype=lib.complex64)),
    ("linspace_complex", lambda lib, z, w, r, sq: lib.linspace(0, 1 + 1j, 3)),
    ("randn_complex", lambda lib, z, w, r, sq: lib.randn(2, dtype=lib.complex64).shape and z),
    ("rand_complex", lambda lib, z, w, r, sq: lib.rand(2, dtype=lib.complex64).shape and z),
    ("full_complex", lambda lib, z, w, r, sq: lib.full((2,), 1 + 1j)),
    ("tensor_list_complex", lambda lib, z, w, r, sq: lib.tensor([1, 2 + 1j])),
    ("ones_complex_fill", lambda lib, z, w, r, sq: lib.ones(2, dtype=lib.complex64) * 1j),
    # Python complex numbers with integer and bool tensors, in-place forms
    ("int_times_1j", lambda lib, z, w, r, sq: lib.tensor([1, 2]) * 1j),
    ("bool_plus_1j", lambda lib, z, w, r, sq: lib.tensor([True, False]) + 1j),
    ("int_div_complex", lambda lib, z, w, r, sq: lib.tensor([1, 2]) / (1 + 1j)),
    ("int_pow_complex", lambda lib, z, w, r, sq: lib.tensor([1, 2]) ** 1j),
    ("complex_pow_int_tensor", lambda lib, z, w, r, sq: z ** lib.tensor([[1], [2], [3]])),
    ("int_tensor_eq_complex", lambda lib, z, w, r, sq: lib.tensor([1, 2]) == (1 + 0j)),
    ("float64_scalar_tensor_times_z", lambda lib, z, w, r, sq: lib.tensor(2.0, dtype=lib.float64) * z),
    ("c128_scalar_tensor_times_r", lambda lib, z, w, r, sq: lib.tensor(1j, dtype=lib.complex128) * r),
    ("z_mul_", lambda lib, z, w, r, sq: (z * 1).mul_(r)),
    ("z_add_alpha", lambda lib, z, w, r, sq: (z * 1).add_(w, alpha=2j)),
    ("z_add_alpha_fn", lambda lib, z, w, r, sq: lib.add(z, w, alpha=2j)),
    ("r_add_alpha_complex", lambda lib, z, w, r, sq: lib.add(r, r, alpha=2j)),
    ("z_sub_alpha", lambda lib, z, w, r, sq: lib.sub(z, r, alpha=0.5)),
    ("z_pow_", lambda lib, z, w, r, sq: (z * 1).pow_(2)),
    ("z_sqrt_", lambda lib, z, w, r, sq: (z * 1).sqrt_()),
    ("z_exp_", lambda lib, z, w, r, sq: (z * 1).exp_()),
    ("z_abs_", lambda lib, z, w, r, sq: (z * 1).abs_()),
    ("z_neg_", lambda lib, z, w, r, sq: (z * 1).neg_()),
    ("z_tanh_", lambda lib, z, w, r, sq: (z * 1).tanh_()),
    ("z_reciprocal_", lambda lib, z, w, r, sq: (z * 1).reciprocal_()),
    ("z_square_", lambda lib, z, w, r, sq: (z * 1).square_()),
    ("z_sign_", lambda lib, z, w, r, sq: (z * 1).sign_()),
    ("z_sgn_", lambda lib, z, w, r, sq: (z * 1).sgn_()),
    ("z_clamp_min_", lambda lib, z, w, r, sq: (z * 1).clamp_min_(0)),
    ("z_addcmul_", lambda lib, z, w, r, sq: (z * 1).addcmul_(w, z, value=1j)),
    ("z_lerp_", lambda lib, z, w, r, sq: (z * 1).lerp_(w, 0.5)),
    ("z_masked_fill_", lambda lib, z, w, r, sq: (z * 1).masked_fill_(r > 0, 2j)),
    ("z_index_fill", lambda lib, z, w, r, sq: z.index_fill(1, lib.tensor([0, 2]), 1j)),
    ("z_scatter_value", lambda lib, z, w, r, sq: z.scatter(1, lib.tensor([[0], [1], [2]]), 1j)),
    ("z_scatter_reduce", lambda lib, z, w, r, sq: z.scatter_reduce(1, lib.tensor([[0, 0], [1, 1], [2, 2]]),
                                                                   w[:, :2], "sum")),
    ("z_scatter_reduce_amax", lambda lib, z, w, r, sq: z.scatter_reduce(1, lib.tensor([[0, 0], [1, 1], [2, 2]]),
                                                                        w[:, :2], "amax")),
    ("z_index_put_acc", lambda lib, z, w, r, sq: z.index_put((lib.tensor([0, 0]),), w[:2], accumulate=True)),
    ("z_index_add_alpha", lambda lib, z, w, r, sq: z.index_add(0, lib.tensor([2, 0]), w[:2], alpha=1j)),
    ("z_fill_diagonal_", lambda lib, z, w, r, sq: (sq * 1).fill_diagonal_(1j)),
    ("where_complex_scalar", lambda lib, z, w, r, sq: lib.where(r > 0, r, 1j)),
    ("z_abs_zero_grad", lambda lib, z, w, r, sq: (z * lib.tensor([[0], [1], [1]])).abs()),
    ("z_angle_zero", lambda lib, z, w, r, sq: (z * lib.tensor([[0], [1], [1]])).angle()),
    ("z_sgn_zero", lambda lib, z, w, r, sq: (z * lib.tensor([[0], [1], [1]])).sgn()),
    ("z_sqrt_zero", lambda lib, z, w, r, sq: (z * lib.tensor([[0], [1], [1]])).sqrt()),
    ("z_prod_zero", lambda lib, z, w, r, sq: (z * lib.tensor([[0], [1], [1]])).prod(0)),
    ("z_cumprod", lambda lib, z, w, r, sq: z.cumprod(1)),
    ("z_cumsum_0", lambda lib, z, w, r, sq: z.cumsum(0)),
    ("z_sum_empty", lambda lib, z, w, r, sq: z[:0].sum()),
    ("z_mean_empty", lambda lib, z, w, r, sq: z[:0].mean()),
    ("z_div_zero", lambda lib, z, w, r, sq: z / 0),
    ("z_div_zero_tensor", lambda lib, z, w, r, sq: z / lib.zeros(4, dtype=z.dtype)),
    ("z_log_zero", lambda lib, z, w, r, sq: lib.log(z * 0)),
    ("z_pow_0", lambda lib, z, w, r, sq: (z * 0) ** 0),
    ("z_pow_half_tensor", lambda lib, z, w, r, sq: z ** lib.tensor(0.5)),
    ("z_rsqrt", lambda lib, z, w, r, sq: z.rsqrt()),
    ("z_exp2", lambda lib, z, w, r, sq: z.exp2()),
    ("z_sinc", lambda lib, z, w, r, sq: z.sinc()),
    ("z_sinh", lambda lib, z, w, r, sq: z.sinh()),
    ("z_atanh", lambda lib, z, w, r, sq: z.atanh()),
    ("z_asin", lambda lib, z, w, r, sq: z.asin()),
    ("z_acos", lambda lib, z, w, r, sq: z.acos()),
    ("z_tan", lambda lib, z, w, r, sq: z.tan()),
    ("z_log2", lambda lib, z, w, r, sq: z.log2()),
    ("z_log10", lambda lib, z, w, r, sq: z.log10()),
    ("z_log1p", lambda lib, z, w, r, sq: z.log1p()),
    ("z_expm1", lambda lib, z, w, r, sq: z.expm1()),
    ("z_reciprocal", lambda lib, z, w, r, sq: z.reciprocal()),
    ("F.softplus", lambda lib, z, w, r, sq: _P(lib).softplus(z)),
    ("F.tanhshrink", lambda lib, z, w, r, sq: _P(lib).tanhshrink(z)),
    ("F.softsign", lambda lib, z, w, r, sq: _P(lib).softsign(z)),
    ("F.glu", lambda lib, z, w, r, sq: _P(lib).glu(z)),
    ("F.mse_loss_none", lambda lib, z, w, r, sq: _P(lib).mse_loss(z, w, reduction="none")),
    ("F.mse_mixed", lambda lib, z, w, r, sq: _P(lib).mse_loss(z, r)),
    ("F.l1_none", lambda lib, z, w, r, sq: _P(lib).l1_loss(z, w, reduction="none")),
    ("F.cosine_similarity_dim0", lambda lib, z, w, r, sq: _P(lib).cosine_similarity(z, w, dim=0)),
    ("F.layer_norm_w", lambda lib, z, w, r, sq: _P(lib).layer_norm(z, (4,), w[0], w[1])),
    ("F.avg_pool2d_pad", lambda lib, z, w, r, sq: _P(lib).avg_pool2d(z[None, None], 2, 1, 1)),
    ("F.adaptive_avg_pool1d", lambda lib, z, w, r, sq: _P(lib).adaptive_avg_pool1d(z[None], 2)),
    ("F.interpolate_bilinear", lambda lib, z, w, r, sq: _P(lib).interpolate(z[None, None], scale_factor=2,
                                                                             mode="bilinear")),
    ("F.pad_replicate", lambda lib, z, w, r, sq: _P(lib).pad(z[None], (1, 1), mode="replicate")),
    ("F.pad_circular", lambda lib, z, w, r, sq: _P(lib).pad(z[None], (1, 1), mode="circular")),
    ("F.pad_value", lambda lib, z, w, r, sq: _P(lib).pad(z, (1, 1), value=1.0)),
    ("F.pad_complex_value", lambda lib, z, w, r, sq: _P(lib).pad(z, (1, 1), value=1j)),
    ("nn.Linear_complex", lambda lib, z, w, r, sq: (lib.manual_seed(0), lib.nn.Linear(4, 2, dtype=z.dtype)(z))[1]),
    ("nn.BatchNorm1d", lambda lib, z, w, r, sq: lib.nn.BatchNorm1d(4, dtype=z.dtype)(z)),
    ("tensor_repr", lambda lib, z, w, r, sq: lib.tensor([len(repr(z.detach()))])),
    ("tensor_str_small", lambda lib, z, w, r, sq: lib.tensor([len(str(z.detach() * 1e-5))])),
    ("diag_embed", lambda lib, z, w, r, sq: lib.diag_embed(z)),
    ("tril_indices_like", lambda lib, z, w, r, sq: lib.triu(sq, 1)),
    ("flatten", lambda lib, z, w, r, sq: lib.flatten(z)),
    ("chunk", lambda lib, z, w, r, sq: lib.chunk(z, 2, 1)),
    ("unbind", lambda lib, z, w, r, sq: lib.unbind(z)),
    ("movedim", lambda lib, z, w, r, sq: lib.movedim(z, 0, 1)),
    ("narrow", lambda lib, z, w, r, sq: lib.narrow(z, 1, 1, 2)),
    ("searchsorted", lambda lib, z, w, r, sq: lib.searchsorted(z[0], w[0])),
    ("bucketize", lambda lib, z, w, r, sq: lib.bucketize(z, w[0])),
    ("count_nonzero_dim", lambda lib, z, w, r, sq: lib.count_nonzero(z * lib.tensor([[0], [1], [1]]), 0)),
    ("all_dim", lambda lib, z, w, r, sq: lib.all(z, 0)),
    ("any_dim", lambda lib, z, w, r, sq: lib.any(z * 0, 1)),
    ("logical_or", lambda lib, z, w, r, sq: lib.logical_or(z * 0, w)),
    ("bitwise_and", lambda lib, z, w, r, sq: lib.bitwise_and(z, w)),
    ("neg_op", lambda lib, z, w, r, sq: -z),
    ("pos_op", lambda lib, z, w, r, sq: +z),
    ("invert_op", lambda lib, z, w, r, sq: ~z),
    ("abs_op", lambda lib, z, w, r, sq: abs(z)),
    ("vander", lambda lib, z, w, r, sq: lib.vander(z[0], 3)),
    ("cartesian_prod", lambda lib, z, w, r, sq: lib.cartesian_prod(z[0, :2], w[0, :2])),
    ("block_diag", lambda lib, z, w, r, sq: lib.block_diag(z, r)),
    ("cdist", lambda lib, z, w, r, sq: lib.cdist(z, w)),
    ("std_unbiased_false", lambda lib, z, w, r, sq: z.std(unbiased=False)),
    ("histogram", lambda lib, z, w, r, sq: lib.histogram(z)[0]),
    ("nn.init.xavier", lambda lib, z, w, r, sq: (lib.manual_seed(0), lib.nn.init.xavier_uniform_(
        lib.empty(2, 3, dtype=z.dtype)))[1]),
    ("nn.init.kaiming_normal", lambda lib, z, w, r, sq: (lib.manual_seed(0), lib.nn.init.kaiming_normal_(
        lib.empty(2, 3, dtype=z.dtype)))[1]),
    ("nn.init.trunc_normal", lambda lib, z, w, r, sq: (lib.manual_seed(0), lib.nn.init.trunc_normal_(
        lib.empty(2, 3, dtype=z.dtype)))[1]),
    ("nn.init.orthogonal", lambda lib, z, w, r, sq: (lib.manual_seed(0), lib.nn.init.orthogonal_(
        lib.empty(2, 3, dtype=z.dtype)))[1]),
]


def _setitem(t, value):
    t[0] = value
    return t


def _outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                return fn(), None
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return None, (type(error).__name__, str(error))


def _leaves(lib, dtype):
    z, w, r, sq = _arrays(dtype)
    return [lib.tensor(a, requires_grad=True) for a in (z, w, r, sq)]


def _grad_loss(out):
    return (out.abs() ** 2).sum() if out.is_complex() else (out * out).sum()


def audit(dtype, name_filter=""):
    import torch

    problems = []
    for name, fn in CASES:
        if name_filter not in name:
            continue
        theirs_in, ours_in = _leaves(torch, dtype), _leaves(torchless, dtype)
        theirs, their_error = _outcome(lambda: fn(torch, *theirs_in))
        ours, our_error = _outcome(lambda: fn(torchless, *ours_in))
        if their_error or our_error:
            if their_error is None:
                problems.append((name, "torchless raises", our_error))
            elif our_error is None:
                problems.append((name, "torch raises", their_error))
            elif their_error != (our_error[0], our_error[1].replace("torchless", "torch")):
                problems.append((name, "different error", their_error, our_error))
            continue
        theirs_t = theirs if isinstance(theirs, (tuple, list)) else (theirs,)
        ours_t = ours if isinstance(ours, (tuple, list)) else (ours,)
        if len(theirs_t) != len(ours_t):
            problems.append((name, "different output count"))
            continue
        mismatch = None
        for t, o in zip(theirs_t, ours_t):
            if not isinstance(t, torch.Tensor):
                continue
            if str(t.dtype).replace("torch.", "") != str(o.dtype).replace("torchless.", ""):
                mismatch = ("dtype", str(t.dtype), str(o.dtype))
                break
            if tuple(t.shape) != tuple(o.shape):
                mismatch = ("shape", tuple(t.shape), tuple(o.shape))
                break
            if name.startswith(("rand", "empty", "F.dropout", "F.alpha_dropout", "F.rrelu", "randn")):
                continue
            tv, ov = t.detach().resolve_conj().numpy(), o.detach().numpy()
            try:
                np.testing.assert_allclose(ov, tv, rtol=RTOL[dtype], atol=RTOL[dtype], equal_nan=True)
            except AssertionError as error:
                mismatch = ("values", str(error).splitlines()[-2:])
                break
        if mismatch:
            problems.append((name, *mismatch))
            continue
        # gradients
        t0, o0 = theirs_t[0], ours_t[0]
        if not (isinstance(t0, torch.Tensor) and t0.requires_grad):
            if getattr(o0, "requires_grad", False) and t0.dtype.is_floating_point | t0.dtype.is_complex:
                problems.append((name, "torchless output requires grad, torch's does not"))
            continue
        _, terr = _outcome(lambda: _grad_loss(t0).backward())
        _, oerr = _outcome(lambda: _grad_loss(o0).backward())
        if terr or oerr:
            if (terr is None) != (oerr is None) or terr[0] != oerr[0]:
                problems.append((name, "backward", terr, oerr))
            continue
        for i, (a, b) in enumerate(zip(theirs_in, ours_in)):
            if (a.grad is None) != (b.grad is None):
                problems.append((name, f"grad {i} presence", a.grad is None, b.grad is None))
                break
            if a.grad is None:
                continue
            if str(a.grad.dtype).replace("torch.", "") != str(b.grad.dtype).replace("torchless.", ""):
                problems.append((name, f"grad {i} dtype", a.grad.dtype, b.grad.dtype))
                break
            try:
                np.testing.assert_allclose(b.grad.numpy(), a.grad.resolve_conj().numpy(), rtol=RTOL[dtype] * 10,
                                           atol=RTOL[dtype] * 10, equal_nan=True)
            except AssertionError as error:
                problems.append((name, f"grad {i} values", str(error).splitlines()[-2:]))
                break
    return problems


if __name__ == "__main__":
    name_filter = sys.argv[1] if len(sys.argv) > 1 else ""
    for dtype in ("complex64", "complex128"):
        for problem in audit(dtype, name_filter):
            print(dtype, *problem)
