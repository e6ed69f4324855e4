"""What the video models share: the meta of their Kinetics-400 weights and the transforms they were evaluated with."""
import functools

from .._api import Weights
from .._meta import _KINETICS400_CATEGORIES

_RECIPE = "https://github.com/pytorch/vision/tree/main/references/video_classification"


def _video_classification(**kwargs):
    """``VideoClassification(**kwargs)``, imported only once the transforms are asked for (as
    ``_weights._image_classification``)."""
    from ...transforms._presets import VideoClassification

    return VideoClassification(**kwargs)


def _kinetics_weights(file, meta, crop_size, resize_size):
    """The description of torchvision's Kinetics-400 checkpoint ``file``; ``meta`` holds what is not common to all,
    in torchvision's key order."""
    return Weights(
        url="https://download.pytorch.org/models/" + file,
        transforms=functools.partial(_video_classification, crop_size=crop_size, resize_size=resize_size),
        meta=meta,
    )


def _resnet_weights(file, num_params, acc1, acc5, ops, file_size):
    """The weights of one of the 18-layer video ResNets (their meta keys in torchvision's order)."""
    meta = {
        "min_size": (1, 1),
        "categories": _KINETICS400_CATEGORIES,
        "recipe": _RECIPE,
        "_docs": ("The weights reproduce closely the accuracy of the paper. The accuracies are estimated on "
                  "video-level with parameters `frame_rate=15`, `clips_per_video=5`, and `clip_len=16`."),
        "num_params": num_params,
        "_metrics": {"Kinetics-400": {"acc@1": acc1, "acc@5": acc5}},
        "_ops": ops,
        "_file_size": file_size,
    }
    return _kinetics_weights(file, meta, (112, 112), (128, 171))


_BUILDER_ARGS = """
    Args:
        weights (:class:`~torchless.vision.models.video.{enum}`, optional): The pretrained weights to use (they fix
            ``num_classes`` to 400). By default, no pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        **kwargs: passed to :class:`{model}` ({arguments}).
    """


def _documented(summary, enum, model, arguments):
    def decorate(fn):
        fn.__doc__ = summary + "\n" + _BUILDER_ARGS.format(enum=enum.__name__, model=model, arguments=arguments)
        return fn

    return decorate
