"""The summary as a torchinfo-style text table."""

# torchinfo's column names and headers (and torchless's two)
HEADERS = {"input_size": "Input Shape", "output_size": "Output Shape", "num_params": "Param #",
           "params_percent": "Param %", "kernel_size": "Kernel Shape", "mult_adds": "Mult-Adds",
           "trainable": "Trainable", "receptive_field": "Receptive field", "jump": "Jump"}
DEFAULT_COLUMNS = ("output_size", "num_params", "mult_adds", "receptive_field", "jump")
ROW_SETTINGS = ("ascii_only", "depth", "var_names", "hide_recursive_layers")
NEED_INPUT = ("input_size", "output_size", "mult_adds", "receptive_field", "jump")
LEFT_ALIGNED = {"input_size", "output_size", "kernel_size", "trainable"}


class TableOptions:
    """The table's columns and rows, torchinfo's ``col_names``, ``col_width``, ``depth`` and ``row_settings``."""

    def __init__(self, col_names=None, col_width=25, depth=None, row_settings=None, without_input=False):
        default = ("num_params",) if without_input else DEFAULT_COLUMNS
        self.columns = tuple(_checked(name, HEADERS, "ColumnSettings")
                             for name in (default if col_names is None else col_names))
        self.without_input = without_input
        needing_input = [name for name in self.columns if name in NEED_INPUT]
        if without_input and needing_input:
            members = ", ".join(f"<ColumnSettings.{name.upper()}: {name!r}>" for name in needing_input)
            raise ValueError(f"You must pass input_data or input_size in order to use columns: {{{members}}}")
        if col_width <= 0:
            raise ValueError(f"Column width must be greater than 0: col_width={col_width}")
        self.col_width = col_width if col_names is not None else 0  # (the default table fits its cells)
        self.depth = depth
        self.rows = {"var_names"} if row_settings is None else {_checked(name, ROW_SETTINGS, "RowSettings")
                                                                for name in row_settings}


def _checked(name, allowed, kind):
    if name not in allowed:  # (torchinfo's enums turn the name into a member the same way)
        raise ValueError(f"{name!r} is not a valid {kind}")
    return name


def format_table(summary):
    options = summary.options
    shown = [layer for layer in summary.layers if (options.depth is None or layer.depth <= options.depth)
             and not (layer.reused and "hide_recursive_layers" in options.rows)]
    labels = _labels(summary.layers, options.rows)
    header = ("Layer (type)",) + tuple(HEADERS[name] for name in options.columns)
    rows = [(labels[id(layer)],) + _cells(layer, options.columns, summary) for layer in shown]
    widths = [max([options.col_width if c else 0] + [len(r[c]) for r in rows + [header]]) for c in range(len(header))]
    aligned_left = [True] + [name in LEFT_ALIGNED for name in options.columns]
    line = lambda cells: "   ".join(cell.ljust(w) if left else cell.rjust(w)
                                    for cell, w, left in zip(cells, widths, aligned_left)).rstrip()
    rule = "=" * len(line(["-" * w for w in widths]))
    mb = lambda n: f"{n / 1e6:.2f}"
    out = [rule, line(header), rule, *map(line, rows), rule,
           f"Total params: {summary.total_params:,}",
           f"Trainable params: {summary.trainable_params:,}",
           f"Non-trainable params: {summary.non_trainable_params:,}"]
    if not options.without_input:
        out += [f"Total mult-adds: {summary.total_mult_adds:,} ({summary.total_mult_adds / 1e6:.2f} M)",
                rule,
                f"Input size (MB): {mb(summary.input_bytes)}",
                f"Forward/backward pass size (MB): {mb(summary.forward_backward_bytes)}",
                f"Params size (MB): {mb(summary.params_bytes)}",
                f"Estimated Total Size (MB): {mb(summary.total_bytes)}"]
    out.append(rule)
    out += _notes(summary)
    return "\n".join(out)


def _labels(layers, rows):
    """Each row's label: indented by depth, ``name (Class)`` or ``Class``, then torchinfo's ``depth-index``."""
    labels, index = {}, {}
    for layer in layers:
        index[layer.depth] = index.get(layer.depth, 0) + 1
        for deeper in [d for d in index if d > layer.depth]:
            del index[deeper]
        label = f"{layer.name} ({layer.class_name})" if layer.name and "var_names" in rows else layer.class_name
        if "depth" in rows and layer.depth:
            label += f": {layer.depth}-{index[layer.depth]}"
        labels[id(layer)] = "  " * layer.depth + label
    return labels


def _cells(layer, columns, summary):
    return tuple(_cell(layer, name, summary) for name in columns)


def _cell(layer, name, summary):
    if name == "output_size":
        return str(layer.output_shape)
    if name == "input_size":
        return str(layer.input_shape) if layer.input_shape is not None else "--"
    if name == "num_params":
        if layer.reused:
            return "(reused)"
        count, frozen = layer.num_params, layer.frozen_params
        if layer.depth == summary.options.depth and layer.module is not None:  # (its children's rows are hidden)
            params = list(layer.module.parameters())
            count, frozen = sum(p.numel() for p in params), any(not p.requires_grad for p in params)
        return f"{count:,}" + ("*" if frozen else "") if count else "--"
    if name == "params_percent":
        share = layer.num_params / summary.total_params if summary.total_params else 0
        return f"{share:.2%}" if layer.num_params and not layer.reused else "--"
    if name == "kernel_size":
        kernel = layer.geometry[0] if layer.module is None else getattr(layer.module, "kernel_size", None)
        return "--" if kernel is None else str(list(kernel) if isinstance(kernel, (tuple, list)) else kernel)
    if name == "mult_adds":
        return f"{layer.mult_adds:,}" if layer.mult_adds else "--"
    if name == "trainable":  # (over a container's parameters too, as torchinfo)
        params = list(layer.module.parameters()) if layer.module is not None else []
        trainable = sum(p.requires_grad for p in params)
        return "--" if not params else "True" if trainable == len(params) else "False" if not trainable else "Partial"
    if layer.geometry_lost:
        return "?"
    return _axes(layer.receptive_field if name == "receptive_field" else layer.jump)


def _axes(values):
    if values is None:
        return ""
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


def _notes(summary):
    notes, columns = [], summary.options.columns
    if "num_params" in columns and any(layer.frozen_params for layer in summary.layers):
        notes.append("* includes parameters with requires_grad=False (not trained)")
    if "num_params" in columns and any(layer.reused for layer in summary.layers):
        notes.append("(reused): a module called again; its parameters are counted at its first call")
    if not {"receptive_field", "jump"} & set(columns):
        return notes
    if any(layer.receptive_field for layer in summary.layers):
        notes.append("Receptive field: how many input pixels (along each axis) one output value depends on")
        notes.append("Jump: how many input pixels apart two neighbouring output values are")
    if any(layer.geometry_lost for layer in summary.layers):
        notes.append("?: an operation the summary does not follow (e.g. F.interpolate or slicing in forward) changed "
                     "the size before this layer")
    return notes
