"""torchvision's feature extraction (``torchvision.models.feature_extraction``): a model's intermediate results,
returned by name -- ``create_feature_extractor(resnet18(), {"layer1": "feat1", "layer4.1.relu": "x"})`` -- and
``get_graph_node_names`` to list the names available.

torchvision traces the model with torch.fx into a graph of every operation and rewrites that graph to return the
requested nodes. torchless has no torch.fx, so this is the closest honest thing: the nodes are those a module path
names, and the extractor runs the model itself with forward hooks that capture the outputs.

- A node is a ``.``-separated module path, named as torchvision names it: ``"layer1"`` (any module: its output),
  ``"layer4.1.relu"`` (a leaf module: its first call), ``"layer4.1.relu_1"`` (its second call, and so on), or the
  name of a positional parameter of the model's ``forward`` (``"x"``: the input). Leaf modules are fx's: those of
  ``torchless.nn`` (but its containers) and ``torchless.vision.ops``, modules without children, and the classes given
  as ``tracer_kwargs["leaf_modules"]``.
- The operations fx finds between modules -- ``"layer1.0.add"``, ``"flatten"``, ``"getitem"``... -- are not
  modules: asking for one raises NotImplementedError naming it.
- ``get_graph_node_names`` lists the placeholders and the leaf modules in registration order (without a trace,
  neither the functional nodes nor the second calls of a leaf); it is the execution order wherever the model
  registers its modules in the order its forward uses them, as torchvision's models do.
- The model runs until the last requested node is computed (fx drops the operations after it), so in training
  mode the later layers' batch statistics stay as they were. A module fx traces through that runs more than once
  gives its first output (fx's node is its last). The extractor's parameters and state_dict are those
  of the modules registered up to the last requested node, under the model's own names; its modules are the
  model's.
- fx records ``out += x`` as an out-of-place addition, which leaves the node ``out`` was as it was: a node's
  value is a copy, taken again when an in-place module of the model (``ReLU(inplace=True)``) overwrites it, as
  the module does in fx's run. A functional in-place operation (``F.relu(x, inplace=True)``, in GoogLeNet's and
  Inception's convolution blocks) overwrites fx's node but not the copy.
- Without a graph, there is no dead-code elimination before that node: a branch computed earlier but only used
  after it (Inception's other branches, say) still runs, and its modules stay in the extractor.
- ``tracer_kwargs`` keeps only ``leaf_modules``; ``concrete_args`` is accepted and ignored.
"""
import inspect
import operator
import re
import sys
from typing import NamedTuple, Optional

from ... import Tensor, nn

__all__ = ["create_feature_extractor", "get_graph_node_names"]


class _AllNodesCaptured(Exception):
    """Raised by a hook once every requested node has been captured, to end the forward pass there."""


def _default_leaf_classes():
    """torchvision's leaves besides torch.nn's: the module classes torchvision.ops exports."""
    from .. import ops

    return [obj for _, obj in inspect.getmembers(ops) if inspect.isclass(obj) and issubclass(obj, nn.Module)]


_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)


def _is_leaf(module, leaf_classes):
    """Whether fx would record ``module``'s call as one node rather than trace through it (modules without
    children included: there is nothing inside them to hook; containers never: an empty Sequential runs
    nothing)."""
    if isinstance(module, tuple(leaf_classes)):
        return True
    if isinstance(module, _CONTAINERS):
        return False
    return type(module).__module__.startswith("torchless.nn") or next(module.children(), None) is None


def _placeholders(model):
    """The names of ``model.forward``'s positional parameters: fx's first nodes."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [name for name, parameter in inspect.signature(model.forward).parameters.items()
            if parameter.kind in kinds]


def _leaf_classes(tracer_kwargs):
    extra = list((tracer_kwargs or {}).get("leaf_modules", []))
    return _default_leaf_classes() + extra


def get_graph_node_names(model, tracer_kwargs=None, suppress_diff_warning=False, concrete_args=None):
    """The names of the nodes :func:`create_feature_extractor` accepts for ``model``, in train and in eval mode:
    the positional parameters of its ``forward`` and the paths of its leaf modules, in registration order. See the
    module's docstring for what torchvision's fx trace lists and this does not (functional nodes, second calls).

    Args:
        model (nn.Module): model for which we'd like to print node names
        tracer_kwargs (dict, optional): only ``leaf_modules`` (module classes treated as leaves) is used.
        suppress_diff_warning (bool, optional): unused: both lists are the same.
        concrete_args (dict, optional): unused.

    Returns:
        tuple(list, list): the node names in train mode, and in eval mode.

    Examples::

        >>> model = torchless.vision.models.resnet18()
        >>> train_nodes, eval_nodes = get_graph_node_names(model)
    """
    leaf_classes = _leaf_classes(tracer_kwargs)
    nodes = _placeholders(model) + [name for name, module in _leaf_modules(model, leaf_classes)]
    return nodes, list(nodes)


def _leaf_modules(model, leaf_classes):
    """(path, module) of ``model``'s leaf modules in registration order, not descending into leaves."""
    found = []

    def visit(module, prefix):
        for name, child in module.named_children():
            path = prefix + name
            if _is_leaf(child, leaf_classes):
                found.append((path, child))
            else:
                visit(child, path + ".")

    if _is_leaf(model, leaf_classes):
        return found
    visit(model, "")
    return found


