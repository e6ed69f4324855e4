"""``torchless serve [MODEL]``: a local web page to draw a digit and watch the CNN decide."""
import importlib.util
import os
import socket

from .errors import CLIError

# import name -> what to tell the user is missing
SERVE_MODULES = {"starlette": "starlette", "uvicorn": "uvicorn", "python_multipart": "python-multipart",
                 "PIL": "pillow"}


def add_parser(subparsers):
    p = subparsers.add_parser("serve", help="a local web page: draw a digit, watch the CNN decide",
                              description="Serve a page where you draw a digit (or drop an image) and see the "
                                          "prediction, the class probabilities, the activation maps of every "
                                          "convolution and pooling layer, and the filters; plus the JSON API the "
                                          "page uses (/api/predict, /api/activations, /api/model).")
    p.add_argument("model", metavar="MODEL", nargs="?",
                   help="checkpoint written by 'torchless train' (default: the bundled course CNN)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    p.set_defaults(run=run)


def run(args):
    missing = [package for module, package in SERVE_MODULES.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise CLIError(f"the web page needs the serve extra (missing {', '.join(missing)}): "
                       "pip install 'torchless[serve]'")
    import uvicorn

    from ..serve import create_app, default_checkpoint

    path = args.model or default_checkpoint()
    app = create_app(path)
    listener = listen(args.host, args.port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    port = listener.getsockname()[1]  # the one the system chose for --port 0
    print(f"torchless serve: the {app.state.engine.name} CNN from {path} at http://{host}:{port}/ "
          "(Ctrl-C stops)", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:  # uvicorn shuts down cleanly on Ctrl-C, then raises it again
        pass
    print("torchless serve: stopped")
    return 0


def listen(host, port):
    """A listening socket, bound here so that a busy port is one clear error line rather than a log trace."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except socket.gaierror as err:
        raise CLIError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    except (OSError, OverflowError) as err:
        # create_server's own message repeats the address; the errno's text is the reason
        reason = os.strerror(err.errno) if getattr(err, "errno", None) else str(err)
        raise CLIError(f"cannot listen on {host}:{port}: {reason}") from None
