"""Pillow, imported only when an image file is read or written or a PIL image is made, so torchless itself
needs NumPy alone."""


def require_pil_image(need="reading and writing image files"):
    """``PIL.Image``, or an ImportError that says what needs Pillow and how to install it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{need} needs Pillow: pip install 'torchless[viz]'") from None
    return Image


def is_pil_image(obj):
    """Whether ``obj`` is a PIL image, told by its class's module so that asking never imports Pillow."""
    return type(obj).__module__.startswith("PIL.") and hasattr(obj, "getbands")


def pil_image_or_none():
    """``PIL.Image`` if Pillow is importable, else None (for results that are PIL images only when it is)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image
