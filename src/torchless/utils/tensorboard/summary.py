"""Pure functions that turn arrays and numbers into TensorBoard ``Summary`` protocol buffers.

Each function returns what ``torch.utils.tensorboard.summary`` returns for the same input: the same tags, plugin
names, proto fields, pixel and bucket arithmetic, so that TensorBoard shows a torchless run exactly as it shows a
PyTorch run. Inputs may be torchless tensors (detached first), NumPy arrays or Python numbers.

Deliberate differences, where PyTorch's output cannot be read back or PyTorch fails obscurely:

* :func:`tensor_proto` stores float16 values as the IEEE half bit patterns the ``half_val`` field is defined to
  hold, and uint8 values in ``int_val``; PyTorch writes float32 bit patterns into ``half_val`` and uint8 values
  into ``uint32_val``, which TensorBoard's ``make_ndarray`` cannot decode. It also takes NumPy arrays and numbers.
* an image layout of 1 or 5+ letters raises ``AssertionError`` naming the layouts (PyTorch: ``AttributeError``
  on ``None``); a mesh that is not (batch, points, 3) raises ``ValueError`` (PyTorch: ``IndexError``, or drops
  the extra dimensions).
"""
import io
import json
import logging
import math

import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

__all__ = ["hparams", "scalar", "histogram_raw", "histogram", "make_histogram", "image", "image_boxes",
           "draw_boxes", "make_image", "video", "make_video", "audio", "custom_scalars", "text", "tensor_proto",
           "pr_curve_raw", "pr_curve", "compute_curve", "mesh", "make_np", "convert_to_HWC", "make_grid",
           "figure_to_image", "default_bins"]

logger = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------- conversions
def _is_torchless_tensor(x):
    from ..._tensor import Tensor
    return isinstance(x, Tensor)


