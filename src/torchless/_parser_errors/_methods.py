"""A Tensor method's failing call (Python's binding error, or one its quick checks refused) as PyTorch's parser
reads it: the call read back as the user wrote it, and the parser's TypeError for it."""
import re

from ._messages import function_positions, in_place_named, invalid_combination
from ._overloads import FUNCTION_FORM_OVERLOADS, METHOD_HIDDEN_OVERLOADS, METHOD_OVERLOADS, PARSED_ON_FAILURE
from ._schema import parse, parse_overload, schemas_of, warn_deprecated_overload


def failure_parse(name, args, kwargs):
    """The failed call ``args``/``kwargs`` of the Tensor method ``name`` (of PARSED_ON_FAILURE or METHOD_OVERLOADS)
    as PyTorch's parser reads it: (its TypeError, None) where it refuses the call; (None, the arguments by name) where only a
    deprecated overload takes it, with PyTorch's warning (once a process, as its TORCH_WARN_ONCE), or where it reads a
    keyword under another name (NumPy's x2 for other); (None, None) where it takes the call as written (the method's
    own error then stands)."""
    from .._function_signatures import METHOD_SIGNATURES

    printed, hidden = PARSED_ON_FAILURE[name] if name in PARSED_ON_FAILURE else METHOD_SIGNATURES[name] \
        if name in METHOD_SIGNATURES else (METHOD_OVERLOADS[name], ())
    try:
        index, arguments = parse_overload(name, printed, args, kwargs, hidden)
    except TypeError as error:
        return error, None
    if index < len(printed):
        # a keyword the parser reads under another name (NumPy's x2 for other), which Python's binding refused:
        # the call as the parser takes it
        return None, (arguments if not set(kwargs) <= set(arguments) else None)
    warn_deprecated_overload(name, hidden[index - len(printed)], printed)
    return None, arguments

def method_arguments(name, args, kwargs=None):
    """``parse`` for the Tensor method ``name``; a TypeError as the parser gives it for the call as the user wrote
    it (see _written_call.user_call), where the method read the arguments back from its parameters (all by position)
    or was reached through its function form, or through its in-place form."""
    try:
        return _method_arguments(name, args, kwargs)
    except TypeError as error:
        raise in_place_named(name, error) from None


def _method_arguments(name, args, kwargs):
    try:
        return _parse_method(name, args, kwargs)
    except TypeError as error:
        from .._functions import POSITIONS_SHIFTED
        from .._written_call import user_call

        written = user_call(name)
        if written is None:
            raise
        shift = written.function_form and name not in POSITIONS_SHIFTED  # (else the function form shifts them)
        if written.positional < len(args):  # the arguments past those given by position: by keyword or not given
            names = max(([p.name for p in schema.params if not p.keyword_only]
                         for schema in schemas_of(name, tuple(METHOD_OVERLOADS[name]))), key=len)
            given = {names[i]: args[i] for i in range(written.positional, min(len(args), len(names)))
                     if names[i] in written.keywords}
            args, kwargs = args[:written.positional], {**given, **(kwargs or {})}
        elif not shift:
            raise
        try:
            _parse_method(name, args, kwargs)
        except TypeError as as_written:
            raise function_positions(as_written) if shift else as_written from None
        raise error from None  # (the call as written passes, as it never should: the method's reading stands)


def _parse_method(name, args, kwargs):
    """PyTorch's parser for a call of the Tensor method ``name`` (of METHOD_OVERLOADS), its deprecated overloads
    tried last (never listed: copy_'s async one makes its TypeErrors list the one printed, as for several)."""
    return parse_overload(name, METHOD_OVERLOADS[name], args, kwargs, METHOD_HIDDEN_OVERLOADS.get(name, ()))[1]


# The public methods that PyTorch writes in Python (torch/_tensor.py): Python's TypeErrors name them "Tensor.split()"
_PYTHON_TENSOR_METHODS = frozenset(
    "backward dim_order eig index is_shared istft lstsq lu module_load norm register_hook "
    "register_post_accumulate_grad_hook reinforce resize resize_as share_memory_ solve split stft storage "
    "storage_type symeig to_sparse_coo unflatten unique unique_consecutive".split())


