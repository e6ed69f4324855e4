"""fx's :class:`Node`: one operation of a :class:`~torchless.fx.Graph` (an input, a call, an attribute fetch or the
output), with its arguments (other nodes and constants) and the nodes that use it."""
import builtins
import operator

from .immutable_collections import immutable_dict, immutable_list

__all__ = ["Node", "map_arg", "map_aggregate", "has_side_effect"]

_OPS = ("placeholder", "call_method", "call_module", "call_function", "get_attr", "output", "root")


# The torch functions PyTorch writes in Python, which fx records under their modules' names
# (torch.functional.split); torch.functional.istft and broadcast_shapes are torch's own
_PYTHON_MODULES = {"torch.functional": ("atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_tensors",
                                        "cartesian_prod", "cdist", "chain_matmul", "einsum", "lu", "meshgrid", "norm",
                                        "split", "stft", "tensordot", "unique", "unique_consecutive",
                                        "unravel_index"),
                   "torch._lowrank": ("pca_lowrank", "svd_lowrank")}


def _torch_names():
    """id -> (qualified name as PyTorch prints it, object) of torchless's public functions: ``torch.flatten``,
    ``torch.nn.functional.relu``, ``torch._C._nn.linear`` (nn.functional's compiled functions),
    ``torch.functional.split``, ``torch.Tensor.add``. Built on first use, so importing fx imports nothing, and
    again when a namespace has grown (torchless loads some functions on first use)."""
    import torchless
    from torchless._C import _nn
    from torchless.nn import functional
    loaded = vars(torchless)
    python_modules = [(prefix, {name: loaded[name] for name in names if name in loaded})
                      for prefix, names in _PYTHON_MODULES.items()]
    namespaces = (("torch.Tensor", vars(torchless.Tensor)), ("torch._C._nn", vars(_nn)), *python_modules,
                  ("torch", loaded), ("torch.nn.functional", vars(functional)))
    key = tuple(len(namespace) for _, namespace in namespaces)
    cached = _torch_names.__dict__.get("names")
    if cached is not None and cached[0] == key:
        return cached[1]
    names = {}
    for prefix, namespace in namespaces:
        entries = [(name, getattr(obj, "__fx_original__", obj))  # (built while a trace has the names patched)
                   for name, obj in namespace.items()]
        # a function under its own name first (F._threshold, whose alias is F.threshold)
        entries.sort(key=lambda entry: entry[0] != getattr(entry[1], "__name__", None))
        for name, obj in entries:
            if not name.startswith("__") and callable(obj) and not isinstance(obj, type):
                names.setdefault(id(obj), (f"{prefix}.{name}", obj))
    _torch_names.names = (key, names)
    return names


def _get_qualified_name(func):
    """How generated code and printed graphs name ``func``: ``getattr``, ``torch.flatten``, ``module.name``."""
    if getattr(builtins, func.__name__, None) is func:
        return func.__name__
    known = _torch_names().get(id(func))
    if known is not None and known[1] is func:
        return known[0]
    name = func.__name__
    if name == "<lambda>":
        raise RuntimeError("Unable to represent lambda")
    module = getattr(func, "__module__", None) or "builtins"
    if module == "torchless" or module.startswith("torchless."):
        module = "torch" + module[len("torchless"):]
    return f"{module}.{name}"


def _torch_repr(arg, as_str=False):
    """How a constant argument prints in a graph and its code: torchless's dtypes, layouts and memory formats
    under torch's name (``torch.float64``), which the code's ``torch`` global reaches."""
    text = str(arg) if as_str else repr(arg)
    if text.startswith("torchless.") and (type(arg).__module__ or "").startswith("torchless"):
        return "torch." + text[len("torchless."):]
    return text


# Functions registered by has_side_effect: never removed as dead code
_side_effectful_functions = set()


def _side_effectful():
    """torch's side-effectful functions that torchless has, and those registered by :func:`has_side_effect`."""
    import torchless
    return [torchless._assert, operator.setitem, *_side_effectful_functions]


def _is_random_function(target):
    import torchless
    return any(target is getattr(torchless, name, None) for name in (
        "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "poisson",
        "bernoulli", "multinomial"))


def has_side_effect(fn):
    """Register ``fn`` as side-effectful: its calls are not removed by ``Graph.eliminate_dead_code``.

    Args:
        fn (Callable): the function
    """
    _side_effectful_functions.add(fn)
    return fn


