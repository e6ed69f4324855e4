"""FakeData: random images with torchvision's interface, for trying a pipeline without any data on disk."""
from .. import transforms
from .vision import VisionDataset


class FakeData(VisionDataset):
    """A dataset of ``size`` random images, each drawn afresh from a generator seeded by its index.

    Item ``i`` is always the same image and target (independent of the global random state, which is
    saved and restored around the draw), as in torchvision; the pixel values differ from torchvision's
    because torchless's random streams are its own.

    Args:
        size (int, optional): number of items. Default: 1000.
        image_size (tuple, optional): ``(C, H, W)`` of every image. Default: ``(3, 224, 224)``.
        num_classes (int, optional): targets are drawn from ``range(num_classes)``. Default: 10.
        transform (callable, optional): applied to the PIL image (e.g. ``transforms.ToTensor()``).
        target_transform (callable, optional): applied to the target.
        random_offset (int, optional): added to the index to form the seed. Default: 0.

    Items are ``(image, target)``: a PIL image (mode ``"RGB"`` for 3 channels, ``"L"`` for 1) of standard
    normal values scaled by 255 and cast to bytes as ``ToPILImage`` does, and an ``int``.
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        import torchless

        state = torchless.get_rng_state()
        try:
            torchless.manual_seed(index + self.random_offset)
            image = torchless.randn(*self.image_size)
            target = torchless.randint(0, self.num_classes, size=(1,), dtype=torchless.long)[0]
        finally:
            torchless.set_rng_state(state)
        image = transforms.ToPILImage()(image)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target.item()

    def __len__(self):
        return self.size
