"""Pillow, imported only when an image file is read or written, so torchless itself needs NumPy alone."""
MISSING = "reading and writing image files needs Pillow: pip install 'torchless[viz]'"


def require_pil_image():
    """``PIL.Image``, or an ImportError that says how to install Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(MISSING) from None
    return Image
