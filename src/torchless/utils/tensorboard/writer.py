"""``SummaryWriter``: PyTorch's TensorBoard logger, writing the same event files from torchless tensors.

The event files are written by the ``tensorboard`` package's own ``EventFileWriter`` (asynchronously, flushed
every ``flush_secs`` or when ``max_queue`` events wait), in the directories, file names and layout PyTorch uses:
``add_scalars`` opens one sub-writer per series in ``<log_dir>/<main_tag>_<tag>``, ``add_hparams`` a child run
``<log_dir>/<run_name>``, ``add_embedding`` the projector's ``<log_dir>/<step>/<tag>/`` files and
``<log_dir>/projector_config.pbtxt``.

``add_graph`` differs from PyTorch's, which traces the model with the JIT: see :mod:`._graph`.
"""
import math
import os
import time

import numpy as np
from tensorboard.compat import tf
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo, ProjectorConfig
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from . import summary as _summary
from ._graph import graph as _module_graph

__all__ = ["FileWriter", "SummaryWriter"]


class FileWriter:
    """One event file in ``log_dir``, to which ``Event`` and ``Summary`` protos are appended asynchronously."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs, filename_suffix)

    def get_logdir(self):
        """The directory of the event file."""
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None):
        """Append ``event``, stamped with ``walltime`` (now by default) and ``step`` when given."""
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None):
        """Append a ``Summary`` proto, wrapped in an ``Event``."""
        self.add_event(event_pb2.Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_profile, walltime=None):
        """Append a ``(GraphDef, RunMetadata)`` pair: the graph, and the run metadata tagged ``step1``."""
        graph_def, run_metadata = graph_profile
        self.add_event(event_pb2.Event(graph_def=graph_def.SerializeToString()), None, walltime)
        tagged = event_pb2.TaggedRunMetadata(tag="step1", run_metadata=run_metadata.SerializeToString())
        self.add_event(event_pb2.Event(tagged_run_metadata=tagged), None, walltime)

    def add_onnx_graph(self, graph, walltime=None):
        """Append a ``GraphDef`` proto alone."""
        self.add_event(event_pb2.Event(graph_def=graph.SerializeToString()), None, walltime)

    def flush(self):
        """Write every pending event to disk."""
        self.event_writer.flush()

    def close(self):
        """Flush and close the event file."""
        self.event_writer.close()

    def reopen(self):
        """After ``close()``, open a new event file in the same directory (no-op while open)."""
        self.event_writer.reopen()


def _encode_tag(tag):
    """A tag usable as one directory name: ``%``, ``/`` and ``\\`` percent-encoded."""
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def _as_array(x):
    return _summary.make_np(x)


class SummaryWriter:
    """Writes TensorBoard event files to ``log_dir`` (default ``runs/<Mon>DD_HH-MM-SS_<host><comment>``).

    ``purge_step``: when a crashed run is resumed from step T with the same ``log_dir``, passing ``purge_step=T``
    makes TensorBoard hide the earlier events at steps >= T. Usable as a context manager (closes on exit).
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            import socket
            from datetime import datetime
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = _summary.default_bins()

    def _get_file_writer(self):
        """The main FileWriter, made anew (a new event file) if the writer was closed."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # a file-version event at the resume step, then a session START: TensorBoard's purge signal
                self.file_writer.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
                self.file_writer.add_event(Event(step=self.purge_step,
                                                 session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        """The ``log_dir`` given (or made up) at construction."""
        return self.log_dir

    # ---------------------------------------------------------------------------------------------- scalars
    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """Log one run's hyperparameters and final metrics for the HParams tab, in ``<log_dir>/<run_name>``.

        ``run_name`` defaults to the current ``time.time()``; the metrics are also logged there as scalars.
        """
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        experiment, start, end = _summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        run_dir = os.path.join(self._get_file_writer().get_logdir(), run_name)
        with SummaryWriter(log_dir=run_dir) as run:
            for s in (experiment, start, end):
                run.file_writer.add_summary(s, global_step)
            for tag, value in metric_dict.items():
                run.add_scalar(tag, value, global_step)

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """Log one number (a Python number, a one-element tensor or array)."""
        s = _summary.scalar(tag, scalar_value, new_style=new_style, double_precision=double_precision)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Log several series on one chart: each ``tag`` goes, as ``main_tag``, to ``<log_dir>/<main_tag>_<tag>``."""
        walltime = time.time() if walltime is None else walltime
        root = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            series_dir = root + "/" + main_tag.replace("/", "_") + "_" + tag
            writer = self.all_writers.get(series_dir)
            if writer is None:
                writer = FileWriter(series_dir, self.max_queue, self.flush_secs, self.filename_suffix)
                self.all_writers[series_dir] = writer
            writer.add_summary(_summary.scalar(main_tag, value), global_step, walltime)

    def add_tensor(self, tag, tensor, global_step=None, walltime=None):
        """Log a whole tensor (shape, dtype and values) for the ``tensor`` plugin."""
        self._get_file_writer().add_summary(_summary.tensor_proto(tag, tensor), global_step, walltime)

    # ---------------------------------------------------------------------------------------------- histograms
    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Log a histogram of ``values``; ``bins`` is ``'tensorflow'`` (exponential buckets) or NumPy's."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(_summary.histogram(tag, values, bins, max_bins=max_bins),
                                            global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,  # noqa: A002
                          global_step=None, walltime=None):
        """Log a histogram from precomputed statistics (``bucket_limits`` are the buckets' right edges)."""
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        s = _summary.histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts)
        self._get_file_writer().add_summary(s, global_step, walltime)

    # ---------------------------------------------------------------------------------------------- images
    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """Log an image: float pixels in [0, 1] (scaled by 255) or uint8; layout CHW, HWC or HW."""
        s = _summary.image(tag, img_tensor, dataformats=dataformats)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """Log a batch of images as one picture, tiled 8 a row (NCHW or NHWC, 1 or 3 channels)."""
        s = _summary.image(tag, img_tensor, dataformats=dataformats)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_image_with_boxes(self, tag, img_tensor, box_tensor, global_step=None, walltime=None, rescale=1,
                             dataformats="CHW", labels=None):
        """Log an image with boxes (rows ``[x_min, y_min, x_max, y_max]`` in pixels) and optional labels."""
        if labels is not None:
            if isinstance(labels, str):
                labels = [labels]
            if len(labels) != box_tensor.shape[0]:
                labels = None  # a label count that does not match the boxes is ignored, as in PyTorch
        s = _summary.image_boxes(tag, img_tensor, box_tensor, rescale=rescale, dataformats=dataformats,
                                 labels=labels)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """Log a matplotlib figure (or a list of them, tiled) as an image; closes it unless ``close=False``."""
        if isinstance(figure, list):
            self.add_image(tag, _summary.figure_to_image(figure, close), global_step, walltime, dataformats="NCHW")
        else:
            self.add_image(tag, _summary.figure_to_image(figure, close), global_step, walltime, dataformats="CHW")

    def add_video(self, tag, vid_tensor, global_step=None, fps=4, walltime=None):
        """Log a (N, T, C, H, W) video batch as a GIF (needs moviepy with ``moviepy.editor``)."""
        self._get_file_writer().add_summary(_summary.video(tag, vid_tensor, fps), global_step, walltime)

    def add_audio(self, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None):
        """Log a 1-D clip of samples in [-1, 1] as 16-bit mono WAV."""
        s = _summary.audio(tag, snd_tensor, sample_rate=sample_rate)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Log a string (shown as markdown) under ``<tag>/text_summary``."""
        self._get_file_writer().add_summary(_summary.text(tag, text_string), global_step, walltime)

    # ---------------------------------------------------------------------------------------------- graphs
    def add_onnx_graph(self, prototxt):
        """Log the graph of an ONNX model file (needs the ``onnx`` package)."""
        from ._onnx import load_onnx_graph
        self._get_file_writer().add_onnx_graph(load_onnx_graph(prototxt))

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Log the model's layer graph for the Graphs tab, from one forward pass on ``input_to_model``.

        Unlike PyTorch's (a JIT trace, one node per operation), the graph has one node per leaf-module call,
        its op the module's class name, with input and output shapes (see :mod:`._graph`).
        ``use_strict_trace`` is accepted for compatibility and has no effect.
        """
        self._get_file_writer().add_graph(_module_graph(model, input_to_model, verbose))

    # ---------------------------------------------------------------------------------------------- projector
    @staticmethod
    def _encode(rawstr):
        return _encode_tag(rawstr)

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag="default",
                      metadata_header=None):
        """Write an embedding for the Projector tab: ``<log_dir>/<step:05d>/<tag>/`` holds ``tensors.tsv``
        (the N x D ``mat``), ``metadata.tsv`` (a label per row, or rows under ``metadata_header``) and
        ``sprite.png`` (``label_img``, N x C x H x W in [0, 1]); ``projector_config.pbtxt`` lists them all."""
        mat = _as_array(mat)
        if global_step is None:
            global_step = 0
        subdir = f"{str(global_step).zfill(5)}/{_encode_tag(tag)}"
        save_path = os.path.join(self._get_file_writer().get_logdir(), subdir)
        fs = tf.io.gfile
        if fs.exists(save_path):
            if not fs.isdir(save_path):
                raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
            print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
        else:
            fs.makedirs(save_path)
        if metadata is not None:
            if mat.shape[0] != len(metadata):
                raise AssertionError("#labels should equal with #data points")
            _write_metadata_tsv(metadata, save_path, metadata_header)
        images = None
        if label_img is not None:
            images = _as_array(label_img)
            if mat.shape[0] != images.shape[0]:
                raise AssertionError("#images should equal with #data points")
            _write_sprite(images, save_path)
        if mat.ndim != 2:
            raise AssertionError("mat should be 2D, where mat.size(0) is the number of data points")
        _write_tensors_tsv(mat, save_path)

        info = EmbeddingInfo(tensor_name=f"{tag}:{str(global_step).zfill(5)}",
                             tensor_path=_join(subdir, "tensors.tsv"))
        if metadata is not None:
            info.metadata_path = _join(subdir, "metadata.tsv")
        if images is not None:
            info.sprite.image_path = _join(subdir, "sprite.png")
            info.sprite.single_image_dim.extend([images.shape[3], images.shape[2]])  # width, height
        if not hasattr(self, "_projector_config"):
            self._projector_config = ProjectorConfig()
        self._projector_config.embeddings.extend([info])
        from google.protobuf import text_format
        _write_bytes(_join(self._get_file_writer().get_logdir(), "projector_config.pbtxt"),
                     text_format.MessageToString(self._projector_config).encode("utf-8"))

    # ---------------------------------------------------------------------------------------------- PR curves
    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127, weights=None,
                     walltime=None):
        """Log a precision-recall curve of 0/1 ``labels`` against ``predictions`` in [0, 1]."""
        s = _summary.pr_curve(tag, _as_array(labels), _as_array(predictions), num_thresholds, weights)
        self._get_file_writer().add_summary(s, global_step, walltime)

    def add_pr_curve_raw(self, tag, true_positive_counts, false_positive_counts, true_negative_counts,
                         false_negative_counts, precision, recall, global_step=None, num_thresholds=127,
                         weights=None, walltime=None):
        """Log a precision-recall curve from per-threshold counts, precision and recall."""
        s = _summary.pr_curve_raw(tag, true_positive_counts, false_positive_counts, true_negative_counts,
                                  false_negative_counts, precision, recall, num_thresholds, weights)
        self._get_file_writer().add_summary(s, global_step, walltime)

    # ---------------------------------------------------------------------------------------------- layouts
    def add_custom_scalars_multilinechart(self, tags, category="default", title="untitled"):
        """Lay out one chart drawing the scalar series ``tags`` together (Custom Scalars tab)."""
        self._get_file_writer().add_summary(_summary.custom_scalars({category: {title: ["Multiline", tags]}}))

    def add_custom_scalars_marginchart(self, tags, category="default", title="untitled"):
        """Lay out one chart of a series with a margin: ``tags`` are [value, lower, upper]."""
        if len(tags) != 3:
            raise AssertionError(f"Expected 3 tags, got {len(tags)}.")
        self._get_file_writer().add_summary(_summary.custom_scalars({category: {title: ["Margin", tags]}}))

    def add_custom_scalars(self, layout):
        """Lay out the Custom Scalars tab: ``{category: {title: ['Multiline' | 'Margin', tags]}}``."""
        self._get_file_writer().add_summary(_summary.custom_scalars(layout))

    def add_mesh(self, tag, vertices, colors=None, faces=None, config_dict=None, global_step=None, walltime=None):
        """Log a 3-D point cloud or mesh: (B, N, 3) vertices, optional uint8 colors and int faces."""
        s = _summary.mesh(tag, vertices, colors, faces, config_dict)
        self._get_file_writer().add_summary(s, global_step, walltime)

    # ---------------------------------------------------------------------------------------------- lifetime
    def flush(self):
        """Write every pending event of every writer to disk."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self):
        """Flush and close every event file; a later ``add_*`` opens a new one."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()