def _operation_names():
    """Names fx gives the functional nodes it records: torch functions, torch.nn.functional, operators and Tensor
    methods."""
    from ...nn import functional

    torch_namespace = sys.modules[__package__.partition(".")[0]]
    return set(dir(torch_namespace)) | set(dir(Tensor)) | set(dir(functional)) | set(dir(operator)) | {"getattr"}


class _Query(NamedTuple):
    """One requested node: the module whose output it is (None for a placeholder), the call of it that counts
    (-1: any, for a module fx traces through) and the output's key."""

    node: str
    module: Optional[nn.Module]
    call: int
    key: str


_NOT_PRESENT = ("node: '{}' is not present in model. Hint: use `get_graph_node_names` to make sure the "
                "`return_nodes` you specified are present. It may even be that you need to specify "
                "`train_return_nodes` and `eval_return_nodes` separately.")


def _resolve(node, key, modules, leaf_classes, placeholders):
    """The :class:`_Query` of ``node``: ValueError if it names nothing, NotImplementedError if it names an
    operation only an fx trace finds."""
    if node in placeholders:
        return _Query(node, None, 0, key)
    ancestors = [node[:index] for index, char in enumerate(node) if char == "."]
    if any(path in modules and _is_leaf(modules[path], leaf_classes) for path in ancestors):
        raise ValueError(_NOT_PRESENT.format(node))  # fx does not look inside a leaf
    if node in modules:
        module = modules[node]
        return _Query(node, module, 0 if _is_leaf(module, leaf_classes) else -1, key)
    repeated = re.fullmatch(r"(.+)_([0-9]+)", node)
    if repeated and repeated.group(1) in modules and _is_leaf(modules[repeated.group(1)], leaf_classes):
        return _Query(node, modules[repeated.group(1)], int(repeated.group(2)), key)
    parent, _, operation = node.rpartition(".")
    operation = re.sub(r"_[0-9]+$", "", operation)
    if (parent == "" or parent in modules) and operation in _operation_names():
        raise NotImplementedError(
            f"node: '{node}' is the result of an operation ('{operation}'), not of a module: only a torch.fx trace "
            f"finds such nodes, and torchless has none. Ask for a module's output instead (the module that "
            f"computes it, or the one it feeds)."
        )
    raise ValueError(_NOT_PRESENT.format(node))


def _to_strdict(nodes):
    if isinstance(nodes, list):
        return {str(i): str(i) for i in nodes}
    return {str(k): str(v) for k, v in nodes.items()}


def _kept_modules(queries, modules):
    """The paths of the modules an extractor of ``queries`` holds: every module registered up to the last one a
    query needs (for a repeated leaf call, its parent: the later call may follow modules registered after it)."""
    needed = set()
    for query in queries:
        if query.module is not None:
            path = query.node if query.node in modules else query.node.rpartition("_")[0]
            needed.add(path.rpartition(".")[0] if query.call > 0 else path)
    order = list(modules)
    last = max((index for index, name in enumerate(order)
                if any(path == "" or name == path or name.startswith(path + ".") for path in needed)), default=-1)
    return set(order[:last + 1])


def _share_modules(container, module, kept, prefix=""):
    """``module``'s kept modules registered on ``container`` under their names: the leaves of the kept subtree
    are ``module``'s own objects, their parents fresh plain modules (as fx's GraphModule holds them); each
    module's own parameters and buffers are shared too."""
    for name, parameter in module.named_parameters(recurse=False):
        container.register_parameter(name, parameter)
    for name, buffer in module.named_buffers(recurse=False):
        container.register_buffer(name, buffer, persistent=name not in module._non_persistent_buffers_set)
    for name, child in module.named_children():
        path = prefix + name
        if path not in kept:
            continue
        if any(other.startswith(path + ".") for other in kept):
            holder = nn.Module()
            holder.training = child.training
            container.add_module(name, holder)
            _share_modules(holder, child, kept, path + ".")
        else:
            container.add_module(name, child)