def make_np(x):
    """``x`` as a NumPy array: arrays pass through, a scalar becomes a 1-element array, a tensor is detached."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if _is_torchless_tensor(x):
        return x.detach().numpy()
    # PyTorch's wording, torch tensor included: a user's code reads the same whichever package it imports.
    raise NotImplementedError(f"Got {type(x)}, but numpy array or torch tensor are expected.")


def default_bins():
    """The bucket edges of ``bins='tensorflow'``: +-1e-12 growing by 10% up to 1e20, and zero (TensorFlow's)."""
    global _DEFAULT_BINS
    if _DEFAULT_BINS is None:
        positive = []
        edge = 1e-12
        # Repeated multiplication (not 1.1 ** k) gives the very floats PyTorch's writer uses.
        while edge < 1e20:
            positive.append(edge)
            edge *= 1.1
        _DEFAULT_BINS = [-e for e in reversed(positive)] + [0] + positive
    return _DEFAULT_BINS


_DEFAULT_BINS = None


def make_grid(images, ncols=8):
    """Tile an NCHW array (C of 1 or 3) into one 3xHxW canvas, ``ncols`` images a row, row-major, no padding."""
    if not isinstance(images, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if images.shape[1] == 1:
        images = np.concatenate([images] * 3, axis=1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = math.ceil(float(n) / ncols)
    canvas = np.zeros((3, h * nrows, w * ncols), dtype=images.dtype)
    for k in range(n):
        row, col = divmod(k, ncols)
        canvas[:, row * h:(row + 1) * h, col * w:(col + 1) * w] = images[k]
    return canvas


def convert_to_HWC(tensor, input_format):  # noqa: N802 (PyTorch's name)
    """An image array laid out as ``input_format`` (NCHW/CHW/HWC/HW in any order) as one HxWx3 (or x4) array."""
    if len(set(input_format)) != len(input_format):
        raise AssertionError("You can not use the same dimension shorthand twice. " + " " * 12
                             + f"input_format: {input_format}")
    if len(tensor.shape) != len(input_format):
        raise AssertionError("size of input tensor and input format are different. " + " " * 8
                             + f"tensor shape: {tensor.shape}, input_format: {input_format}")
    input_format = input_format.upper()
    if len(input_format) == 4:
        nchw = tensor.transpose([input_format.find(c) for c in "NCHW"])
        return make_grid(nchw).transpose(1, 2, 0)
    if len(input_format) == 3:
        hwc = tensor.transpose([input_format.find(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc] * 3, axis=2)
        return hwc
    if len(input_format) == 2:
        hw = tensor.transpose([input_format.find(c) for c in "HW"])
        return np.stack([hw] * 3, axis=2)
    # PyTorch has no layout of 1 or 5+ letters and fails later on the missing image; say so here instead.
    raise AssertionError(f"input_format should have 2, 3 or 4 letters (HW, CHW or NCHW), got: {input_format}")


def _to_uint8(array):
    """Floats are taken to be in [0, 1] and scaled by 255; uint8 is kept. Truncated toward zero, as PyTorch."""
    scale = 1 if array.dtype == np.uint8 else 255
    return (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def figure_to_image(figures, close=True):
    """Render a matplotlib figure to a CHW uint8 RGB array (a list of figures to an NCHW array)."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def render(figure):
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        width, height = figure.canvas.get_width_height()
        rgba = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8).reshape(height, width, 4)
        if close:
            plt.close(figure)
        return np.moveaxis(rgba[:, :, :3], 2, 0)

    if isinstance(figures, list):
        return np.stack([render(f) for f in figures])
    return render(figures)


# ----------------------------------------------------------------------------------------------- scalars
def scalar(name, tensor, collections=None, new_style=False, double_precision=False):
    """A one-element value as a scalar summary: ``simple_value``, or with ``new_style`` a scalars-plugin tensor."""
    array = make_np(tensor).squeeze()
    if array.ndim != 0:
        raise AssertionError("Tensor should contain one element (0 dimensions). " + " " * 12
                             + f"Was given size: {array.size} and {array.ndim} dimensions.")
    value = float(array)
    if not new_style:
        return Summary(value=[Summary.Value(tag=name, simple_value=value)])
    if double_precision:
        proto = TensorProto(double_val=[value], dtype="DT_DOUBLE")
    else:
        proto = TensorProto(float_val=[value], dtype="DT_FLOAT")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=name, tensor=proto, metadata=metadata)])


# NumPy dtype -> (TensorProto dtype, the repeated field that holds the values)
_PROTO_TYPES = {
    np.dtype(np.float16): ("DT_HALF", "half_val"),
    np.dtype(np.float32): ("DT_FLOAT", "float_val"),
    np.dtype(np.float64): ("DT_DOUBLE", "double_val"),
    np.dtype(np.int8): ("DT_INT8", "int_val"),
    np.dtype(np.uint8): ("DT_UINT8", "int_val"),
    np.dtype(np.int16): ("DT_INT16", "int_val"),
    np.dtype(np.int32): ("DT_INT32", "int_val"),
    np.dtype(np.int64): ("DT_INT64", "int64_val"),
    np.dtype(np.bool_): ("DT_BOOL", "bool_val"),
    np.dtype(np.complex64): ("DT_COMPLEX64", "scomplex_val"),
    np.dtype(np.complex128): ("DT_COMPLEX128", "dcomplex_val"),
}


def _as_array_for_tensor_proto(tensor):
    if _is_torchless_tensor(tensor):
        return tensor.detach().numpy(), tensor.dtype
    if isinstance(tensor, np.ndarray):
        return tensor, tensor.dtype
    if isinstance(tensor, (bool, int, float, np.generic)):
        # a number is stored as the tensor torch.tensor(number) would make (float32, int64 or bool)
        from ... import tensor as _make_tensor
        t = _make_tensor(tensor)
        return t.numpy(), t.dtype
    raise NotImplementedError(f"Got {type(tensor)}, but numpy array or torch tensor are expected.")


def tensor_proto(tag, tensor):
    """A tensor stored whole (shape, dtype and every value) for the ``tensor`` plugin."""
    array, shown_dtype = _as_array_for_tensor_proto(tensor)
    if array.size * array.itemsize >= 1 << 31:
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    kind = _PROTO_TYPES.get(array.dtype)
    if kind is None:
        raise ValueError(f"{tag} has unsupported tensor dtype {shown_dtype}")
    proto_dtype, field = kind
    flat = np.ascontiguousarray(array).reshape(-1)
    if field == "half_val":
        values = flat.view(np.uint16).tolist()
    elif field in ("scomplex_val", "dcomplex_val"):
        values = flat.view(flat.real.dtype).tolist()  # real and imaginary parts interleaved
    else:
        values = flat.tolist()
    proto = TensorProto(dtype=proto_dtype,
                        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in array.shape]),
                        **{field: values})
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="tensor"))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=proto)])


# ----------------------------------------------------------------------------------------------- histograms
def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):  # noqa: A002
    """A histogram from statistics the caller has already computed."""
    hist = HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                          bucket_limit=bucket_limits, bucket=bucket_counts)
    return Summary(value=[Summary.Value(tag=name, histo=hist)])


def histogram(name, values, bins, max_bins=None):
    """A histogram of ``values`` (any shape, flattened) with NumPy's ``bins`` (edges, a count or a rule name)."""
    values = make_np(values)
    return Summary(value=[Summary.Value(tag=name, histo=make_histogram(values.astype(float), bins, max_bins))])


def make_histogram(values, bins, max_bins=None):
    """The ``HistogramProto`` of float64 ``values``: buckets from NumPy, merged down to ``max_bins``, trimmed.

    ``bucket_limit[i]`` is the right edge of bucket ``i``. Empty buckets at both ends are dropped except the one
    just before the first filled bucket, whose right edge is where the data starts (TensorBoard's convention).
    """
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    n = len(counts)
    if max_bins is not None and n > max_bins:
        group = n // max_bins
        short = n % group
        if short:
            counts = np.concatenate([counts, np.zeros(group - short, dtype=counts.dtype)])
        counts = counts.reshape(-1, group).sum(axis=-1)
        limits = np.concatenate([limits[:-1:group], limits[-1:]])
    filled_so_far = np.cumsum(counts > 0)
    start = int(np.searchsorted(filled_so_far, 0, side="right"))  # index of the first filled bucket
    end = int(np.searchsorted(filled_so_far, filled_so_far[-1] - 1, side="right")) + 1  # one past the last
    if start > 0:
        counts = counts[start - 1:end]
    else:
        counts = np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return HistogramProto(min=values.min(), max=values.max(), num=len(values), sum=values.sum(),
                          sum_squares=values.dot(values), bucket_limit=limits.tolist(), bucket=counts.tolist())


# ----------------------------------------------------------------------------------------------- images
def image(tag, tensor, rescale=1, dataformats="NCHW"):
    """An image summary (PNG). Float pixels are in [0, 1]; uint8 pixels are kept; 4-D input is tiled 8 a row."""
    hwc = convert_to_HWC(make_np(tensor), dataformats)
    return Summary(value=[Summary.Value(tag=tag, image=make_image(_to_uint8(hwc), rescale=rescale))])


def image_boxes(tag, tensor_image, tensor_boxes, rescale=1, dataformats="CHW", labels=None):
    """An image summary with red boxes (``[x_min, y_min, x_max, y_max]`` rows) drawn on, and their labels."""
    hwc = convert_to_HWC(make_np(tensor_image), dataformats)
    boxes = make_np(tensor_boxes)
    img = make_image(_to_uint8(hwc), rescale=rescale, rois=boxes, labels=labels)
    return Summary(value=[Summary.Value(tag=tag, image=img)])


def _draw_box(image, x_min, y_min, x_max, y_max, label, color="Red", text_color="black", width=2):
    from PIL import ImageDraw, ImageFont
    draw = ImageDraw.Draw(image)
    draw.line([(x_min, y_min), (x_min, y_max), (x_max, y_max), (x_max, y_min), (x_min, y_min)],
              width=width, fill=color)
    if label:
        font = ImageFont.load_default()
        left, top, right, bottom = font.getbbox(label)
        text_w, text_h = right - left, bottom - top
        margin = np.ceil(0.05 * text_h)
        # the label sits on a filled strip just above the box's bottom edge, at its left
        draw.rectangle([(x_min, y_max - text_h - 2 * margin), (x_min + text_w, y_max)], fill=color)
        draw.text((x_min + margin, y_max - text_h - margin), label, fill=text_color, font=font)
    return image


def draw_boxes(disp_image, boxes, labels=None):
    """Draw each row of ``boxes`` onto the PIL image ``disp_image`` (with ``labels[i]`` when given)."""
    for i in range(boxes.shape[0]):
        x0, y0, x1, y1 = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        disp_image = _draw_box(disp_image, x0, y0, x1, y1, None if labels is None else labels[i])
    return disp_image


def make_image(tensor, rescale=1, rois=None, labels=None):
    """A ``Summary.Image`` (PNG) from an HxWxC uint8 array; height/width are the array's, before ``rescale``."""
    from PIL import Image
    height, width, channels = tensor.shape
    img = Image.fromarray(tensor)
    if rois is not None:
        img = draw_boxes(img, rois, labels=labels)
    img = img.resize((int(width * rescale), int(height * rescale)), Image.Resampling.LANCZOS)
    with io.BytesIO() as buffer:
        img.save(buffer, format="PNG")
        png = buffer.getvalue()
    return Summary.Image(height=height, width=width, colorspace=channels, encoded_image_string=png)


# ----------------------------------------------------------------------------------------------- video, audio
def _video_frames(video_array):
    """(B, T, C, H, W) -> (T, H', W', C): the batch padded with black clips to a power of two and tiled."""
    b, t, c, h, w = video_array.shape
    if video_array.dtype == np.uint8:
        video_array = np.float32(video_array) / 255.0
    if b & (b - 1) or b == 0:
        extra = 2 ** b.bit_length() - b
        video_array = np.concatenate((video_array, np.zeros((extra, t, c, h, w))), axis=0)
    rows = 2 ** ((b.bit_length() - 1) // 2)
    cols = video_array.shape[0] // rows
    tiled = video_array.reshape(rows, cols, t, c, h, w).transpose(2, 0, 4, 1, 5, 3)
    return tiled.reshape(t, rows * h, cols * w, c)


def video(tag, tensor, fps=4):
    """A GIF image summary of a (B, T, C, H, W) video batch (needs moviepy, as PyTorch's)."""
    frames = _to_uint8(_video_frames(make_np(tensor)))
    return Summary(value=[Summary.Value(tag=tag, image=make_video(frames, fps))])


def make_video(tensor, fps):
    """A GIF ``Summary.Image`` of (T, H, W, C) uint8 frames; None (a message printed) when moviepy is missing.

    PyTorch neither raises nor skips here: it prints why and logs the tag with no image, and so does torchless.
    """
    try:
        import moviepy  # noqa: F401
    except ImportError:
        print("add_video needs package moviepy")
        return None
    try:
        from moviepy import editor
    except ImportError:
        print("moviepy is installed, but can't import moviepy.editor.", "Some packages could be missing [imageio, requests]")
        return None
    import tempfile
    _, height, width, channels = tensor.shape
    clip = editor.ImageSequenceClip(list(tensor), fps=fps)
    with tempfile.NamedTemporaryFile(suffix=".gif") as gif:
        # moviepy's keyword for silencing its progress output changed between releases
        for kwargs in ({"verbose": False, "logger": None}, {"verbose": False, "progress_bar": False},
                       {"verbose": False}):
            try:
                clip.write_gif(gif.name, **kwargs)
                break
            except TypeError:
                continue
        gif.seek(0)
        data = gif.read()
    return Summary.Image(height=height, width=width, colorspace=channels, encoded_image_string=data)


def audio(tag, tensor, sample_rate=44100):
    """A mono 16-bit WAV audio summary of samples in [-1, 1] (louder samples are clipped, with a warning)."""
    import wave
    samples = make_np(tensor).squeeze()
    if abs(samples).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        samples = samples.clip(-1, 1)
    if samples.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    pcm = (samples * np.iinfo(np.int16).max).astype("<i2")
    with io.BytesIO() as buffer:
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(pcm.data)
        encoded = buffer.getvalue()
    snd = Summary.Audio(sample_rate=sample_rate, num_channels=1, length_frames=pcm.shape[-1],
                        encoded_audio_string=encoded, content_type="audio/wav")
    return Summary(value=[Summary.Value(tag=tag, audio=snd)])


# ----------------------------------------------------------------------------------------------- text, layouts
def text(tag, text):
    """A text summary (markdown in TensorBoard), under the tag ``<tag>/text_summary``."""
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="text", content=TextPluginData(version=0).SerializeToString()))
    proto = TensorProto(dtype="DT_STRING", string_val=[text.encode("utf_8")],
                        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=metadata, tensor=proto)])


def custom_scalars(layout):
    """The custom-scalars layout ``{category: {chart title: ['Multiline' | 'Margin', tags]}}``."""
    categories = []
    for category, charts_spec in layout.items():
        charts = []
        for title, spec in charts_spec.items():
            kind, tags = spec[0], spec[1]
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1], upper=tags[2])
                charts.append(layout_pb2.Chart(title=title, margin=layout_pb2.MarginChartContent(series=[series])))
            else:
                charts.append(layout_pb2.Chart(title=title, multiline=layout_pb2.MultilineChartContent(tag=tags)))
        categories.append(layout_pb2.Category(title=category, chart=charts))
    serialized = layout_pb2.Layout(category=categories).SerializeToString()
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="custom_scalars"))
    proto = TensorProto(dtype="DT_STRING", string_val=[serialized], tensor_shape=TensorShapeProto())
    return Summary(value=[Summary.Value(tag="custom_scalars__config__", tensor=proto, metadata=metadata)])


