"""v2's ``MixUp`` and ``CutMix``: batch-level augmentations of ``(images, labels)`` after the DataLoader.

The sample is walked as v2 walks it (``mixup(images, labels)``, ``mixup((images, labels))``, a dict with a
label-like key): the images are its ``tv_tensors.Image`` / ``Video`` batches, or else its first pure tensor.
The mixing weight is drawn from Beta(``alpha``, ``alpha``) as torchvision draws it, from torch's stream."""
import math
from collections.abc import Mapping

import numpy as np

from ..._pillow import is_pil_image
from .._transform_base import _randint
from ._transform import Transform
from .functional import Tensor


def _find_labels(inputs):
    """v2's default ``labels_getter``: the second item of a list or tuple (a tensor, or a dict holding one under
    a label-like key), or such a dict itself."""
    from ._utils import is_pure_tensor

    if isinstance(inputs, (tuple, list)):
        inputs = inputs[1]
    if is_pure_tensor(inputs):
        return inputs
    if not isinstance(inputs, Mapping):
        raise ValueError("When using the default labels_getter, the input passed to forward must be a dictionary or "
                         f"a two-tuple whose second item is a dictionary or a tensor, but got {inputs} instead.")
    keys = [key for key in inputs if key.lower() == "labels"] or [key for key in inputs if "label" in key.lower()]
    if not keys:
        raise ValueError("Could not infer where the labels are in the sample. Try passing a callable as the "
                         "labels_getter parameter?If there are no labels in the sample by design, pass "
                         "labels_getter=None.")
    return inputs[keys[0]]


def _parse_labels_getter(labels_getter):
    if isinstance(labels_getter, str) and labels_getter == "default":
        return _find_labels
    if callable(labels_getter):
        return labels_getter
    if labels_getter is None:
        return lambda _: None
    raise ValueError(f"labels_getter should either be 'default', a callable, or None, but got {labels_getter}.")


class _BaseMixUpCutMix(Transform):
    def __init__(self, *, alpha=1.0, num_classes=None, labels_getter="default"):
        from ...._creation import tensor

        self.alpha = float(alpha)
        self._alpha_dtype = tensor([alpha]).dtype
        if not self.alpha > 0:
            # the check of torch.distributions.Beta, a Dirichlet of concentration [[alpha, alpha]] underneath
            raise ValueError("Expected parameter concentration (Tensor of shape (1, 2)) of distribution "
                             "Dirichlet(concentration: torch.Size([1, 2])) to satisfy the constraint "
                             "IndependentConstraint(GreaterThan(lower_bound=0.0), 1), but found invalid values:\n"
                             f"{tensor([[alpha, alpha]])!r}")
        self.num_classes = num_classes
        self._labels_getter = _parse_labels_getter(labels_getter)

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def forward(self, *inputs):
        from ... import tv_tensors as tv
        from ._utils import has_any, tree_flatten, tree_unflatten

        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat, spec = tree_flatten(inputs)
        needs_transform_list = self._needs_transform_list(flat)
        if has_any(flat, is_pil_image, tv.BoundingBoxes, tv.Mask, tv.KeyPoints):
            raise ValueError(f"{type(self).__name__}() does not support PIL images, bounding boxes, keypoints and "
                             "masks.")
        labels = self._labels_getter(inputs)
        if not isinstance(labels, Tensor):
            raise ValueError(f"The labels must be a tensor, but got {type(labels)} instead.")
        if labels.ndim not in (1, 2):
            raise ValueError("labels should be index based with shape (batch_size,) or probability based with shape "
                             f"(batch_size, num_classes), but got a tensor of shape {labels.shape} instead.")
        if labels.ndim == 2 and self.num_classes is not None and labels.shape[-1] != self.num_classes:
            raise ValueError("When passing 2D labels, the number of elements in last dimension must match "
                             f"num_classes: {labels.shape[-1]} != {self.num_classes}. You can Leave num_classes to "
                             "None.")
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be passed if the labels are index-based (1D)")
        # the images (v2's heuristic: Images and Videos, else the first pure tensor) and the labels are mixed
        params = self.make_params([leaf for leaf, needs in zip(flat, needs_transform_list) if needs])
        params.update(labels=labels, batch_size=labels.shape[0])
        out = [self.transform(leaf, params) if needs or leaf is labels else leaf
               for leaf, needs in zip(flat, needs_transform_list)]
        return tree_unflatten(out, spec)

    def transform(self, inpt, params):
        from ._transform import image_leaf

        if inpt is params["labels"]:
            return self._mixup_label(inpt, self._label_weight(params))
        self._check_image(inpt, params["batch_size"])
        return image_leaf(inpt, lambda images: self._mix(images, params))

    def _draw_lambda(self):
        # torchvision's ``Beta(tensor([alpha]), tensor([alpha])).sample(())``: a float32 two-class Dirichlet draw
        from ....random import sample_dirichlet
        from ..autoaugment import check_dirichlet_dtype

        check_dirichlet_dtype(self._alpha_dtype)  # Beta(tensor([alpha]), ...) of an int alpha samples Long
        return float(sample_dirichlet(np.full((1, 2), self.alpha, np.float32))[0, 0])

    @staticmethod
    def _check_image(inpt, batch_size):
        if inpt.ndim != 4:
            raise ValueError(f"Expected a batched input with 4 dims, but got {inpt.ndim} dimensions instead.")
        if inpt.shape[0] != batch_size:
            raise ValueError("The batch size of the image or video does not match the batch size of the labels: "
                             f"{inpt.shape[0]} != {batch_size}.")

    def _mixup_label(self, label, lam):
        from ....nn.functional import one_hot

        if label.ndim == 1:
            label = one_hot(label, num_classes=self.num_classes)
        if not label.dtype.is_floating_point:
            label = label.float()
        return label.roll(1, 0).mul_(1.0 - lam).add_(label.mul(lam))