class _FeatureExtractor(nn.Module):
    """The module :func:`create_feature_extractor` returns: the model's forward, run with hooks, returning the
    requested nodes' values in a dict ordered as they were computed; train and eval mode each have their nodes."""

    def __init__(self, model, queries_by_mode, kept):
        super().__init__()
        _share_modules(self, model, kept)
        object.__setattr__(self, "_model", model)  # not a submodule: its unused modules are not the extractor's
        self._queries_by_mode = queries_by_mode

    def forward(self, *args, **kwargs):
        model = self._model
        queries = self._queries_by_mode["train" if self.training else "eval"]
        shared = {id(module) for module in self.modules()}
        for module in model.modules():  # the model's own containers run in the extractor's mode
            if id(module) not in shared:
                module.training = self.training

        captured = {}
        placeholders = _placeholders(model)
        queries_of_module = {}
        for query in queries:
            if query.module is None:
                index = placeholders.index(query.node)
                captured[query.key] = args[index] if index < len(args) else kwargs[query.node]
            else:
                queries_of_module.setdefault(query.module, []).append(query)
        calls = {}
        # fx records `out += x` in a forward as an out-of-place add, while an in-place leaf module (ReLU(inplace=
        # True)) still overwrites its input: a node's value is a copy, taken again when such a module overwrites
        # the tensor -- unless something else changed it first (its version tells), which made it another node
        nodes_of_tensor = {}  # id -> (tensor, its version when last copied, keys)

        def keep(key, output):
            captured.pop(key, None)  # a node computed again moves to its new place in the order
            if isinstance(output, Tensor):
                _, _, keys = nodes_of_tensor.setdefault(id(output), (output, output._version, []))
                keys.append(key)
                output = output.clone()
            captured[key] = output

        def overwritten(module, inputs, output):
            tensor, version, keys = nodes_of_tensor.pop(id(output), (None, None, ()))
            if tensor is not None and output._version == version + 1:
                for key in keys:
                    captured[key] = output.clone()
                nodes_of_tensor[id(output)] = (output, output._version, keys)

        def capture(module, inputs, output):
            call = calls.get(module, 0)
            calls[module] = call + 1
            for query in queries_of_module[module]:
                if query.call in (call, -1):
                    keep(query.key, output)
            if all(query.key in captured for query in queries):
                raise _AllNodesCaptured

        # (the in-place modules' hooks first: a requested in-place module updates the nodes it overwrites before
        # its own capture may end the run)
        handles = [module.register_forward_hook(overwritten) for module in model.modules()
                   if getattr(module, "inplace", False) is True]
        handles += [module.register_forward_hook(capture) for module in queries_of_module]
        try:
            model(*args, **kwargs)
        except _AllNodesCaptured:
            pass
        finally:
            for handle in handles:
                handle.remove()
        for query in queries:
            if query.key not in captured:
                raise ValueError(_NOT_PRESENT.format(query.node))
        return dict(captured)


def create_feature_extractor(model, return_nodes=None, train_return_nodes=None, eval_return_nodes=None,
                             tracer_kwargs=None, suppress_diff_warning=False, concrete_args=None):
    """A module whose forward runs ``model`` and returns the values of the requested nodes in a dict, under the
    names asked for, ordered as they are computed. See the module's docstring for what a node is here.

    Args:
        model (nn.Module): model on which we will extract the features
        return_nodes (list or dict, optional): the nodes to return: a dict maps each to its key in the output, a
            list uses the node names as keys. Not given when ``train_return_nodes`` and ``eval_return_nodes`` are.
        train_return_nodes (list or dict, optional): as ``return_nodes``, for train mode only; requires
            ``eval_return_nodes``.
        eval_return_nodes (list or dict, optional): as ``return_nodes``, for eval mode only; requires
            ``train_return_nodes``.
        tracer_kwargs (dict, optional): only ``leaf_modules`` (module classes treated as leaves) is used.
        suppress_diff_warning (bool, optional): unused (no trace, no difference between the modes' traces).
        concrete_args (dict, optional): unused.

    Examples::

        >>> model = torchless.vision.models.resnet18()
        >>> # extract layer1 and layer3, giving as names `feat1` and feat2`
        >>> model = create_feature_extractor(model, {'layer1': 'feat1', 'layer3': 'feat2'})
        >>> out = model(torch.rand(1, 3, 224, 224))
        >>> print([(k, v.shape) for k, v in out.items()])
        [('feat1', torchless.Size([1, 64, 56, 56])), ('feat2', torchless.Size([1, 256, 14, 14]))]
    """
    if all(arg is None for arg in [return_nodes, train_return_nodes, eval_return_nodes]):
        raise ValueError(
            "Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` together, should be specified"
        )
    if (train_return_nodes is None) ^ (eval_return_nodes is None):
        raise ValueError(
            "If any of `train_return_nodes` and `eval_return_nodes` are specified, then both should be specified"
        )
    if not ((return_nodes is None) ^ (train_return_nodes is None)):
        raise ValueError("If `train_return_nodes` and `eval_return_nodes` are specified, then both should be specified")

    if train_return_nodes is None:
        train_return_nodes = eval_return_nodes = _to_strdict(return_nodes)
    else:
        train_return_nodes, eval_return_nodes = _to_strdict(train_return_nodes), _to_strdict(eval_return_nodes)

    leaf_classes = _leaf_classes(tracer_kwargs)
    modules = dict(model.named_modules())
    del modules[""]
    placeholders = _placeholders(model)
    queries_by_mode = {
        mode: [_resolve(node, key, modules, leaf_classes, placeholders) for node, key in nodes.items()]
        for mode, nodes in (("train", train_return_nodes), ("eval", eval_return_nodes))
    }
    kept = _kept_modules(queries_by_mode["train"] + queries_by_mode["eval"], modules)
    extractor = _FeatureExtractor(model, queries_by_mode, kept)
    # torchvision's GraphModule takes the model's class name
    extractor.__class__ = type(type(model).__name__, (_FeatureExtractor,), {"__module__": __name__})
    extractor.train(model.training)
    return extractor
