"""The Transformer of "Attention Is All You Need": TransformerEncoderLayer, TransformerDecoderLayer, their stacks
TransformerEncoder and TransformerDecoder, and Transformer, with PyTorch's parameters, state_dict keys and checks.

PyTorch's inference fast paths (fused encoder layer, nested tensors) are not reproduced: they compute the
same numbers as the composed path, with one visible exception that is mirrored here: an encoder that would
pack a padded batch into a nested tensor returns zeros at the padded positions (before its final norm).
"""
import copy
import warnings

from ... import _creation
from ...amp.autocast_mode import is_autocast_enabled
from ...autograd import grad_mode
from .. import init
from .. import functional as F  # (the public functions: F.gelu is wrapped for out=, and compared by identity)
from .._functional.attention import _canonical_mask, _none_or_dtype
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]


def _generate_square_subsequent_mask(sz, device=None, dtype=None):
    return _creation.full((sz, sz), float("-inf"), dtype=dtype).triu(diagonal=1)


def _get_seq_len(src, batch_first):
    if src.dim() == 2:  # unbatched: (S, E)
        return src.size(0)
    return src.size(1 if batch_first else 0)


def _detect_is_causal_mask(mask, is_causal=None, size=None):
    """``is_causal`` if given; otherwise whether ``mask`` equals the square causal mask of its size."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.size(-2)
        causal_comparison = _generate_square_subsequent_mask(sz, dtype=mask.dtype)
        if mask.size() == causal_comparison.size():
            make_causal = bool((mask == causal_comparison).all())
        else:
            make_causal = False
    return make_causal


def _get_clones(module, n):
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _relu_or_gelu(activation):
    """PyTorch's ``activation_relu_or_gelu``: 1 for relu, 2 for gelu, 0 for anything else."""
    if activation is F.relu or isinstance(activation, ReLU):
        return 1
    if activation is F.gelu or isinstance(activation, GELU):
        return 2
    return 0