def _format_arg(arg, max_list_len=float("inf")):
    if isinstance(arg, list):
        items = ", ".join(_format_arg(a) for idx, a in enumerate(arg) if idx < max_list_len)
        maybe_len = "" if len(arg) < max_list_len + 1 else f", ...[total_len={len(arg)}]"
        return f"[{items}{maybe_len}]"
    if isinstance(arg, tuple):
        items = ", ".join(_format_arg(a) for idx, a in enumerate(arg) if idx < max_list_len)
        maybe_len = "" if len(arg) < max_list_len + 1 else f", ...[total_len={len(arg)}]"
        maybe_comma = "," if len(arg) == 1 else ""
        return f"({items}{maybe_comma}{maybe_len})"
    if isinstance(arg, dict):
        items_str = ", ".join(f"{k}: {_format_arg(v)}" for k, v in arg.items())
        return f"{{{items_str}}}"
    if isinstance(arg, Node):
        return "%" + str(arg)
    return _torch_repr(arg, as_str=True)


def map_aggregate(a, fn):
    """Apply ``fn`` to each leaf of ``a`` (nested tuples, lists, dicts and slices), rebuilding the containers."""
    if isinstance(a, tuple):
        t = tuple(map_aggregate(elem, fn) for elem in a)
        return t if not hasattr(a, "_fields") else type(a)(*t)  # named tuples keep their type
    if isinstance(a, list):  # (nodes' arguments may not change in place: a node's users would go stale)
        return immutable_list(map_aggregate(elem, fn) for elem in a)
    if isinstance(a, dict):
        return immutable_dict((k, map_aggregate(v, fn)) for k, v in a.items())
    if isinstance(a, slice):
        return slice(map_aggregate(a.start, fn), map_aggregate(a.stop, fn), map_aggregate(a.step, fn))
    return fn(a)


def map_arg(a, fn):
    """Apply ``fn`` to each :class:`Node` in ``a`` (nested as in :func:`map_aggregate`)."""
    if not callable(fn):
        raise AssertionError("torch.fx.map_arg(a, fn): fn must be a callable")
    return map_aggregate(a, lambda x: fn(x) if isinstance(x, Node) else x)


