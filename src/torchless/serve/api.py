"""The JSON endpoints: /api/predict, /api/activations and /api/model."""
import threading

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from .engine import rounded
from .uploads import image_to_digit, read_image_bytes

# A 4096x4096 image takes seconds and a few hundred MB to bring down to 28x28: at most this many at
# once, so a burst of large uploads queues instead of exhausting memory.
MAX_DECODING = 2


class API:
    """Request handlers over one :class:`Engine`, with the upload limits of the app."""

    def __init__(self, engine, max_bytes, max_pixels):
        self.engine = engine
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self._decoding = threading.BoundedSemaphore(MAX_DECODING)

    async def predict(self, request):
        digit = await self._digit(request)
        probabilities = await run_in_threadpool(self.engine.predict, digit)
        return JSONResponse(self._prediction(probabilities))

    async def activations(self, request):
        digit = await self._digit(request)
        probabilities, calls = await run_in_threadpool(self.engine.activations, digit)
        layers = [{"name": name, "call": call, "type": kind, "shape": list(maps.shape), "values": rounded(maps)}
                  for name, call, kind, maps in calls]
        return JSONResponse({**self._prediction(probabilities), "input": rounded(digit), "layers": layers})

    async def model(self, request):
        return JSONResponse(self.engine.description)

    async def _digit(self, request):
        data, name = await read_image_bytes(request, self.max_bytes)
        # Decoding takes a while: off the event loop, like inference.
        return await run_in_threadpool(self._decode, data, name)

    def _decode(self, data, name):
        with self._decoding:
            return image_to_digit(data, name, self.max_pixels)

    def _prediction(self, probabilities):
        return {"class": int(probabilities.argmax()), "probabilities": [round(float(p), 6) for p in probabilities],
                "model": self.engine.name}
