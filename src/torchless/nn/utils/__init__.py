"""``torch.nn.utils``: gradient clipping, the flat-vector view of a model's parameters, parametrizations and
weight normalization, and packed sequences (``rnn``)."""
from . import parametrizations, parametrize, prune, rnn
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters", "parametrizations", "parametrize", "prune", "rnn",
           "weight_norm", "remove_weight_norm"]
