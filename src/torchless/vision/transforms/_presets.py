"""The evaluation transforms of torchvision's pretrained classification, video and segmentation weights
(``torchvision.transforms._presets``), which ``weights.transforms()`` builds. Like torchvision's, a private module:
reach them through the weights."""
from ... import float32, nn
from ..._tensor import Tensor
from . import functional as F
from ._interpolation import InterpolationMode

__all__ = ["ImageClassification", "VideoClassification", "SemanticSegmentation"]


def _normalized_float(img, mean, std):
    """``img`` (a PIL image or a tensor) as a float32 tensor in [0, 1], normalized with ``mean`` and ``std``."""
    if not isinstance(img, Tensor):
        img = F.pil_to_tensor(img)
    img = F.convert_image_dtype(img, float32)
    return F.normalize(img, mean=mean, std=std)


def _settings_repr(preset, names):
    """torchvision's repr of a preset: its class name, then one indented ``name=value`` line per setting."""
    settings = "".join(f"\n    {name}={getattr(preset, name)}" for name in names)
    return f"{type(preset).__name__}({settings}\n)"


class ImageClassification(nn.Module):
    """Resize the smaller edge to ``resize_size`` (antialiased), take the central ``crop_size`` square, convert to
    float in [0, 1] and normalize with ``mean`` and ``std``: the preprocessing ImageNet weights were evaluated with.

    Accepts PIL images (resized by Pillow, as in torchvision), H x W x C arrays standing in for them, and
    ``(..., C, H, W)`` tensors; returns a float32 ``(..., C, crop_size, crop_size)`` tensor.

    Args:
        crop_size (int): side of the central crop.
        resize_size (int, optional): the smaller edge after resizing. Default: 256.
        mean (sequence of float, optional): per-channel means. Default: ImageNet's (0.485, 0.456, 0.406).
        std (sequence of float, optional): per-channel standard deviations. Default: ImageNet's (0.229, 0.224,
            0.225).
        interpolation (InterpolationMode, optional): Default: ``InterpolationMode.BILINEAR``.
        antialias (bool, optional): Default: True.
    """

    def __init__(self, *, crop_size, resize_size=256, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        img = F.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        return _normalized_float(img, self.mean, self.std)

    def __repr__(self):
        return _settings_repr(self, ("crop_size", "resize_size", "mean", "std", "interpolation"))

    def describe(self):
        return (
            "Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image ``torch.Tensor`` objects. "
            f"The images are resized to ``resize_size={self.resize_size}`` using "
            f"``interpolation={self.interpolation}``, "
            f"followed by a central crop of ``crop_size={self.crop_size}``. Finally the values are first rescaled to "
            f"``[0.0, 1.0]`` and then normalized using ``mean={self.mean}`` and ``std={self.std}``."
        )


class VideoClassification(nn.Module):
    """Resize each frame to ``resize_size`` (not antialiased, as the video weights were evaluated), take the central
    ``crop_size`` crop, convert to float in [0, 1], normalize with ``mean`` and ``std`` and move the channels before
    the time: the preprocessing torchvision's Kinetics-400 weights were evaluated with.

    Accepts ``(N, T, C, H, W)`` and ``(T, C, H, W)`` video tensors; returns a float32 ``(N, C, T, h, w)`` (or
    ``(C, T, h, w)``) tensor, ``(h, w)`` being ``crop_size``.

    Args:
        crop_size (tuple of int): (height, width) of the central crop.
        resize_size (tuple of int): (height, width) after resizing, or a 1-tuple: the smaller edge.
        mean (sequence of float, optional): per-channel means. Default: Kinetics-400's (0.43216, 0.394666, 0.37645).
        std (sequence of float, optional): per-channel standard deviations. Default: Kinetics-400's (0.22803,
            0.22145, 0.216989).
        interpolation (InterpolationMode, optional): Default: ``InterpolationMode.BILINEAR``.
    """

    def __init__(self, *, crop_size, resize_size, mean=(0.43216, 0.394666, 0.37645), std=(0.22803, 0.22145, 0.216989),
                 interpolation=InterpolationMode.BILINEAR):
        super().__init__()
        self.crop_size = list(crop_size)
        self.resize_size = list(resize_size)
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation

    def forward(self, vid):
        need_squeeze = False
        if vid.ndim < 5:
            vid = vid.unsqueeze(dim=0)
            need_squeeze = True

        N, T, C, H, W = vid.shape
        vid = vid.view(-1, C, H, W)
        # torchvision keeps antialias=False here: the video weights were evaluated before its default changed
        vid = F.resize(vid, self.resize_size, interpolation=self.interpolation, antialias=False)
        vid = F.center_crop(vid, self.crop_size)
        vid = _normalized_float(vid, self.mean, self.std)
        H, W = self.crop_size
        vid = vid.view(N, T, C, H, W)
        vid = vid.permute(0, 2, 1, 3, 4)

        if need_squeeze:
            vid = vid.squeeze(dim=0)
        return vid

    def __repr__(self):
        return _settings_repr(self, ("crop_size", "resize_size", "mean", "std", "interpolation"))

    def describe(self):
        return (
            "Accepts batched ``(B, T, C, H, W)`` and single ``(T, C, H, W)`` video frame ``torch.Tensor`` objects. "
            f"The frames are resized to ``resize_size={self.resize_size}`` using "
            f"``interpolation={self.interpolation}``, "
            f"followed by a central crop of ``crop_size={self.crop_size}``. Finally the values are first rescaled to "
            f"``[0.0, 1.0]`` and then normalized using ``mean={self.mean}`` and ``std={self.std}``. Finally the output "
            "dimensions are permuted to ``(..., C, T, H, W)`` tensors."
        )


class SemanticSegmentation(nn.Module):
    """Resize the smaller edge to ``resize_size`` (antialiased; no resize for None), convert to float in [0, 1] and
    normalize with ``mean`` and ``std``: the preprocessing torchvision's segmentation weights were evaluated with.

    Accepts PIL images, H x W x C arrays standing in for them, and ``(..., C, H, W)`` tensors; returns a float32
    ``(..., C, H', W')`` tensor.

    Args:
        resize_size (int or None): the smaller edge after resizing.
        mean (sequence of float, optional): per-channel means. Default: ImageNet's (0.485, 0.456, 0.406).
        std (sequence of float, optional): per-channel standard deviations. Default: ImageNet's (0.229, 0.224,
            0.225).
        interpolation (InterpolationMode, optional): Default: ``InterpolationMode.BILINEAR``.
        antialias (bool, optional): Default: True.
    """

    def __init__(self, *, resize_size, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.resize_size = [resize_size] if resize_size is not None else None
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        if isinstance(self.resize_size, list):
            img = F.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
        return _normalized_float(img, self.mean, self.std)

    def __repr__(self):
        return _settings_repr(self, ("resize_size", "mean", "std", "interpolation"))

    def describe(self):
        return (
            "Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image ``torch.Tensor`` objects. "
            f"The images are resized to ``resize_size={self.resize_size}`` using "
            f"``interpolation={self.interpolation}``. Finally the values are first rescaled to ``[0.0, 1.0]`` and "
            f"then normalized using ``mean={self.mean}`` and ``std={self.std}``."
        )