def name_native_methods(cls):
    """Name the plain-function methods of ``cls`` that PyTorch binds natively by their bare names: the TypeErrors
    Python raises binding them ("add() got an unexpected keyword argument 'foo'", "got multiple values for
    argument") then read as PyTorch's parser words them, at no cost to a call (the hot methods are not wrapped).
    An alias (``multiply = mul``) keeps its function's name."""
    import inspect

    for name, value in vars(cls).items():
        if not name.startswith("_") and name not in _PYTHON_TENSOR_METHODS and inspect.isfunction(value) \
                and value.__name__ == name:
            value.__qualname__ = name


def word_binding_errors_as_the_parser(cls):
    """Wrap the methods off the hot paths that install_methods left unwrapped and whose signatures
    _function_signatures.METHOD_SIGNATURES holds: their failing calls (Python's binding errors, which count self,
    too) are parsed as PyTorch's parser reads them, as failure_parse does for those of PARSED_ON_FAILURE."""
    import inspect

    from .._function_signatures import METHOD_SIGNATURES
    from .._numpy_names import _renaming

    for name in METHOD_SIGNATURES:
        value = vars(cls).get(name)
        if inspect.isfunction(value):  # (one wrapped already for NumPy's names gets the parsing around it)
            setattr(cls, name, _renaming(name, value, {}, method_binding_error, failure_parse))
    for name in dir(cls):  # the methods of no arguments: CPython's METH_NOARGS errors ("takes no arguments")
        value = getattr(cls, name)
        if not name.startswith("_") and name not in METHOD_SIGNATURES and inspect.isfunction(value) \
                and takes_no_arguments(value):  # (the hot ones, unwrapped, refuse arguments given to *refused)
            if name in _PYTHON_TENSOR_METHODS:  # Python code in PyTorch: Python's errors, naming Tensor.storage()
                value.__qualname__ = f"Tensor.{name}"
            else:
                setattr(cls, name, _refusing_arguments(name, value))


def _refusing_arguments(name, function):
    """The method of no arguments ``function`` refusing any given with CPython's words for PyTorch's METH_NOARGS
    method ``name`` (a lighter wrapper than the parser's, as these are cheap calls)."""
    import functools

    @functools.wraps(function)
    def method(self, *args, **kwargs):
        if args or kwargs:
            raise no_arguments_error(name, args, kwargs)
        return function(self)

    return method


def takes_no_arguments(function):
    """Whether the Python function ``function`` (a method) takes nothing but self: PyTorch binds such a method as
    CPython's METH_NOARGS, whose TypeErrors are CPython's own."""
    import inspect

    code = getattr(inspect.unwrap(function), "__code__", None)
    return code is not None and code.co_argcount == 1 and not code.co_kwonlyargcount and \
        not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS)


def no_arguments_error(name, args, kwargs):
    """CPython's TypeError for arguments given to the METH_NOARGS method ``name`` of PyTorch's TensorBase, as the
    user's ``x.exp(1)`` names it (keywords checked first)."""
    if kwargs:
        return TypeError(f"TensorBase.{name}() takes no keyword arguments")
    return TypeError(f"TensorBase.{name}() takes no arguments ({len(args)} given)")


_TYPE_OVERLOAD = "object dtype = None, bool non_blocking = False, *, torchless.memory_format memory_format = None"


def method_binding_error(name, args, kwargs, error):
    """PyTorch's TypeError for a call of the Tensor method ``name`` whose Python signature refused ``args`` and
    ``kwargs`` (``error``, Python's): CPython's for a method of no arguments, its parser's for the methods whose
    overloads are listed here, else Python's message as the parser words it (self not counted, no "Tensor."
    prefix)."""
    from .._tensor import Tensor

    if (args or kwargs) and takes_no_arguments(getattr(Tensor, name)):
        return no_arguments_error(name, args, kwargs)
    if name == "type" and len(args) + len(kwargs) > 3:
        # more than any overload takes (its deprecated one has as many): none plausible, both listed as one
        return invalid_combination("type", [_TYPE_OVERLOAD], args, kwargs)
    if name in METHOD_OVERLOADS:
        try:
            _parse_method(name, args, kwargs)
        except TypeError as parsed:
            return parsed
    if "unexpected keyword argument" in str(error):  # (the parser names the missing arguments first)
        missing = _missing_arguments(getattr(Tensor, name), args, kwargs)
        if missing:
            plural = "s" if len(missing) == 1 else ""  # (inverted, as in PyTorch's message)
            return TypeError(f"{name}() missing {len(missing)} required positional argument{plural}: "
                             + ", ".join(f'"{n}"' for n in missing))
    return TypeError(_parser_wording(str(error)))


