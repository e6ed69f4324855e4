"""The base of the v2 transform classes torchless defines itself."""
from ...._tensor import Tensor
from ._repr import module_repr, plain_extra_repr


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

    def extra_repr(self):
        return plain_extra_repr((name, value) for name, value in vars(self).items() if not name.startswith("_"))

    def __repr__(self):
        return module_repr(self)
