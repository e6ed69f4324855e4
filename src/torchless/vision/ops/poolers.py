"""Multi-scale RoI Align (Feature Pyramid Networks): each box pooled from the pyramid level that suits its size, as
torchvision's ``ops.poolers`` does for Faster / Mask R-CNN's heads."""
from ... import _dtype, nn
from ..._creation import full_like, tensor, zeros
from ..._functions import cat, where
from .boxes import box_area
from .roi_align import roi_align

__all__ = ["LevelMapper", "MultiScaleRoIAlign", "initLevelMapper"]


def initLevelMapper(k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
    return LevelMapper(k_min, k_max, canonical_scale, canonical_level, eps)


class LevelMapper:
    """Which pyramid level each box is pooled from (Eq. 1 of the FPN paper): ``floor(lvl0 + log2(sqrt(area) / s0))``,
    clamped to [k_min, k_max], counted from k_min.

    Args:
        k_min (int), k_max (int): the finest and coarsest levels.
        canonical_scale (int): the box size mapped to ``canonical_level``. Default: 224
        canonical_level (int): Default: 4
        eps (float): added before the floor, against rounding at the boundaries. Default: 1e-6
    """

    def __init__(self, k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists):
        s = cat([box_area(boxlist) for boxlist in boxlists]).sqrt()
        target_lvls = (self.lvl0 + (s / self.s0).log2() + tensor(self.eps, dtype=s.dtype)).floor()
        target_lvls = target_lvls.clamp(min=self.k_min, max=self.k_max)
        return (target_lvls.to(_dtype.int64) - self.k_min).to(_dtype.int64)


def _convert_to_roi_format(boxes):
    concat_boxes = cat(boxes, dim=0)
    ids = cat([full_like(b[:, :1], i, dtype=concat_boxes.dtype) for i, b in enumerate(boxes)], dim=0)
    return cat([ids, concat_boxes], dim=1)


def _infer_scale(feature, original_size):
    # the power of 2 nearest to the feature map's size over the image's (its height's)
    possible_scales = []
    for s1, s2 in zip(feature.shape[-2:], original_size):
        approx_scale = float(s1) / float(s2)
        possible_scales.append(2 ** float(tensor(approx_scale).log2().round()))
    return possible_scales[0]


def _setup_scales(features, image_shapes, canonical_scale, canonical_level):
    if not image_shapes:
        raise ValueError("images list should not be empty")
    original_input_shape = (max([0] + [shape[0] for shape in image_shapes]),
                            max([0] + [shape[1] for shape in image_shapes]))
    scales = [_infer_scale(feat, original_input_shape) for feat in features]
    lvl_min = -tensor(scales[0], dtype=_dtype.float32).log2().item()
    lvl_max = -tensor(scales[-1], dtype=_dtype.float32).log2().item()
    return scales, initLevelMapper(int(lvl_min), int(lvl_max), canonical_scale=canonical_scale,
                                   canonical_level=canonical_level)


def _filter_input(x, featmap_names):
    return [v for k, v in x.items() if k in featmap_names]


def _multiscale_roi_align(x_filtered, boxes, output_size, sampling_ratio, scales, mapper):
    if scales is None or mapper is None:
        raise ValueError("scales and mapper should not be None")
    rois = _convert_to_roi_format(boxes)
    if len(x_filtered) == 1:
        return roi_align(x_filtered[0], rois, output_size=output_size, spatial_scale=scales[0],
                         sampling_ratio=sampling_ratio)

    levels = mapper(boxes)
    first = x_filtered[0]
    result = zeros((len(rois), first.shape[1]) + tuple(output_size), dtype=first.dtype)
    for level, (per_level_feature, scale) in enumerate(zip(x_filtered, scales)):
        idx_in_level = where(levels == level)[0]
        result_idx_in_level = roi_align(per_level_feature, rois[idx_in_level], output_size=output_size,
                                        spatial_scale=scale, sampling_ratio=sampling_ratio)
        result[idx_in_level] = result_idx_in_level.to(result.dtype)
    return result


class MultiScaleRoIAlign(nn.Module):
    """RoI Align over a feature pyramid: each box pooled from the level its size maps to (see :class:`LevelMapper`),
    the levels' scales inferred on the first call from the feature maps' sizes against the images'.

    Args:
        featmap_names (List[str]): the names of the feature maps (in the dict given to forward) to pool from.
        output_size (List[Tuple[int, int]] or List[int]): the bins of each pooled region.
        sampling_ratio (int): :func:`roi_align`'s.
        canonical_scale (int, optional): :class:`LevelMapper`'s. Default: 224
        canonical_level (int, optional): :class:`LevelMapper`'s. Default: 4

    Forward: ``(x, boxes, image_shapes)``: the feature maps by name, a Tensor[L, 4] of (x1, y1, x2, y2) boxes per
    image, and the images' (height, width) sizes.
    """

    def __init__(self, featmap_names, output_size, sampling_ratio, *, canonical_scale=224, canonical_level=4):
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales = None
        self.map_levels = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(self, x, boxes, image_shapes):
        x_filtered = _filter_input(x, self.featmap_names)
        if self.scales is None or self.map_levels is None:
            self.scales, self.map_levels = _setup_scales(x_filtered, image_shapes, self.canonical_scale,
                                                         self.canonical_level)
        return _multiscale_roi_align(x_filtered, boxes, self.output_size, self.sampling_ratio, self.scales,
                                     self.map_levels)

    def __repr__(self):
        return (f"{self.__class__.__name__}(featmap_names={self.featmap_names}, "
                f"output_size={self.output_size}, sampling_ratio={self.sampling_ratio})")