# ----------------------------------------------------------------------------------------------- hparams
def hparams(hparam_dict=None, metric_dict=None, hparam_domain_discrete=None):
    """The three hparams-plugin summaries (experiment, session start, session end) of one run."""
    from tensorboard.plugins.hparams.api_pb2 import DataType, Experiment, HParamInfo, MetricInfo, MetricName, Status
    from tensorboard.plugins.hparams.metadata import (EXPERIMENT_TAG, PLUGIN_DATA_VERSION, PLUGIN_NAME,
                                                      SESSION_END_INFO_TAG, SESSION_START_INFO_TAG)
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData, SessionEndInfo, SessionStartInfo

    for what, value in (("hparam_dict", hparam_dict), ("metric_dict", metric_dict)):
        if not isinstance(value, dict):
            message = f"parameter: {what} should be a dictionary, nothing logged."
            logger.warning(message)
            raise TypeError(message)
    hparam_domain_discrete = hparam_domain_discrete or {}
    if not isinstance(hparam_domain_discrete, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, choices in hparam_domain_discrete.items():
        if (k not in hparam_dict or not isinstance(choices, list)
                or not all(isinstance(c, type(hparam_dict[k])) for c in choices)):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same type as hparam_dict[{k}].")

    def domain(k, field):
        if k not in hparam_domain_discrete:
            return None
        return struct_pb2.ListValue(values=[struct_pb2.Value(**{field: c}) for c in hparam_domain_discrete[k]])

    infos = []
    start = SessionStartInfo()
    for k, v in hparam_dict.items():
        if v is None:
            continue
        # bool is an int, so a bool is logged as the number 0 or 1 (DATA_TYPE_FLOAT64), as PyTorch does
        if isinstance(v, (int, float)):
            start.hparams[k].number_value = v
            infos.append(HParamInfo(name=k, type=DataType.Value("DATA_TYPE_FLOAT64"),
                                    domain_discrete=domain(k, "number_value")))
        elif isinstance(v, str):
            start.hparams[k].string_value = v
            infos.append(HParamInfo(name=k, type=DataType.Value("DATA_TYPE_STRING"),
                                    domain_discrete=domain(k, "string_value")))
        elif _is_torchless_tensor(v):
            start.hparams[k].number_value = make_np(v)[0]
            infos.append(HParamInfo(name=k, type=DataType.Value("DATA_TYPE_FLOAT64")))
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")

    def summary(tag, **content):
        data = HParamsPluginData(version=PLUGIN_DATA_VERSION, **content).SerializeToString()
        metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=PLUGIN_NAME, content=data))
        return Summary(value=[Summary.Value(tag=tag, metadata=metadata)])

    experiment = Experiment(hparam_infos=infos, metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    return (summary(EXPERIMENT_TAG, experiment=experiment),
            summary(SESSION_START_INFO_TAG, session_start_info=start),
            summary(SESSION_END_INFO_TAG, session_end_info=SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))))


