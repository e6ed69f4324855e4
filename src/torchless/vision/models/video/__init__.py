"""torchvision's video classification CNNs (``torchvision.models.video``): the 18-layer ResNets of "A Closer Look at
Spatiotemporal Convolutions for Action Recognition" (R3D, MC3, R(2+1)D) and S3D, with torchvision's module trees,
state_dict keys, initialisation, builders and ``*_Weights`` enums (Kinetics-400's 400 actions).

The models take clips of shape (N, 3, T, H, W) and return (N, num_classes) scores; ``weights.transforms()`` turns
(..., T, C, H, W) frames into such clips.
"""
from .resnet import (
    MC3_18_Weights, R2Plus1D_18_Weights, R3D_18_Weights, VideoResNet, mc3_18, r2plus1d_18, r3d_18,
)
from .s3d import S3D, S3D_Weights, s3d

__all__ = [
    "VideoResNet", "R3D_18_Weights", "MC3_18_Weights", "R2Plus1D_18_Weights", "r3d_18", "mc3_18", "r2plus1d_18",
    "S3D", "S3D_Weights", "s3d",
]