class Node:
    """One operation of a :class:`Graph`.

    ``op`` is one of ``placeholder`` (an input of the function; ``target`` its name, ``args`` its default if any),
    ``get_attr`` (fetch a parameter, buffer or constant of the module: ``target`` its dotted path),
    ``call_function`` (``target`` the callable), ``call_module`` (``target`` the submodule's dotted path),
    ``call_method`` (``target`` the method's name, called on ``args[0]``) and ``output`` (``args[0]`` the value
    returned). ``users`` holds the nodes that take this one as an argument; ``meta`` free-form data passes store.
    """

    def __init__(self, graph, name, op, target, args, kwargs, return_type=None):
        if op not in _OPS:
            raise AssertionError(f"Unknown op {op}")
        if op in ("call_method", "call_module", "get_attr", "placeholder") and not isinstance(target, str):
            raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has type "
                             f"{type(target)} but a str is expected for {op}")
        self.graph = graph
        self.name = name
        self.op = op
        self.target = target
        self._input_nodes = {}
        self.users = {}
        self.type = return_type
        self._prev = self
        self._next = self
        self._erased = False
        self.meta = {}
        self._args = ()
        self._kwargs = {}
        self._update_args_kwargs(args, kwargs)

    @property
    def next(self):
        """The node after this one in the graph."""
        return self._next

    @property
    def prev(self):
        """The node before this one in the graph."""
        return self._prev

    @property
    def args(self):
        """The positional arguments of this node (nodes and constants)."""
        return self._args

    @args.setter
    def args(self, a):
        self._update_args_kwargs(a, self._kwargs)

    @property
    def kwargs(self):
        """The keyword arguments of this node."""
        return self._kwargs

    @kwargs.setter
    def kwargs(self, k):
        self._update_args_kwargs(self._args, k)

    @property
    def all_input_nodes(self):
        """The nodes this one takes as arguments, in order of appearance."""
        return list(self._input_nodes)

    @property
    def stack_trace(self):
        return self.meta.get("stack_trace", None)

    def _update_args_kwargs(self, new_args, new_kwargs):
        for old in self._input_nodes:
            old.users.pop(self)
        self._input_nodes = {}
        def record(n):
            self._input_nodes.setdefault(n)
            return n
        self._args = map_arg(tuple(new_args), record)
        self._kwargs = map_arg(dict(new_kwargs), record)
        for node in self._input_nodes:
            node.users.setdefault(self)

    def prepend(self, x):
        """Insert ``x`` before this node."""
        if self == x:
            return
        x._remove_from_list()
        p = self._prev
        p._next, x._prev = x, p
        x._next, self._prev = self, x

    def append(self, x):
        """Insert ``x`` after this node."""
        self._next.prepend(x)

    def _remove_from_list(self):
        p, n = self._prev, self._next
        p._next, n._prev = n, p

    def replace_all_uses_with(self, replace_with, delete_user_cb=lambda user: True, *, propagate_meta=False):
        """Make every user of this node use ``replace_with`` instead; returns the users changed."""
        if propagate_meta:
            for k, v in self.meta.items():
                replace_with.meta.setdefault(k, v)
        to_process = list(self.users)
        result = []
        for user in to_process:
            if not delete_user_cb(user):
                continue
            result.append(user)
            user._update_args_kwargs(map_arg(user.args, lambda n: replace_with if n is self else n),
                                     map_arg(user.kwargs, lambda n: replace_with if n is self else n))
        return result

    def update_arg(self, idx, arg):
        """Make ``self.args[idx]`` ``arg``.

        Args:
            idx (int): The index into ``self.args`` of the element to update
            arg (Argument): The new argument value to write into ``args``
        """
        args = list(self.args)
        args[idx] = arg
        self.args = tuple(args)

    def insert_arg(self, idx, arg):
        """Insert ``arg`` into ``self.args`` before index ``idx``.

        Args:
            idx (int): The index of the element in ``self.args`` to be inserted before.
            arg (Argument): The new argument value to insert into ``args``
        """
        if not (0 <= idx <= len(self.args)):
            raise AssertionError(f"insert_args index must be between 0 and len(self.args), got {idx}")
        self._update_args_kwargs(self.args[:idx] + (arg,) + self.args[idx:], self.kwargs)

    def update_kwarg(self, key, arg):
        """Make ``self.kwargs[key]`` ``arg``.

        Args:
            key (str): The key in ``self.kwargs`` of the element to update
            arg (Argument): The new argument value to write into ``kwargs``
        """
        self.kwargs = {**self.kwargs, key: arg}

    def replace_input_with(self, old_input, new_input):
        """Replace the argument ``old_input`` of this node with ``new_input``."""
        self._update_args_kwargs(map_arg(self.args, lambda n: new_input if n is old_input else n),
                                 map_arg(self.kwargs, lambda n: new_input if n is old_input else n))

    @staticmethod
    def _pretty_print_target(target):
        if isinstance(target, str):
            return target
        name = getattr(target, "__name__", None)
        module = getattr(target, "__module__", None)
        if name is not None and module == "builtins":
            return f"builtins.{name}"
        if name is not None and module == "_operator":
            return f"operator.{name}"
        return _get_qualified_name(target)

    def format_node(self, placeholder_names=None, maybe_return_typename=None):
        """The line printing this node in a printed :class:`Graph`: ``%name : [num_users=1] = op[target=...](...)``."""
        users = f"[num_users={len(self.users)}]"
        if self.op == "placeholder":
            arg_str = self.target
            if placeholder_names:
                placeholder_names.append(arg_str)
                return None
            default_val = "(default=" + str(self.args[0]) + ")" if self.args else ""
            return f"%{self.name} : {users} = {self.op}[target={self.target}]{default_val}"
        if self.op == "get_attr":
            return f"%{self.name} : {users} = {self.op}[target={self._pretty_print_target(self.target)}]"
        if self.op == "output":
            return f"return {self.args[0]}"
        return (f"%{self.name} : {users} = {self.op}[target={self._pretty_print_target(self.target)}]("
                f"args = {_format_arg(self.args)}, kwargs = {_format_arg(self.kwargs)})")

    def __repr__(self):
        return self.name

    def is_impure(self, impure_random=True):
        """Whether removing this node could change what the graph does, as PyTorch judges it: inputs, the output,
        impure modules (``_is_impure``), random functions (``torch.rand``, ...) and the functions marked
        side-effectful (``torch._assert``, ``operator.setitem``, :func:`has_side_effect`). In-place calls are not
        among them (PyTorch's ops without a schema say nothing of mutation).

        Args:
            impure_random (bool): Whether to treat rand op as impure.
        """
        if self.op in {"placeholder", "output"}:
            return True
        if self.op == "call_module":
            if self.graph.owning_module is None:
                raise AssertionError("self.graph.owning_module not set for purity check")
            target_mod = self.graph.owning_module.get_submodule(self.target)
            return getattr(target_mod, "_is_impure", False)
        if self.op == "call_function":
            target = getattr(self.target, "__fx_original__", self.target)
            if impure_random and getattr(target, "_nondeterministic_seeded", False):
                return True
            return _is_random_function(target) or any(target is f for f in _side_effectful())
        return False