# ----------------------------------------------------------------------------------------------- PR curves
def _pr_curve_summary(tag, data, num_thresholds):
    plugin = PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="pr_curves", content=plugin))
    proto = TensorProto(dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(),
                        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in data.shape[:2]]))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=proto)])


def pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds=127, weights=None):
    """A precision-recall curve from per-threshold counts the caller computed (at most 127 thresholds)."""
    return _pr_curve_summary(tag, np.stack((tp, fp, tn, fn, precision, recall)), min(num_thresholds, 127))


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None):
    """A precision-recall curve of binary ``labels`` against ``predictions`` in [0, 1] (at most 127 thresholds)."""
    num_thresholds = min(num_thresholds, 127)
    return _pr_curve_summary(tag, compute_curve(labels, predictions, num_thresholds, weights), num_thresholds)


def compute_curve(labels, predictions, num_thresholds=None, weights=None):
    """The 6 x ``num_thresholds`` rows tp, fp, tn, fn, precision, recall, threshold k being k/(n-1)."""
    tiny = 1e-7  # keeps 0/0 at 0 where a threshold has no positives
    if weights is None:
        weights = 1.0
    elif _is_torchless_tensor(weights):
        weights = make_np(weights)
    bucket = np.int32(np.floor(predictions * (num_thresholds - 1)))
    positive = labels.astype(np.float64)
    span = (0, num_thresholds - 1)
    tp_per_bucket, _ = np.histogram(bucket, bins=num_thresholds, range=span, weights=positive * weights)
    fp_per_bucket, _ = np.histogram(bucket, bins=num_thresholds, range=span, weights=(1.0 - positive) * weights)
    # a prediction counts as positive at every threshold at or below it
    tp = np.cumsum(tp_per_bucket[::-1])[::-1]
    fp = np.cumsum(fp_per_bucket[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(tiny, tp + fp)
    recall = tp / np.maximum(tiny, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


# ----------------------------------------------------------------------------------------------- meshes
def mesh(tag, vertices, colors, faces, config_dict, display_name=None, description=None):
    """The mesh-plugin summary: one value each for vertices, faces and colors, those given, all (1, N, 3)."""
    from tensorboard.plugins.mesh import metadata
    from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData
    json_config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    parts = [(t, kind) for t, kind in ((vertices, MeshPluginData.VERTEX), (faces, MeshPluginData.FACE),
                                       (colors, MeshPluginData.COLOR)) if t is not None]
    components = metadata.get_components_bitmask([kind for _, kind in parts])
    values = []
    for t, kind in parts:
        array = make_np(t) if not isinstance(t, (list, tuple)) else np.asarray(t)
        if array.ndim != 3:
            raise ValueError(f"mesh {MeshPluginData.ContentType.Name(kind).lower()} should be 3-D "
                             f"(batch, points, 3), got shape {tuple(array.shape)}")
        meta = metadata.create_summary_metadata(tag, display_name, kind, components, array.shape, description,
                                                json_config=json_config)
        proto = TensorProto(dtype="DT_FLOAT", float_val=array.reshape(-1).tolist(),
                            tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in array.shape]))
        values.append(Summary.Value(tag=metadata.get_instance_name(tag, kind), tensor=proto, metadata=meta))
    return Summary(value=values)
