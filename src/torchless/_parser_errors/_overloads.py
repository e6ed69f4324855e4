"""The overloads of the Tensor methods and function forms whose failing calls are read as PyTorch's parser reads
them, written as the native schemas read (see _schema)."""

# The overloads of the Tensor methods whose arguments are checked here, as PyTorch's parser has them (its named-dim
# overloads left out: they never take the calls torchless gets)
METHOD_OVERLOADS = {
    "squeeze": ("", "int dim", "int[] dim"),
    "squeeze_": ("", "int dim", "int[] dim"),
    "unsqueeze": ("int dim",),
    "unsqueeze_": ("int dim",),
    "transpose_": ("int dim0, int dim1",),
    "swapaxes_": ("int axis0, int axis1",),
    "swapdims_": ("int dim0, int dim1",),
    "as_strided": ("SymInt[] size, SymInt[] stride, SymInt? storage_offset=None",),
    "exponential_": ("float lambd=1, *, Generator? generator=None",),
    "geometric_": ("float p, *, Generator? generator=None",),
    "cauchy_": ("float median=0, float sigma=1, *, Generator? generator=None",),
    "log_normal_": ("float mean=1, float std=2, *, Generator? generator=None",),
    "scatter_reduce": ("int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True",),
    "scatter_reduce_": ("int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True",),
    "narrow": ("int dim, Tensor start, SymInt length", "int dim, SymInt start, SymInt length"),
    "view": ("dtype dtype", "SymInt[] size"),
    "transpose": ("int dim0, int dim1",),
    "swapaxes": ("int axis0, int axis1",),
    "swapdims": ("int dim0, int dim1",),
    "flatten": ("int start_dim=0, int end_dim=-1",),
    "unflatten": ("int dim, SymInt[] sizes",),
    "chunk": ("int chunks, int dim=0",),
    "unbind": ("int dim=0",),
    "select": ("int dim, SymInt index",),
    "movedim": ("int source, int destination", "int[] source, int[] destination"),
    "moveaxis": ("int source, int destination", "int[] source, int[] destination"),
    "expand_as": ("Tensor other",),
    "flip": ("int[] dims",),
    "diagonal": ("int offset=0, int dim1=0, int dim2=1",),
    "roll": ("SymInt[1] shifts, int[1] dims=None",),
    "sum": ("*, dtype? dtype=None", "int[1]? dim, bool keepdim=False, *, dtype? dtype=None"),
    "mean": ("*, dtype? dtype=None", "int[1]? dim, bool keepdim=False, *, dtype? dtype=None"),
    "prod": ("*, dtype? dtype=None", "int dim, bool keepdim=False, *, dtype? dtype=None"),
    "nansum": ("int[1]? dim=None, bool keepdim=False, *, dtype? dtype=None",),
    "amax": ("int[1]? dim=None, bool keepdim=False",),
    "amin": ("int[1]? dim=None, bool keepdim=False",),
    "logsumexp": ("int[1] dim, bool keepdim=False",),
    "median": ("", "int dim, bool keepdim=False"),
    "nanmedian": ("", "int dim, bool keepdim=False"),
    "mode": ("int dim=-1, bool keepdim=False",),
    "all": ("", "int[]? dim=None, bool keepdim=False", "int dim, bool keepdim=False"),
    "any": ("", "int[]? dim=None, bool keepdim=False", "int dim, bool keepdim=False"),
    "count_nonzero": ("int? dim=None", "int[] dim"),
    "tile": ("SymInt[] dims",),
    "index_select": ("int dim, Tensor index",),
    "gather": ("int dim, Tensor index, *, bool sparse_grad=False",),
    "index_add": ("int dim, Tensor index, Tensor source, *, Number alpha=1",),
    "index_copy": ("int dim, Tensor index, Tensor source",),
    "index_fill": ("int dim, Tensor index, Tensor value", "int dim, Tensor index, Number value"),
    "scatter": ("int dim, Tensor index, Tensor src", "int dim, Tensor index, Tensor src, *, str reduce",
                "int dim, Tensor index, Number value", "int dim, Tensor index, Number value, *, str reduce"),
    "scatter_add": ("int dim, Tensor index, Tensor src",),
    "take_along_dim": ("Tensor indices, int? dim=None",),
    "narrow_copy": ("int dim, SymInt start, SymInt length",),
    "kthvalue": ("SymInt k, int dim=-1, bool keepdim=False",),
    "topk": ("SymInt k, int dim=-1, bool largest=True, bool sorted=True",),
    "tril": ("SymInt diagonal=0",),
    "triu": ("SymInt diagonal=0",),
    "diag": ("int diagonal=0",),
    "rot90": ("int k=1, int[] dims=[0,1]",),
    "repeat_interleave": ("Tensor repeats, int? dim=None, *, SymInt? output_size=None",
                          "SymInt repeats, int? dim=None, *, SymInt? output_size=None"),
    "unfold": ("int dimension, int size, int step",),
    "diag_embed": ("int offset=0, int dim1=-2, int dim2=-1",),
    "tensor_split": ("SymInt[] indices, int dim=0", "Tensor tensor_indices_or_sections, int dim=0",
                     "SymInt sections, int dim=0"),
    "diff": ("int n=1, int dim=-1, Tensor? prepend=None, Tensor? append=None",),
    "nanmean": ("int[1]? dim=None, bool keepdim=False, *, dtype? dtype=None",),
    **{name: ('Tensor q, int? dim=None, bool keepdim=False, *, str interpolation="linear"',
              'float q, int? dim=None, bool keepdim=False, *, str interpolation="linear"')
       for name in ("quantile", "nanquantile")},
    "bincount": ("Tensor? weights=None, SymInt minlength=0",),
    "renorm": ("Number p, int dim, Number maxnorm",),
    "matrix_power": ("int n",),
    "copy_": ("Tensor other, bool non_blocking=False",),
    # (methods off the hot paths, wrapped for their refused calls: the parser names what is missing before a
    # keyword it has no place for)
    "bernoulli": ("*, Generator? generator=None", "float p, *, Generator? generator=None"),
    "multinomial": ("SymInt num_samples, bool replacement=False, *, Generator? generator=None",),
    "resize_as_": ("Tensor the_template, *, memory_format? memory_format=None",),
    "scatter_add_": ("int dim, Tensor index, Tensor src",),
    "new_empty_strided": ("SymInt[] size, SymInt[] stride, *, dtype? dtype=None, layout? layout=None, "
                          "device? device=None, bool? pin_memory=None, bool requires_grad=False",),
    "cov": ("*, int correction=1, Tensor? fweights=None, Tensor? aweights=None",),
    "index_reduce": ("int dim, Tensor index, Tensor source, str reduce, *, bool include_self=True",),
    "cross": ("Tensor other, int? dim=None",),
    "aminmax": ("*, int? dim=None, bool keepdim=False",),
    "stride": ("int? dim=None",),
    **{name: ("Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False",)
       for name in ("isclose", "allclose")},
    "select_scatter": ("Tensor src, int dim, SymInt index",),
    "slice_scatter": ("Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1",),
    "diagonal_scatter": ("Tensor src, int offset=0, int dim1=0, int dim2=1",),
    "histc": ("int bins=100, Number min=0, Number max=0",),
    **{name: ("int sections", "int[] indices") for name in ("hsplit", "vsplit", "dsplit")},
    **{name: ("*, bool stable, int dim=-1, bool descending=False", "int dim=-1, bool descending=False")
       for name in ("sort", "argsort")},
    "std": ("int[1]? dim, bool unbiased=True, bool keepdim=False",
            "int[1]? dim=None, *, Number? correction=None, bool keepdim=False", "bool unbiased=True"),
    "var": ("int[1]? dim, bool unbiased=True, bool keepdim=False",
            "int[1]? dim=None, *, Number? correction=None, bool keepdim=False", "bool unbiased=True"),
    # Tensor.split is Python code calling these two with the tensor first
    "split": ("Tensor input, int split_size, int dim=0", "Tensor input, int[] split_size, int dim=0"),
    "split_with_sizes": ("Tensor input, SymInt[] split_sizes, int dim=0",),
}