def _missing_arguments(method, args, kwargs):
    """The names of the required parameters of ``method`` (self aside) that neither ``args`` nor ``kwargs``
    give."""
    import inspect

    params = list(inspect.signature(inspect.unwrap(method)).parameters.values())[1:]
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
             inspect.Parameter.KEYWORD_ONLY)
    return [p.name for i, p in enumerate(params) if p.kind in kinds and p.default is inspect.Parameter.empty
            and i >= len(args) and p.name not in kwargs]


def _parser_wording(text):
    """Python's "Tensor.size() takes from 1 to 2 positional arguments but 3 were given" as PyTorch's parser words
    it: "size() takes from 0 to 1 positional arguments but 2 were given"."""
    text = re.sub(r"^\w+\.(?=\w+\(\))", "", text)
    counts = re.match(r"^(\w+\(\) takes )(from (\d+) to (\d+)|(\d+)) positional arguments? but (\d+) "
                      r"(?:was|were) given$", text)
    if counts:
        name, given = counts[1], int(counts[6]) - 1
        most = int(counts[4] or counts[5]) - 1
        if not most:  # a method of no arguments, which PyTorch binds as CPython's METH_NOARGS
            return f"TensorBase.{name[:-len(' takes ')]} takes no arguments ({given} given)"
        taken = f"from {int(counts[3]) - 1} to {most}" if counts[3] else str(most)
        return f"{name}{taken} positional argument{'' if taken == '1' else 's'} but {given} " \
               f"{'was' if given == 1 else 'were'} given"
    missing = re.match(r"^(\w+\(\)) missing (\d+) required positional arguments?: (.*)$", text)
    if missing:
        names = re.findall(r"'(\w+)'", missing[3])
        plural = "s" if len(names) == 1 else ""  # (inverted, as in PyTorch's message)
        return f"{missing[1]} missing {len(names)} required positional argument{plural}: " + \
               ", ".join(f'"{n}"' for n in names)
    return text


def method_error(name, args, kwargs=None):
    """The TypeError PyTorch's parser raises for a call of the Tensor method ``name`` that torchless's quick
    checks refused, or None where the parser would take it (the caller's own error then stands)."""
    try:
        method_arguments(name, args, kwargs)
    except TypeError as error:
        return error
    return None


def written_call(name, params, keywords):
    """(args, kwargs, input) of the failing call of the Tensor method ``name`` as its caller wrote it (see
    _written_call; ``input``: that of the function form it came through, else None), or None where that cannot be
    read. ``params``: (name, value) of the parameters it takes by position, in order; ``keywords``: its keyword-only
    ones, None when not given."""
    from .._tensor import Tensor
    from .._written_call import method_call

    written = method_call(name, Tensor)
    if written is None:
        return None
    keys, positional, input = written
    args = tuple(value for _, value in params[:positional])
    kwargs = {param: value for param, value in params[positional:] if param in keys}
    kwargs.update((key, value) for key, value in keywords.items() if value is not None)
    return args, kwargs, input


def _written_error(name, args, kwargs, input):
    """``method_error`` for a call read by ``written_call``; through a function form, the function's TypeError."""
    overloads = METHOD_OVERLOADS[name]
    if input is not None and name in FUNCTION_FORM_OVERLOADS:
        overloads, args = FUNCTION_FORM_OVERLOADS[name], (input,) + args
    try:  # (the call is as written already: parse, not method_arguments)
        parse(name, overloads, args, kwargs)
    except TypeError as error:
        return function_positions(error) if input is not None and name not in FUNCTION_FORM_OVERLOADS else error
    return None


def written_error(name, params, keywords):
    """The parser's TypeError for the call read by ``written_call``, or None (also where it cannot be read)."""
    call = written_call(name, params, keywords)
    return None if call is None else _written_error(name, *call)


def reduction_error(name, dim, keepdim, dtype=None, **keywords):
    """``method_error`` for a reduction, the call read back as written (``written_call``), else from its
    arguments: dim by position (left out when None), keepdim and the others by keyword (those at their defaults
    taken as not given)."""
    keywords["dtype"] = dtype
    call = written_call(name, (("dim", dim), ("keepdim", keepdim)), keywords)
    if call is None:
        args, kwargs = () if dim is None else (dim,), {}
        if keepdim is not False:
            kwargs["keepdim"] = keepdim
        kwargs.update((key, value) for key, value in keywords.items() if value is not None)
        call = args, kwargs, None
    return _written_error(name, *call)
