"""The Feature Pyramid Network (`Feature Pyramid Network for Object Detection <https://arxiv.org/abs/1612.03144>`_)
of torchvision's detection models, with its extra levels (:class:`LastLevelMaxPool`, RetinaNet's
:class:`LastLevelP6P7`)."""
from collections import OrderedDict

from ... import nn
from ...nn import functional as F
from .misc import Conv2dNormActivation

__all__ = ["ExtraFPNBlock", "FeaturePyramidNetwork", "LastLevelMaxPool", "LastLevelP6P7"]


class ExtraFPNBlock(nn.Module):
    """The base of the FPN's extra blocks: ``forward(results, x, names)`` takes the FPN's maps, the original maps and
    their names, and returns the maps and names extended."""

    def forward(self, results, x, names):
        pass


class FeaturePyramidNetwork(nn.Module):
    """An FPN on top of feature maps given in increasing depth (an ordered dict): each map reduced to
    ``out_channels`` by a 1x1 convolution (``inner_blocks``), added to the deeper level upsampled (nearest), then
    smoothed by a 3x3 convolution (``layer_blocks``).

    Args:
        in_channels_list (list of int): the channels of each map.
        out_channels (int): the channels of every output map.
        extra_blocks (ExtraFPNBlock, optional): extends the results (and their names). Default: None
        norm_layer (callable, optional): after each convolution. Default: None

    Returns (forward): an OrderedDict of the output maps, highest resolution first, under the inputs' names.
    """

    _version = 2

    def __init__(self, in_channels_list, out_channels, extra_blocks=None, norm_layer=None):
        super().__init__()
        self.inner_blocks = nn.ModuleList()
        self.layer_blocks = nn.ModuleList()
        for in_channels in in_channels_list:
            if in_channels == 0:
                raise ValueError("in_channels=0 is currently not supported")
            self.inner_blocks.append(Conv2dNormActivation(in_channels, out_channels, kernel_size=1, padding=0,
                                                          norm_layer=norm_layer, activation_layer=None))
            self.layer_blocks.append(Conv2dNormActivation(out_channels, out_channels, kernel_size=3,
                                                          norm_layer=norm_layer, activation_layer=None))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise TypeError(f"extra_blocks should be of type ExtraFPNBlock not {type(extra_blocks)}")
        self.extra_blocks = extra_blocks

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # a state dict of version 1 named the blocks' convolutions "inner_blocks.0.weight", not "...0.0.weight"
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            for block in ["inner_blocks", "layer_blocks"]:
                for i in range(len(self.inner_blocks)):
                    for kind in ["weight", "bias"]:
                        old_key = f"{prefix}{block}.{i}.{kind}"
                        if old_key in state_dict:
                            state_dict[f"{prefix}{block}.{i}.0.{kind}"] = state_dict.pop(old_key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def get_result_from_inner_blocks(self, x, idx):
        """``self.inner_blocks[idx](x)`` (``x`` itself for an index out of range)."""
        return _applied(self.inner_blocks, x, idx)

    def get_result_from_layer_blocks(self, x, idx):
        """``self.layer_blocks[idx](x)`` (``x`` itself for an index out of range)."""
        return _applied(self.layer_blocks, x, idx)

    def forward(self, x):
        names = list(x.keys())
        x = list(x.values())
        last_inner = self.get_result_from_inner_blocks(x[-1], -1)
        results = [self.get_result_from_layer_blocks(last_inner, -1)]
        for idx in range(len(x) - 2, -1, -1):
            inner_lateral = self.get_result_from_inner_blocks(x[idx], idx)
            inner_top_down = F.interpolate(last_inner, size=inner_lateral.shape[-2:], mode="nearest")
            last_inner = inner_lateral + inner_top_down
            results.insert(0, self.get_result_from_layer_blocks(last_inner, idx))
        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, x, names)
        return OrderedDict(list(zip(names, results)))


def _applied(blocks, x, idx):
    idx = idx + len(blocks) if idx < 0 else idx
    return blocks[idx](x) if 0 <= idx < len(blocks) else x


class LastLevelMaxPool(ExtraFPNBlock):
    """One more level, "pool": the last map subsampled by 2 (a max pool of kernel 1)."""

    def forward(self, x, y, names):
        names.append("pool")
        x.append(F.max_pool2d(x[-1], kernel_size=1, stride=2, padding=0))
        return x, names


class LastLevelP6P7(ExtraFPNBlock):
    """RetinaNet's two more levels, "p6" and "p7": stride-2 3x3 convolutions of the last FPN map (or, when the
    channels differ, of the last input map), the second after a ReLU."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for module in [self.p6, self.p7]:
            nn.init.kaiming_uniform_(module.weight, a=1)
            nn.init.constant_(module.bias, 0)
        self.use_P5 = in_channels == out_channels

    def forward(self, p, c, names):
        p6 = self.p6(p[-1] if self.use_P5 else c[-1])
        p7 = self.p7(F.relu(p6))
        p.extend([p6, p7])
        names.extend(["p6", "p7"])
        return p, names