# PyTorch's deprecated overloads of some of those, which its parser tries but never lists
METHOD_HIDDEN_OVERLOADS = {"copy_": ("Tensor other, bool async=False",)}


def _with_in_place(table):
    """``table`` with each method's in-place form (``addmm_``) taking the same overloads."""
    return {**table, **{f"{name}_": overloads for name, overloads in table.items()}}


def _added_product(first, second):
    """addmm's family: beta * self + alpha * (first @ second), PyTorch's deprecated overloads (beta, and alpha, by
    position before the operands) hidden."""
    return ((f"Tensor {first}, Tensor {second}, *, Number beta=1, Number alpha=1",),
            (f"Number beta, Number alpha, Tensor {first}, Tensor {second}",
             f"Number beta, Tensor {first}, Tensor {second}"))


def _tensor_or_number(argument):
    return (f"Tensor {argument}", f"Number {argument}"), ()


def _one(*overloads):
    """Printed overloads, none hidden."""
    return overloads, ()


_POINTWISE_PRODUCT = (("Tensor tensor1, Tensor tensor2, *, Number value=1",),
                      ("Number value, Tensor tensor1, Tensor tensor2",))

# The Tensor methods whose failing calls (written by the user) are parsed as PyTorch's parser would have parsed them
# first: (printed overloads, hidden ones), as the native schemas read (see _Schema). Nothing is parsed for a call
# that succeeds.
PARSED_ON_FAILURE = {
    **_with_in_place({
        "addmm": _added_product("mat1", "mat2"), "addmv": _added_product("mat", "vec"),
        "addr": _added_product("vec1", "vec2"), "baddbmm": _added_product("batch1", "batch2"),
        "addbmm": _added_product("batch1", "batch2"), "addcmul": _POINTWISE_PRODUCT, "addcdiv": _POINTWISE_PRODUCT,
        **{name: _tensor_or_number("other") for name in ("bitwise_and", "bitwise_or", "bitwise_xor",
                                                          "bitwise_left_shift", "bitwise_right_shift", "copysign",
                                                          "xlogy")},
        "float_power": _tensor_or_number("exponent"), "clamp_min": _tensor_or_number("min"),
        "clamp_max": _tensor_or_number("max"), "lerp": _one("Tensor end, Tensor weight", "Tensor end, Number weight"),
        "masked_fill": _one("Tensor mask, Tensor value", "Tensor mask, Number value"),
        **{name: _one("int dim, *, dtype? dtype=None") for name in ("cumsum", "cumprod")},
        **{name: _one("Tensor other") for name in ("atan2", "hypot", "logical_and", "logical_or", "logical_xor",
                                                   "gcd", "lcm", "nextafter", "ldexp")},
        "heaviside": _one("Tensor values"), "masked_scatter": _one("Tensor mask, Tensor source"),
        "nan_to_num": _one("float? nan=None, float? posinf=None, float? neginf=None"),
        "logit": _one("float? eps=None"), "mvlgamma": _one("int p"), "polygamma": _one("int n"),
        **{name: _one("Tensor other") for name in ("igamma", "igammac")},
    }),
    **{name: _one("int dim") for name in ("cummax", "cummin", "logcumsumexp")},
    **{name: _one("Tensor other") for name in ("maximum", "minimum", "fmax", "fmin", "logaddexp", "logaddexp2",
                                               "inner", "kron", "type_as", "view_as", "reshape_as")},
    **{name: _one("Tensor vec2") for name in ("outer", "ger")},
    "mv": _one("Tensor vec"), "masked_select": _one("Tensor mask"), "dist": _one("Tensor other, Number p=2"),
    **{name: _one("int dim, dtype? dtype=None") for name in ("softmax", "log_softmax")},
    **{name: _tensor_or_number("other") for name in ("remainder", "fmod")},
    **{name: _one("Tensor? min=None, Tensor? max=None", "Number? min=None, Number? max=None")
       for name in ("clip", "clamp", "clamp_")},
    **_with_in_place({"round": _one("", "*, int decimals")}),
    # (session 21: the methods off the hot paths whose refused calls kept Python's wording)
    "where": _one("Tensor condition, Tensor other", "Tensor condition, Number other"),
    "scatter_": _one("int dim, Tensor index, Tensor src", "int dim, Tensor index, Tensor src, *, str reduce",
                     "int dim, Tensor index, Number value", "int dim, Tensor index, Number value, *, str reduce"),
    "bernoulli_": _one("Tensor p, *, Generator? generator=None", "float p=0.5, *, Generator? generator=None"),
    "random_": _one("*, Generator? generator=None", "int from, int? to, *, Generator? generator=None",
                    "int to, *, Generator? generator=None"),
    "normal_": _one("float mean=0, float std=1, *, Generator? generator=None"),
    "unfold": _one("int dimension, int size, int step"),
    **{name: _one("Tensor other") for name in ("expand_as", "equal")},
    **{f"{name}_": (METHOD_OVERLOADS[name], ()) for name in ("index_fill", "index_add", "index_copy")},
    **{name: _one(f"SymInt[] size, {fill}*, dtype? dtype=None, layout? layout=None, device? device=None, "
                  "bool? pin_memory=False, bool? requires_grad=False")
       for name, fill in (("new_zeros", ""), ("new_ones", ""), ("new_empty", ""),
                          ("new_full", "Number fill_value, "))},
}

