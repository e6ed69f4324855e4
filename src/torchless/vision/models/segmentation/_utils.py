"""What the segmentation models share: the backbone-and-heads model, the meta of their COCO/VOC weights, the
checks their builders make on ``weights`` / ``num_classes`` / ``aux_loss``, and the dilated ResNet backbone of FCN
and DeepLabV3."""
import functools
from collections import OrderedDict

from .... import nn
from ....nn import functional as F
from .._api import Weights
from .._meta import _VOC_CATEGORIES
from .._utils import IntermediateLayerGetter, _load_weights, _ovewrite_value_param

_RECIPES = "https://github.com/pytorch/vision/tree/main/references/segmentation#"
_COCO_VOC_DOCS = ("Trained on the images of COCO that show the 20 categories of Pascal VOC, with those categories "
                  "(and the background) as labels.")


# The Args and Shape entries of the models built on _SimpleSegmentationModel (FCN, DeepLabV3), as they stand in
# their docstrings (stripped: filled in at their indentation)
_SEGMENTATION_MODEL_DOCS = {
    "args": """
        backbone (nn.Module): computes the features: an OrderedDict with the last feature map under ``"out"``, and
            the one the auxiliary classifier reads under ``"aux"``.
        classifier (nn.Module): the dense prediction from the ``"out"`` features.
        aux_classifier (nn.Module, optional): the prediction from the ``"aux"`` features, for an auxiliary loss in
            training.
    """.strip(),
    "shape": """
        - Input: (N, 3, H, W)
        - Output: OrderedDict ``{"out": (N, num_classes, H, W)}``, with ``"aux"`` of the same shape when there is
          an auxiliary classifier.
    """.strip(),
}


class _SimpleSegmentationModel(nn.Module):
    """A backbone returning an OrderedDict of feature maps (``"out"``, and ``"aux"`` when there is an auxiliary
    classifier), a head on each, and their scores upsampled bilinearly to the input's height and width."""

    __constants__ = ["aux_classifier"]

    def __init__(self, backbone, classifier, aux_classifier=None):
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def forward(self, x):
        input_shape = x.shape[-2:]
        features = self.backbone(x)

        result = OrderedDict()
        x = self.classifier(features["out"])
        result["out"] = F.interpolate(x, size=input_shape, mode="bilinear", align_corners=False)

        if self.aux_classifier is not None:
            x = self.aux_classifier(features["aux"])
            result["aux"] = F.interpolate(x, size=input_shape, mode="bilinear", align_corners=False)

        return result


def _semantic_segmentation(**kwargs):
    """``SemanticSegmentation(**kwargs)``, imported only once the transforms are asked for (as
    ``_weights._image_classification``)."""
    from ...transforms._presets import SemanticSegmentation

    return SemanticSegmentation(**kwargs)


def _coco_voc_weights(file, num_params, miou, pixel_acc, ops, file_size, recipe_anchor, docs=_COCO_VOC_DOCS):
    """The description of torchvision's COCO-with-VOC-labels checkpoint ``file``."""
    return Weights(
        url="https://download.pytorch.org/models/" + file,
        transforms=functools.partial(_semantic_segmentation, resize_size=520),
        meta={"categories": _VOC_CATEGORIES, "min_size": (1, 1), "_docs": docs, "num_params": num_params,
              "recipe": _RECIPES + recipe_anchor,
              "_metrics": {"COCO-val2017-VOC-labels": {"miou": miou, "pixel_acc": pixel_acc}}, "_ops": ops,
              "_file_size": file_size},
    )


def _verify_segmentation_weights(weights_enum, weights, backbone_enum, weights_backbone, num_classes, aux_loss):
    """The builders' arguments checked as torchvision's builders check them: ``weights`` and ``weights_backbone``
    as members of their enums; full-model weights drop the backbone's, fix ``num_classes`` to their categories
    and ``aux_loss`` to True (their checkpoints hold the auxiliary head), refusing other values with a ValueError;
    ``num_classes`` defaults to VOC's 21."""
    weights = weights_enum.verify(weights)
    weights_backbone = backbone_enum.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
        num_classes = _ovewrite_value_param("num_classes", num_classes, len(weights.meta["categories"]))
        aux_loss = _ovewrite_value_param("aux_loss", aux_loss, True)
    elif num_classes is None:
        num_classes = 21
    return weights, weights_backbone, num_classes, aux_loss


def _resnet_layers(backbone, aux):
    """A ResNet ``backbone`` returning its layer4 (2048 channels) as ``"out"`` and, when ``aux``, its layer3 (1024)
    as ``"aux"``: where FCN and DeepLabV3 put their heads."""
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    return IntermediateLayerGetter(backbone, return_layers=return_layers)


def _dilated_resnet_model(build, resnet, weights_enum, weights, backbone_enum, weights_backbone, num_classes, aux_loss,
                          progress):
    """The FCN and DeepLabV3 ResNet builders: their arguments checked (:func:`_verify_segmentation_weights`), the
    ResNet ``resnet`` built with its last two stages dilated, ``build(backbone, num_classes, aux_loss)`` the model on
    it, ``weights`` loaded into it."""
    weights, weights_backbone, num_classes, aux_loss = _verify_segmentation_weights(
        weights_enum, weights, backbone_enum, weights_backbone, num_classes, aux_loss)
    backbone = resnet(weights=weights_backbone, replace_stride_with_dilation=[False, True, True])
    return _load_weights(build(backbone, num_classes, aux_loss), weights, progress)


_BUILDER_ARGS = """
    Args:
        weights (:class:`~torchless.vision.models.segmentation.{enum}`, optional): The pretrained weights to use;
            they fix ``num_classes`` to 21 and ``aux_loss`` to True. By default, no pre-trained weights are used.
        progress (bool, optional): If True, displays a progress bar of the download to stderr. Default is True.
        num_classes (int, optional): number of output classes of the model (including the background). Default: 21.
        aux_loss (bool, optional): If True, the model has an auxiliary classifier (output ``"aux"``).
        weights_backbone (:class:`~torchless.vision.models.{backbone_enum}`, optional): The pretrained weights for
            the backbone. Default: ``{backbone_enum}.IMAGENET1K_V1`` (downloaded once into the hub cache).
        **kwargs: unused.
    """


def _documented(summary, enum, backbone_enum):
    def decorate(fn):
        fn.__doc__ = summary + "\n" + _BUILDER_ARGS.format(enum=enum.__name__, backbone_enum=backbone_enum.__name__)
        return fn

    return decorate
