"""ChannelShuffle, a thin wrapper of the functional (in its own file, as PyTorch has it:
torch.nn.modules.channelshuffle)."""
from .._functional.pixel_shuffle import channel_shuffle
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    r"""Divide the C channels of (N, C, *) into ``groups`` groups and interleave them (ShuffleNet); see
    ``torchless.nn.functional.channel_shuffle``.

    Shape: input (N, C, *); output (N, C, *), the same.
    """
    __constants__ = ["groups"]

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