# -------------------------------------------------------------------------------------------------- projector files
def _join(a, b):
    join = getattr(tf.io.gfile, "join", None)
    return join(a, b) if join is not None else tf.io.gfile.get_filesystem(a).join(a, b)


def _write_bytes(path, data):
    with tf.io.gfile.GFile(path, "wb") as f:
        # GFile creates the file on its first write: no data (an embedding of no points) leaves no file,
        # as PyTorch's row-by-row writing does
        if data:
            f.write(data)


def _write_metadata_tsv(metadata, save_path, metadata_header=None):
    if metadata_header:
        if len(metadata_header) != len(metadata[0]):
            raise AssertionError("len of header must be equal to the number of columns in metadata")
        lines = ["\t".join(str(e) for e in row) for row in [metadata_header] + list(metadata)]
    else:
        lines = [str(x) for x in metadata]
    _write_bytes(_join(save_path, "metadata.tsv"), ("\n".join(lines) + "\n").encode("utf-8"))


def _write_sprite(images, save_path):
    """The label images tiled ceil(sqrt(N)) a row on a square canvas (black below), as ``sprite.png``."""
    from PIL import Image
    per_row = math.ceil(images.shape[0] ** 0.5)
    grid = _summary.make_grid(images, ncols=per_row).transpose(1, 2, 0)
    side = grid.shape[1]
    square = np.zeros((side, side, 3))
    square[:grid.shape[0]] = grid
    import io
    with io.BytesIO() as buffer:
        Image.fromarray(np.uint8((square * 255).clip(0, 255))).save(buffer, format="PNG")
        _write_bytes(_join(save_path, "sprite.png"), buffer.getvalue())


def _write_tensors_tsv(mat, save_path):
    # each value written as Python writes it (repr of the float64 the element converts to)
    text = "".join("\t".join(str(v.item()) for v in row) + "\n" for row in mat)
    _write_bytes(_join(save_path, "tensors.tsv"), text.encode("utf-8"))
