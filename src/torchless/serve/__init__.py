"""``torchless serve``: a local web page to draw a digit and watch a CNN decide, and the JSON API it uses.

Needs the ``[serve]`` extra (Starlette, uvicorn, Pillow, python-multipart)::

    from torchless.serve import create_app
    import uvicorn
    uvicorn.run(create_app("runs/course.ckpt"), host="127.0.0.1", port=8000)

Endpoints (every error is ``{"error": "..."}`` with a 4xx status):

- ``GET /``: the page (plain HTML, JavaScript and CSS, nothing fetched from elsewhere).
- ``POST /api/predict``: a PNG/JPEG body (``Content-Type: image/png`` or ``image/jpeg``) or a
  ``multipart/form-data`` upload with a ``file`` field -> ``{"class", "probabilities", "model"}``.
- ``POST /api/activations``: the same input -> the prediction, the 28x28 input the network sees,
  and the maps of every convolution and pooling call.
- ``GET /api/model``: the summary table (text and numbers) and the convolution filters.
"""
from .app import create_app, default_checkpoint

__all__ = ["create_app", "default_checkpoint"]
