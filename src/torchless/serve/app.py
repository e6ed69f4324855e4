"""The ASGI application: the page, its static files and the JSON API, over one model."""
import pathlib

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..cli.checkpoint import load_checkpoint, model_from_checkpoint
from ..cli.errors import CLIError
from .api import API
from .engine import Engine
from .errors import APIError

STATIC = pathlib.Path(__file__).resolve().parent / "static"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
# Everything the page needs comes from this server; canvases export data: and blob: URLs.
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:",
                "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


def default_checkpoint():
    """The course CNN checkpoint shipped with torchless."""
    from .. import models

    try:
        return models.pretrained_path("course")
    except ValueError:
        raise CLIError("the bundled course CNN checkpoint is missing: pass one written by 'torchless train', "
                       "e.g. torchless serve runs/course.ckpt") from None


def create_app(checkpoint=None, *, model=None, name=None, max_upload_bytes=MAX_UPLOAD_BYTES, max_pixels=MAX_PIXELS):
    """The Starlette app serving the drawing page and the JSON API for one model.

    Args:
        checkpoint (str): a checkpoint written by ``torchless train`` (default: the bundled course CNN).
        model (nn.Module): a model to serve instead of a checkpoint's (``name`` labels it).
        max_upload_bytes (int): larger request bodies get 413 before they are read in full.
        max_pixels (int): images whose header claims more pixels get 413 before they are decoded.

    Raises:
        CLIError: the checkpoint cannot be read or does not match its model.
    """
    if model is None:
        path = checkpoint or default_checkpoint()
        saved = load_checkpoint(path)
        engine = Engine(model_from_checkpoint(saved, path), saved["model"], saved)
    else:
        engine = Engine(model, name or type(model).__name__)
    api = API(engine, max_upload_bytes, max_pixels)
    routes = [
        Route("/", page),
        Route("/api/predict", api.predict, methods=["POST"]),
        Route("/api/activations", api.activations, methods=["POST"]),
        Route("/api/model", api.model, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers = {APIError: api_error, HTTPException: http_error, Exception: internal_error}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.engine = engine
    return app


async def page(request):
    return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)


async def api_error(request, err):
    return JSONResponse({"error": err.message}, status_code=err.status)


async def http_error(request, err):
    """Unknown paths and wrong methods answer in JSON like every other error."""
    return JSONResponse({"error": err.detail}, status_code=err.status_code, headers=err.headers)


async def internal_error(request, err):
    return JSONResponse({"error": f"internal error: {type(err).__name__}"}, status_code=500)
