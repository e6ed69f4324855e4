"""Serving an app from a thread of this process: for tests, benchmarks and notebooks."""
import contextlib
import socket
import threading
import time


@contextlib.contextmanager
def serving(app, host="127.0.0.1", port=0, timeout=10.0):
    """Run ``app`` under uvicorn in a daemon thread; yields its base URL and stops it on exit.

    ``port=0`` lets the system pick a free port: the socket is bound here, before the server
    starts, so nothing else can take the port in between.
    """
    import uvicorn

    listener = socket.create_server((host, port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True,
                              name="torchless-serve")
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            listener.close()
            raise RuntimeError(f"the server did not start within {timeout} s")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        listener.close()