# Python code in PyTorch (Tensor.split): not parsed as a native method's call
_PYTHON_METHODS = frozenset(("split", "split_with_sizes"))


def parsed_when_wrapped():
    """The Tensor methods of METHOD_OVERLOADS whose failing calls are parsed by failure_parse where a wrapper takes
    them anyway (NumPy's names, parser_arity): no wrapper is added for it."""
    return frozenset(METHOD_OVERLOADS) - _PYTHON_METHODS

# linalg.vector_norm's parser, which Tensor.norm reaches too
VECTOR_NORM = ("Tensor input, Number ord=2, int[1]? dim=None, bool keepdim=False, *, dtype? dtype=None",)
# linalg.matrix_norm's, its two overloads (torch.norm's matrix norms reach it too)
MATRIX_NORM = tuple(f"Tensor input, {ord}, int[] dim={{-2,-1}}, bool keepdim=False, *, dtype? dtype=None, "
                    "Tensor? out=None" for ord in ("Number ord", 'str ord="fro"'))


# The function forms whose arguments are parsed before the method is called
FUNCTION_PARSED_FIRST = {
    "flip": ("Tensor input, int[] dims",),
    # (the method, Python code in PyTorch, refuses empty sizes before its parser sees dim)
    "unflatten": ("Tensor input, int dim, int[] sizes",),
}


