"""How PyTorch's functions written in Python (``torch.nn.functional``'s, ``torch.functional``'s) hand a call
to ``__torch_function__``: {name: (the parameters holding the tensors that take part, in their order; how many
leading parameters are passed positionally; the keywords, if not all the others)}. The rest are passed by keyword
with their defaults filled in (``F.softmax(t, 1)`` reaches it as ``(t,), {'dim': 1, '_stacklevel': 3, 'dtype': None}``);
the functions PyTorch binds natively get the call's own arguments. (Read from PyTorch's sources.)
"""

FUNCTIONAL = {
    "_threshold": ("input", 3), "adaptive_avg_pool2d": ("input", 2), "adaptive_avg_pool3d": ("input", 2),
    "adaptive_max_pool1d": ("input", 2), "adaptive_max_pool1d_with_indices": ("input", 2),
    "adaptive_max_pool2d": ("input", 2), "adaptive_max_pool2d_with_indices": ("input", 2),
    "adaptive_max_pool3d": ("input", 2), "adaptive_max_pool3d_with_indices": ("input", 2), "affine_grid": ("theta", 2),
    "alpha_dropout": ("input", 1), "batch_norm": ("input running_mean running_var weight bias", 3),
    "binary_cross_entropy": ("input target weight", 2),
    "binary_cross_entropy_with_logits": ("input target weight pos_weight", 2), "celu": ("input", 1),
    "cosine_embedding_loss": ("input1 input2 target", 3), "cross_entropy": ("input target weight", 2),
    "ctc_loss": ("log_probs targets input_lengths target_lengths", 4), "dropout": ("input", 1),
    "dropout1d": ("input", 1), "dropout2d": ("input", 1), "dropout3d": ("input", 1), "elu": ("input", 1),
    "embedding": ("input weight", 2), "embedding_bag": ("input weight offsets per_sample_weights", 2),
    "feature_alpha_dropout": ("input", 1), "fold": ("input", 3), "fractional_max_pool2d": ("input _random_samples", 2),
    "fractional_max_pool2d_with_indices": ("input _random_samples", 2),
    "fractional_max_pool3d": ("input _random_samples", 2),
    "fractional_max_pool3d_with_indices": ("input _random_samples", 2), "gaussian_nll_loss": ("input target var", 3),
    "glu": ("input", 1), "grid_sample": ("input grid", 2), "group_norm": ("input weight bias", 2),
    "gumbel_softmax": ("logits", 1), "hardsigmoid": ("input", 1), "hardswish": ("input", 1), "hardtanh": ("input", 1),
    "hinge_embedding_loss": ("input target", 2), "huber_loss": ("input target weight", 2),
    "instance_norm": ("input running_mean running_var weight bias", 1), "interpolate": ("input", 1),
    "kl_div": ("input target", 2), "l1_loss": ("input target weight", 2, "size_average reduce reduction"),
    "layer_norm": ("input weight bias", 2), "leaky_relu": ("input", 1),
    "linear_cross_entropy": ("input linear_weight target linear_bias weight", 3), "local_response_norm": ("input", 2),
    "log_softmax": ("input", 1), "lp_pool1d": ("input", 3), "lp_pool2d": ("input", 3), "lp_pool3d": ("input", 3),
    "margin_ranking_loss": ("input1 input2 target", 3), "max_pool1d": ("input", 2),
    "max_pool1d_with_indices": ("input", 2), "max_pool2d": ("input", 2), "max_pool2d_with_indices": ("input", 2),
    "max_pool3d": ("input", 2), "max_pool3d_with_indices": ("input", 2), "max_unpool1d": ("input", 3),
    "max_unpool2d": ("input", 3), "max_unpool3d": ("input", 3), "mish": ("input", 1),
    "mse_loss": ("input target weight", 2), "multi_margin_loss": ("input target weight", 2),
    "multilabel_margin_loss": ("input target", 2), "multilabel_soft_margin_loss": ("input target weight", 2),
    "nll_loss": ("input target weight", 2), "normalize": ("input out", 1), "pad": ("input", 2),
    "poisson_nll_loss": ("input target", 2), "relu": ("input", 1), "relu6": ("input", 1),
    "rms_norm": ("input weight", 2), "rrelu": ("input", 1), "selu": ("input", 1), "silu": ("input", 1),
    "smooth_l1_loss": ("input target", 2), "soft_margin_loss": ("input target", 2), "softmax": ("input", 1),
    "softmin": ("input", 1), "softsign": ("input", 1), "tanhshrink": ("input", 1),
    "triplet_margin_loss": ("anchor positive negative", 3),
    "triplet_margin_with_distance_loss": ("anchor positive negative", 3), "unfold": ("input", 2),
}
TORCH = {
    "cdist": ("x1 x2", 2), "lu": ("A", 1), "norm": ("input", 1), "split": ("tensor", 2), "stft": ("input", 2),
    "tensordot": ("a b", 2), "unravel_index": ("indices", 1),
}
