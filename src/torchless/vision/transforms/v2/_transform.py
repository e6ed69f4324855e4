"""The base of v2's transforms: a call takes one input or several, each any structure of lists, tuples and dicts
(``t(img)``, ``t(img, target)``, ``t({"image": img, "boxes": boxes})``), flattens it, transforms the leaves the
transform acts on with parameters drawn once for the whole sample (so that an image and its boxes and masks are
cropped alike), passes the others through and rebuilds the structure, as ``torchvision.transforms.v2.Transform``.

Which leaves are transformed: those of ``_transformed_types`` (tensors, tv_tensors and PIL images by default),
except that a pure tensor (not a TVTensor) is an image only when the sample holds no ``tv_tensors.Image``,
``tv_tensors.Video`` or PIL image, and then only the first one met (depth first); the others pass through."""
from ...._tensor import Tensor
from ..._pillow import is_pil_image
from ... import tv_tensors as tv
from .._transform_base import TransformModule
from ._repr import module_repr, plain_extra_repr
from ._utils import check_type, has_any, is_pure_tensor, tree_flatten, tree_unflatten


def image_leaf(inpt, function, videos=True):
    """``function`` (of a plain tensor or PIL image) applied to an image leaf: an Image or Video (unless not
    ``videos``) as its plain tensor, re-wrapped; the other tv_tensors (masks, boxes) pass through."""
    if isinstance(inpt, tv.TVTensor):
        if not isinstance(inpt, (tv.Image, tv.Video) if videos else tv.Image):
            return inpt
        return tv.wrap(function(tv._pure(inpt)), like=inpt)
    return function(inpt)


class SampleTransform:
    """Mixin running a transform over a sample: ``__call__(*inputs)`` flattens the inputs, asks ``make_params``
    for the random parameters of the leaves to transform, and calls ``transform(leaf, params)`` on each.

    A transform that defines neither (one built on a v1 class, whose ``forward`` draws its parameters and changes
    one image) has its ``forward`` run on each image leaf (a plain tensor's view of an Image or Video, re-wrapped
    afterwards), and masks and boxes passed through: the colour transforms' behaviour."""

    _transformed_types = (Tensor, is_pil_image)

    def __call__(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(sample)
        self.check_inputs(flat_inputs)
        if not self._draw_applies():
            return sample
        needs_transform_list = self._needs_transform_list(flat_inputs)
        params = self.make_params([inpt for inpt, needs in zip(flat_inputs, needs_transform_list) if needs])
        flat_outputs = [self.transform(inpt, params) if needs else inpt
                        for inpt, needs in zip(flat_inputs, needs_transform_list)]
        return tree_unflatten(flat_outputs, spec)

    def _draw_applies(self):
        """Whether the transform applies this time: v2's random-apply transforms draw ``torch.rand(1) >= p``
        once per call, before anything else (``_v2_random_apply`` names them)."""
        if getattr(self, "_v2_random_apply", False):
            from .._transform_base import _rand

            return not _rand() >= self.p
        return True

    def check_inputs(self, flat_inputs):
        pass

    def make_params(self, flat_inputs):
        return {}

    # whether the transform changes videos too (v2's grayscale conversions have no video kernel)
    _transforms_videos = True

    def transform(self, inpt, params):
        return image_leaf(inpt, self._transform_one, self._transforms_videos)

    def _transform_one(self, inpt):
        if hasattr(self, "_transform"):  # torchless's transforms of one image
            return self._transform(inpt)
        return self.forward(inpt)

    def _call_kernel(self, functional, inpt, *args, **kwargs):
        from ._tv_kernels import get_kernel

        return get_kernel(functional, type(inpt), allow_passthrough=True)(inpt, *args, **kwargs)

    def _needs_transform_list(self, flat_inputs):
        needs_transform_list = []
        transform_pure_tensor = not has_any(flat_inputs, tv.Image, tv.Video, is_pil_image)
        for inpt in flat_inputs:
            needs_transform = True
            if not check_type(inpt, self._transformed_types):
                needs_transform = False
            elif is_pure_tensor(inpt):
                if transform_pure_tensor:
                    transform_pure_tensor = False
                else:
                    needs_transform = False
            needs_transform_list.append(needs_transform)
        return needs_transform_list


class _V2TransformType(type):
    """The type of ``Transform``: every v2 transform is a ``v2.Transform``, as in torchvision, including those built
    on v1's classes (which take their machinery from v1 and SampleTransform rather than from Transform) and the
    user's subclasses of them; v1's transforms are not."""

    def __subclasscheck__(cls, subclass):
        if type.__subclasscheck__(cls, subclass):
            return True
        return cls is Transform and isinstance(subclass, type) and issubclass(subclass, TransformModule) and any(
            getattr(base, "__module__", "").startswith(__package__) for base in subclass.__mro__)

    def __instancecheck__(cls, instance):
        return cls.__subclasscheck__(type(instance))


class Transform(SampleTransform, TransformModule, metaclass=_V2TransformType):
    """The base of v2 transforms (``torchvision.transforms.v2.Transform``): subclasses define
    ``make_params(flat_inputs)`` (the random parameters, drawn once per call) and ``transform(inpt, params)``
    (one leaf); ``_transformed_types`` says which leaves are transformed (the others pass through). The repr
    lists the public attributes of plain types, as torchvision's ``extra_repr`` does."""

    def forward(self, *inputs):
        return SampleTransform.__call__(self, *inputs)

    def __call__(self, *inputs):
        return self.forward(*inputs)

    def _transform_one(self, inpt):
        if hasattr(self, "_transform"):
            return self._transform(inpt)
        raise NotImplementedError

    def extra_repr(self):
        return plain_extra_repr((name, value) for name, value in vars(self).items()
                                if not name.startswith("_") and name != "training")

    def __repr__(self):
        return module_repr(self)