# The function forms whose TypeErrors list their own overloads (with ``Tensor input`` first)
FUNCTION_OVERLOADS = {
    "movedim": ("Tensor input, int source, int destination", "Tensor input, int[] source, int[] destination"),
    "moveaxis": ("Tensor input, int source, int destination", "Tensor input, int[] source, int[] destination"),
    "prod": ("Tensor input, *, dtype? dtype=None",
             "Tensor input, int dim, bool keepdim=False, *, dtype? dtype=None, Tensor? out=None"),
    "squeeze": ("Tensor input", "Tensor input, int dim", "Tensor input, int[] dim"),
    "permute": ("Tensor input, int[] dims",),
    "tensor_split": ("Tensor input, SymInt[] indices, int dim=0", "Tensor input, Tensor tensor_indices_or_sections, "
                     "int dim=0", "Tensor input, SymInt sections, int dim=0"),
    "index_fill": tuple(f"Tensor input, int dim, Tensor index, {value}" for value in ("Tensor value", "Number value")),
    "scatter": tuple(f"Tensor input, int dim, Tensor index, {source}, *, {reduce}Tensor? out=None"
                     for source in ("Tensor src", "Number value") for reduce in ("", "str reduce, ")),
    **{name: tuple(f'Tensor input, {q} q, int? dim=None, bool keepdim=False, *, str interpolation="linear", '
                   'Tensor? out=None' for q in ("Tensor", "float")) for name in ("quantile", "nanquantile")},
    "repeat_interleave": ("Tensor input, Tensor repeats, int? dim=None, *, SymInt? output_size=None",
                          "Tensor repeats, *, SymInt? output_size=None",
                          "Tensor input, SymInt repeats, int? dim=None, *, SymInt? output_size=None"),
    "narrow": ("Tensor input, int dim, Tensor start, SymInt length",
               "Tensor input, int dim, SymInt start, SymInt length"),
    **{name: ("Tensor input, Tensor? min=None, Tensor? max=None, *, Tensor? out=None",
              "Tensor input, Number? min=None, Number? max=None, *, Tensor? out=None") for name in ("clamp", "clip")},
    **{name: (f"Tensor input, int[1]? dim, bool unbiased=True, bool keepdim=False{out}",
              f"Tensor input, int[1]? dim=None, *, Number? correction=None, bool keepdim=False{out}",
              "Tensor input, bool unbiased=True")
       for name, out in (("var", ", *, Tensor? out=None"), ("std", ", *, Tensor? out=None"), ("var_mean", ""),
                         ("std_mean", ""))},
}


# The function forms whose TypeErrors for a call their method refused list their own overloads (``out`` taken off
# by the function form before)
FUNCTION_FORM_OVERLOADS = {
    "sum": ("Tensor input, *, dtype? dtype=None",
            "Tensor input, int[1]? dim, bool keepdim=False, *, dtype? dtype=None, Tensor? out=None"),
    "mean": ("Tensor input, *, dtype? dtype=None, Tensor? out=None",
             "Tensor input, int[1]? dim, bool keepdim=False, *, dtype? dtype=None, Tensor? out=None"),
    **{name: ("Tensor input, *, Tensor? out=None",
              "Tensor input, int[]? dim=None, bool keepdim=False, *, Tensor? out=None",
              "Tensor input, int dim, bool keepdim=False, *, Tensor? out=None") for name in ("any", "all")},
    "count_nonzero": ("Tensor input, int? dim=None", "Tensor input, int[] dim"),
    "sort": ("Tensor input, *, bool stable, int dim=-1, bool descending=False, TensorList? out=None",
             "Tensor input, int dim=-1, bool descending=False, *, TensorList? out=None"),
    "argsort": ("Tensor input, *, bool stable, int dim=-1, bool descending=False, Tensor? out=None",
                "Tensor input, int dim=-1, bool descending=False"),
}
