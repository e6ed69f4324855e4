"""The base of the v2 transform classes torchless defines itself."""
import enum

from ...._tensor import Tensor


class Transform:
    """What v2 transforms share: calling runs ``forward``; anything a transform does not convert passes
    through unchanged (as v2 passes through the types outside ``_transformed_types``); the repr lists the
    public attributes of plain types, as ``torchvision.transforms.v2.Transform.extra_repr`` does."""

    def __call__(self, inpt):
        return self.forward(inpt)

    def forward(self, inpt):
        return self._transform(inpt) if self._transforms(inpt) else inpt

    def _transforms(self, inpt):
        return isinstance(inpt, Tensor)

    def __repr__(self):
        plain = (bool, int, float, str, tuple, list, enum.Enum)
        extra = [f"{name}={value}" for name, value in vars(self).items()
                 if not name.startswith("_") and isinstance(value, plain)]
        return f"{type(self).__name__}({', '.join(extra)})"
