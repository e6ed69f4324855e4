"""The summary as a torchinfo-style text table."""

COLUMNS = ("Layer (type)", "Output shape", "Param #", "Mult-adds", "Receptive field", "Jump")
RIGHT_ALIGNED = {2, 3, 4, 5}


def format_table(summary):
    rows = [_row(layer) for layer in summary.layers]
    widths = [max(len(r[c]) for r in rows + [COLUMNS]) for c in range(len(COLUMNS))]
    line = lambda cells: "   ".join(cell.rjust(w) if c in RIGHT_ALIGNED else cell.ljust(w)
                                    for c, (cell, w) in enumerate(zip(cells, widths))).rstrip()
    rule = "=" * len(line(["-" * w for w in widths]))
    mb = lambda n: f"{n / 1e6:.2f}"
    out = [rule, line(COLUMNS), rule, *map(line, rows), rule,
           f"Total params: {summary.total_params:,}",
           f"Trainable params: {summary.trainable_params:,}",
           f"Non-trainable params: {summary.non_trainable_params:,}",
           f"Total mult-adds: {summary.total_mult_adds:,} ({summary.total_mult_adds / 1e6:.2f} M)",
           rule,
           f"Input size (MB): {mb(summary.input_bytes)}",
           f"Forward/backward pass size (MB): {mb(summary.forward_backward_bytes)}",
           f"Params size (MB): {mb(summary.params_bytes)}",
           f"Estimated total size (MB): {mb(summary.total_bytes)}",
           rule]
    out += _notes(summary)
    return "\n".join(out)


def _row(layer):
    label = "  " * layer.depth + (f"{layer.name} ({layer.class_name})" if layer.name else layer.class_name)
    if layer.reused:
        params = "(reused)"
    elif layer.num_params:
        params = f"{layer.num_params:,}" + ("*" if layer.frozen_params else "")
    else:
        params = "--"
    mult_adds = f"{layer.mult_adds:,}" if layer.mult_adds else "--"
    if layer.geometry_lost:
        field = jump = "?"
    else:
        field, jump = _axes(layer.receptive_field), _axes(layer.jump)
    return (label, str(layer.output_shape), params, mult_adds, field, jump)


def _axes(values):
    if values is None:
        return ""
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


def _notes(summary):
    notes = []
    if any(layer.frozen_params for layer in summary.layers):
        notes.append("* includes parameters with requires_grad=False (not trained)")
    if any(layer.reused for layer in summary.layers):
        notes.append("(reused): a module called again; its parameters are counted at its first call")
    if any(layer.receptive_field for layer in summary.layers):
        notes.append("Receptive field: how many input pixels (along each axis) one output value depends on")
        notes.append("Jump: how many input pixels apart two neighbouring output values are")
    if any(layer.geometry_lost for layer in summary.layers):
        notes.append("?: an operation the summary does not follow (e.g. F.interpolate or slicing in forward) changed "
                     "the size before this layer")
    return notes
