"""Multi-head attention as a layer: MultiheadAttention, with PyTorch's parameters, initialisation, shapes and checks.

PyTorch's inference fast path (``torch._native_multi_head_attention``) is not reproduced: it computes
the same numbers as the composed path used here, which is taken in every mode.
"""
from ... import _creation, _dtype
from .. import init
from .._functional.attention import _canonical_mask, _none_or_dtype, multi_head_attention_forward
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear
from .module import Module

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    r"""Attends jointly to information from different representation subspaces.

    .. math::
        \text{MultiHead}(Q, K, V) = \text{Concat}(\text{head}_1, \dots, \text{head}_h) W^O, \quad
        \text{head}_i = \text{Attention}(Q W_i^Q, K W_i^K, V W_i^V)

    Args:
        embed_dim: total dimension of the model, split across the heads (each of ``embed_dim // num_heads``).
        num_heads: number of parallel attention heads; must divide ``embed_dim``.
        dropout: dropout probability on the attention weights (in training). Default: 0.0.
        bias: add biases to the input and output projections. Default: True.
        add_bias_kv: add a learnt bias to the key and value sequences (one more key position). Default: False.
        add_zero_attn: add a key and value of zeros that every query may attend to. Default: False.
        kdim, vdim: feature sizes of keys and values (default: ``embed_dim``).
        batch_first: inputs and outputs are (N, L, E) rather than (L, N, E). Default: False.

    Parameters: ``in_proj_weight`` (3E, E), or ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim) and
    ``v_proj_weight`` (E, vdim) when kdim or vdim differ from E, all xavier-uniform; ``in_proj_bias`` (3E) and
    ``out_proj.bias`` zeros; ``out_proj.weight`` (E, E); ``bias_k``, ``bias_v`` (1, 1, E) xavier-normal.

    Shape:
        - query: :math:`(L, E_q)`, :math:`(L, N, E_q)`, or :math:`(N, L, E_q)` if ``batch_first``
        - key: :math:`(S, E_k)`, :math:`(S, N, E_k)` or :math:`(N, S, E_k)`; value likewise with :math:`E_v`
        - key_padding_mask: :math:`(N, S)` or :math:`(S)`; True (bool) marks keys to ignore, a float mask is added
        - attn_mask: :math:`(L, S)` or :math:`(N \cdot \text{num\_heads}, L, S)`; True (bool) forbids attending,
          a float mask is added to the scores
        - output: like query, with :math:`E_q` features
        - weights (if ``need_weights``): :math:`(N, L, S)` averaged over heads, else
          :math:`(N, \text{num\_heads}, L, S)`; without :math:`N` for unbatched input
    """

    __module__ = "torchless.nn.modules.activation"  # (its home in PyTorch: its type and pickles name it there)
    __constants__ = ["batch_first"]

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        dtype = dtype or _dtype.get_default_dtype()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        empty = lambda *shape: Parameter(_creation.empty(shape, dtype=dtype, device=device))  # noqa: E731
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = empty(embed_dim, embed_dim)
            self.k_proj_weight = empty(embed_dim, self.kdim)
            self.v_proj_weight = empty(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = empty(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        if bias:
            self.in_proj_bias = empty(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k = empty(1, 1, embed_dim)
            self.bias_v = empty(1, 1, embed_dim)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def __setstate__(self, state):
        super().__setstate__(state)
        # as PyTorch: pickled by PyTorch 1.1, before separate key and value sizes existed
        self.__dict__.setdefault("_qkv_same_embed_dim", True)

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Returns ``(attn_output, attn_output_weights)``, the weights None unless ``need_weights``.

        ``batch_first`` is ignored for unbatched (2-D) input. ``is_causal`` is a hint that ``attn_mask`` is the
        causal mask; it needs ``attn_mask`` all the same.
        """
        is_batched = query.dim() == 3
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask),
                                           "attn_mask", query.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if self.batch_first and is_batched:
            # one transpose per distinct tensor, so that the projection can tell self-attention by identity
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        attn_output, attn_output_weights = multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.bias_k,
            self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and is_batched:
            return attn_output.transpose(1, 0), attn_output_weights
        return attn_output, attn_output_weights

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """The masks combined as PyTorch's fast path takes them: ``(merged_mask, mask_type)``.

        A key padding mask (N, S) alone is type 1; with an attention mask, (L, S) or (N * num_heads, L, S),
        both are expanded to (N, num_heads, L, S) and added, type 2. ``query`` is (N, L, E).
        """
        mask_type = merged_mask = None
        if key_padding_mask is not None:
            mask_type, merged_mask = 1, key_padding_mask
        if attn_mask is not None:
            batch_size, seq_len, _ = query.shape
            mask_type = 2
            if attn_mask.dim() == 3:
                attn_mask_expanded = attn_mask.view(batch_size, -1, seq_len, seq_len)
            else:
                attn_mask_expanded = attn_mask.view(1, 1, seq_len, seq_len).expand(batch_size, self.num_heads, -1,
                                                                                   -1)
            merged_mask = attn_mask_expanded
            if key_padding_mask is not None:
                key_padding_mask_expanded = key_padding_mask.view(batch_size, 1, 1, seq_len).expand(
                    -1, self.num_heads, -1, -1)
                merged_mask = attn_mask_expanded + key_padding_mask_expanded
        return merged_mask, mask_type
