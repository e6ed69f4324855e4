"""One model behind a lock: predictions, activation maps, and the summary and filters of the page."""
import threading

import numpy as np

from ..cli.predict import predict_arrays

DECIMALS = 4  # activation and filter values: enough for a colour scale, small JSON


class Engine:
    """Runs ``model`` for one request at a time.

    Forward hooks live on the shared model and grad mode is process-wide, so two requests must
    never run the model at once: every call takes ``self._lock``. Preprocessing happens outside it.
    """

    def __init__(self, model, name, checkpoint=None):
        self.model = model.eval()
        self.name = name
        self._lock = threading.Lock()
        self._windows = [(label, module) for label, module in model.named_modules() if _is_window(module)]
        self.description = self._describe(checkpoint or {})

    def predict(self, digit):
        """Class probabilities (10,) for one (28, 28) MNIST-like array in [0, 1]."""
        with self._lock:
            return predict_arrays(self.model, [digit])[0]

    def activations(self, digit):
        """The probabilities and, for each convolution/pooling call in order, (name, call, type, maps (C, H, W))."""
        calls, counts = [], {}

        def keep(label):
            def hook(module, args, output):
                counts[label] = counts.get(label, 0) + 1
                calls.append((label, counts[label], type(module).__name__, output.detach().numpy()[0]))
            return hook

        with self._lock:
            handles = [module.register_forward_hook(keep(label)) for label, module in self._windows]
            try:
                probabilities = predict_arrays(self.model, [digit])[0]
            finally:
                for handle in handles:
                    handle.remove()
        return probabilities, calls

    def _describe(self, checkpoint):
        from .. import summary

        with self._lock:
            table = summary(self.model, input_size=(1, 1, 28, 28), verbose=0)
        layers = [{"name": layer.name, "type": layer.class_name, "depth": layer.depth,
                   "output_shape": layer.output_shape, "params": layer.num_params, "mult_adds": layer.mult_adds,
                   "receptive_field": _list(layer.receptive_field), "jump": _list(layer.jump)}
                  for layer in table.layers]
        filters = [{"name": label, "shape": list(module.weight.shape), "values": rounded(module.weight.detach().numpy())}
                   for label, module in self._windows if hasattr(module, "weight")]
        history = checkpoint.get("history") or []
        return {"model": self.name, "epochs": checkpoint.get("epoch"),
                "test_accuracy": history[-1].get("test_accuracy") if history else None,
                "summary": {"text": str(table), "layers": layers, "total_params": table.total_params,
                            "trainable_params": table.trainable_params, "total_mult_adds": table.total_mult_adds},
                "filters": filters}


def _is_window(module):
    """A 2-D convolution or pooling layer: its outputs are maps worth drawing."""
    from .. import nn

    windows = (nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
    return isinstance(module, windows)


def rounded(array):
    """Nested lists of floats rounded for JSON (float64 first, so 0.1234 is not printed as 0.12340000271797180)."""
    return np.round(np.asarray(array, np.float64), DECIMALS).tolist()


def _list(values):
    return list(values) if values is not None else None