class Transformer(Module):
    r"""An encoder-decoder Transformer: ``num_encoder_layers`` TransformerEncoderLayers then a LayerNorm, and
    ``num_decoder_layers`` TransformerDecoderLayers then a LayerNorm, all of the same settings.

    Args:
        d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048, dropout=0.1,
        activation=relu ("relu", "gelu" or a callable), custom_encoder=None, custom_decoder=None,
        layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True

    Every parameter of more than one dimension is re-initialised xavier-uniform.

    Shape (:math:`S` source and :math:`T` target lengths, :math:`N` batch, :math:`E` = d_model):
        - src: :math:`(S, E)`, :math:`(S, N, E)` or :math:`(N, S, E)` if ``batch_first``
        - tgt: :math:`(T, E)`, :math:`(T, N, E)` or :math:`(N, T, E)`
        - src_mask: :math:`(S, S)` or :math:`(N \cdot \text{nhead}, S, S)`; tgt_mask: :math:`(T, T)` or
          :math:`(N \cdot \text{nhead}, T, T)`; memory_mask: :math:`(T, S)`
        - src_key_padding_mask: :math:`(S)` or :math:`(N, S)`; tgt_key_padding_mask: :math:`(T)` or :math:`(N, T)`;
          memory_key_padding_mask: :math:`(S)` or :math:`(N, S)`
        - output: like tgt
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation=F.relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first,
                      bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(*layer_args, **factory)
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(*layer_args, **factory)
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        """Encodes ``src`` to a memory and decodes ``tgt`` against it. ``*_is_causal`` hint that the matching mask
        is the causal one (None: detect it)."""
        is_batched = src.dim() == 3
        if is_batched and src.size(0 if self.batch_first else 1) != tgt.size(0 if self.batch_first else 1):
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.size(-1) != self.d_model or tgt.size(-1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The (sz, sz) causal mask: -inf above the diagonal (the future), 0 on and below it."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)


def _why_no_nested_tensor(encoder_layer):
    """Why PyTorch would not pack the input of a stack of ``encoder_layer`` into a nested tensor ('' if it would)."""
    enc_layer = "encoder_layer"
    if not isinstance(encoder_layer, TransformerEncoderLayer):
        return f"{enc_layer} was not TransformerEncoderLayer"
    if encoder_layer.norm_first:
        return f"{enc_layer}.norm_first was True"
    if not encoder_layer.self_attn.batch_first:
        return f"{enc_layer}.self_attn.batch_first was not True(use batch_first for better inference performance)"
    if not encoder_layer.self_attn._qkv_same_embed_dim:
        return f"{enc_layer}.self_attn._qkv_same_embed_dim was not True"
    if encoder_layer.self_attn.in_proj_bias is None:
        return f"{enc_layer}.self_attn was passed bias=False"
    if not encoder_layer.activation_relu_or_gelu:
        return f"{enc_layer}.activation_relu_or_gelu was not True"
    if encoder_layer.norm1.eps != encoder_layer.norm2.eps:
        return f"{enc_layer}.norm1.eps was not equal to {enc_layer}.norm2.eps"
    if encoder_layer.self_attn.num_heads % 2 == 1:
        return f"{enc_layer}.self_attn.num_heads is odd"
    return ""


class TransformerEncoder(Module):
    r"""A stack of ``num_layers`` copies of ``encoder_layer``, then ``norm`` if given.

    Args:
        encoder_layer: a TransformerEncoderLayer, deep-copied ``num_layers`` times.
        num_layers: the number of layers.
        norm: a final normalisation layer (optional).
        enable_nested_tensor: PyTorch's switch for packing a padded batch into a nested tensor in inference;
            accepted, with PyTorch's warning when the layer rules it out. Default: True.
        mask_check: whether to check that padding masks are left-aligned before packing. Default: True.

    Shape: src :math:`(S, E)`, :math:`(S, N, E)` or :math:`(N, S, E)` if ``batch_first``; mask :math:`(S, S)` or
    :math:`(N \cdot \text{nhead}, S, S)`; src_key_padding_mask :math:`(S)` or :math:`(N, S)`; output like src.
    """
    __constants__ = ["norm"]

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor = self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_no_nested_tensor(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}",
                          stacklevel=2)
            self.use_nested_tensor = False

    def _packs_nested(self, src, mask, src_key_padding_mask):
        """Whether PyTorch would run this call on a nested tensor (inference with a padding mask alone)."""
        first = self.layers[0]
        if not getattr(self, "use_nested_tensor", False) or first.training or src.dim() != 3:
            return False
        if src_key_padding_mask is None or mask is not None or is_autocast_enabled():
            return False
        if getattr(self, "mask_check", True) and not _left_aligned(src_key_padding_mask):
            return False
        attn, tensors = first.self_attn, [src]
        tensors += [attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight, attn.out_proj.bias]
        for module in (first.norm1, first.norm2, first.linear1, first.linear2):
            tensors += [module.weight, module.bias]
        return not (grad_mode.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors))

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """``is_causal``: a hint that ``mask`` is the causal mask (None: detect it)."""
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask", _none_or_dtype(mask),
                                               "mask", src.dtype)
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, check_other=False)
        padding_mask_for_layers, lengths = src_key_padding_mask, None
        if self._packs_nested(src, mask, src_key_padding_mask):
            # A nested tensor keeps the first (number of unpadded) tokens of each sequence and gets back zeros
            # elsewhere: the same as masking from that length on and zeroing there.
            lengths = (src_key_padding_mask == 0).sum(1, keepdim=True)
            positions = _creation.arange(src.size(1)).unsqueeze(0)
            padding_mask_for_layers = _canonical_mask(positions >= lengths, "src_key_padding_mask", None, "",
                                                      src.dtype)
        is_causal = _detect_is_causal_mask(mask, is_causal, _get_seq_len(src, self.layers[0].self_attn.batch_first))
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal, src_key_padding_mask=padding_mask_for_layers)
        if lengths is not None:
            output = output.masked_fill((positions >= lengths).unsqueeze(-1), 0.0)
        if self.norm is not None:
            output = self.norm(output)
        return output


def _left_aligned(padding_mask):
    """Whether each row of the float (N, S) padding mask keeps its unpadded (0) positions first."""
    kept = padding_mask == 0
    return bool((kept[:, 1:] <= kept[:, :-1]).all())


class TransformerDecoder(Module):
    r"""A stack of ``num_layers`` copies of ``decoder_layer``, then ``norm`` if given.

    Shape: tgt :math:`(T, E)`, :math:`(T, N, E)` or :math:`(N, T, E)` if ``batch_first``; memory likewise with
    :math:`S`; tgt_mask :math:`(T, T)` or :math:`(N \cdot \text{nhead}, T, T)`; memory_mask :math:`(T, S)`;
    tgt_key_padding_mask :math:`(T)` or :math:`(N, T)`; memory_key_padding_mask :math:`(S)` or :math:`(N, S)`;
    output like tgt.
    """
    __constants__ = ["norm"]

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        """``tgt_is_causal``: a hint that ``tgt_mask`` is the causal mask (None: detect it)."""
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerEncoderLayer(Module):
    r"""Self-attention then a feed-forward network, each with dropout, a residual connection and a LayerNorm.

    Post-norm (default): x = norm1(x + SA(x)); x = norm2(x + FF(x)). With ``norm_first``:
    x = x + SA(norm1(x)); x = x + FF(norm2(x)). FF(x) = linear2(dropout(activation(linear1(x)))).

    Args:
        d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu ("relu", "gelu" or a callable),
        layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True

    Shape: src :math:`(S, E)`, :math:`(S, N, E)` or :math:`(N, S, E)` if ``batch_first``; src_mask :math:`(S, S)`
    or :math:`(N \cdot \text{nhead}, S, S)`; src_key_padding_mask :math:`(S)` or :math:`(N, S)`; output like src.
    """
    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            **factory)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        self.activation_relu_or_gelu = _relu_or_gelu(activation)
        self.activation = activation

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("activation", F.relu)  # as PyTorch: pickled before it could be chosen

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """``is_causal``: a hint that ``src_mask`` is the causal mask."""
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(src_mask), "src_mask", src.dtype)
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype, check_other=False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal=is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal=is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    r"""Self-attention, attention over the encoder's memory, then a feed-forward network, each with dropout, a
    residual connection and a LayerNorm (applied after each block, or before it with ``norm_first``).

    Args:
        d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu ("relu", "gelu" or a callable),
        layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True

    Shape: tgt :math:`(T, E)`, :math:`(T, N, E)` or :math:`(N, T, E)` if ``batch_first``; memory likewise with
    :math:`S`; tgt_mask :math:`(T, T)` or :math:`(N \cdot \text{nhead}, T, T)`; memory_mask :math:`(T, S)`;
    tgt_key_padding_mask :math:`(T)` or :math:`(N, T)`; memory_key_padding_mask :math:`(S)` or :math:`(N, S)`;
    output like tgt.
    """
    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=F.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                            **factory)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                                 **factory)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _get_activation_fn(activation) if isinstance(activation, str) else activation

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__.setdefault("activation", F.relu)  # as PyTorch: pickled before it could be chosen

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """``tgt_is_causal``, ``memory_is_causal``: hints that ``tgt_mask``, ``memory_mask`` are causal masks."""
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, is_causal=is_causal,
                           need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)