class MixUp(_BaseMixUpCutMix):
    """Blend each image (and its one-hot label) with the previous one in the batch (rolled by one), the weight
    ``lam`` drawn from Beta(``alpha``, ``alpha``): ``lam * x + (1 - lam) * x.roll(1, 0)``.

    Args:
        alpha (float): the Beta distribution's parameter. Default: 1.
        num_classes (int, optional): the number of classes, needed for index labels (one-hot encoded).
        labels_getter ("default", callable or None): where the labels are in the sample.
    """

    def make_params(self, flat_inputs):
        return {"lam": self._draw_lambda()}

    @staticmethod
    def _label_weight(params):
        return params["lam"]

    @staticmethod
    def _mix(inpt, params):
        lam = params["lam"]
        return inpt.roll(1, 0).mul_(1.0 - lam).add_(inpt.mul(lam))


class CutMix(_BaseMixUpCutMix):
    """Paste into each image a box of the previous image in the batch (rolled by one): the box's side is
    ``sqrt(1 - lam)`` of the image's, ``lam`` drawn from Beta(``alpha``, ``alpha``), its centre uniform over the
    image (clipped at the borders); the labels are mixed by the area actually kept.

    Args: as ``MixUp``'s.
    """

    def make_params(self, flat_inputs):
        if not flat_inputs:
            raise TypeError("No image, video, mask, bounding box of keypoint was found in the sample")
        lam = self._draw_lambda()
        height, width = flat_inputs[0].shape[-2:]
        r_x, r_y = _randint(0, width), _randint(0, height)
        r = 0.5 * math.sqrt(1.0 - lam)
        r_w_half, r_h_half = int(r * width), int(r * height)
        x1, y1 = max(r_x - r_w_half, 0), max(r_y - r_h_half, 0)
        x2, y2 = min(r_x + r_w_half, width), min(r_y + r_h_half, height)
        return {"box": (x1, y1, x2, y2), "lam_adjusted": float(1.0 - (x2 - x1) * (y2 - y1) / (width * height))}

    @staticmethod
    def _label_weight(params):
        return params["lam_adjusted"]

    @staticmethod
    def _mix(inpt, params):
        x1, y1, x2, y2 = params["box"]
        output = inpt.clone()
        output[..., y1:y2, x1:x2] = inpt.roll(1, 0)[..., y1:y2, x1:x2]
        return output
