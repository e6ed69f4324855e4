"""torchvision's feature extraction (``torchvision.models.feature_extraction``): a model's intermediate results,
returned by name -- ``create_feature_extractor(resnet18(), {"layer1": "feat1", "layer4.1.relu": "x"})`` -- and
``get_graph_node_names`` to list the names available.

As torchvision does, the model is traced with fx (:mod:`torchless.fx`) into a graph of every operation, once in
train mode and once in eval mode; each graph is rewritten to return the requested nodes, and what they do not
need is dropped. A node's name is the path of the module it runs in and its fx name there: ``"layer1.0.conv1"``
(a leaf module), ``"layer1.0.relu_1"`` (its second call), ``"layer1.0.add"`` (``out += identity``), ``"flatten"``,
or an input of the model's forward (``"x"``). Asking for a module that is traced through (``"layer1"``) gives the
last node inside it. Leaf modules are torch.nn's, torchvision.ops's and the classes given as
``tracer_kwargs["leaf_modules"]``.
"""
import math
import re
import warnings
from collections import OrderedDict
from itertools import chain

from ... import fx, nn
from ...fx.graph_module import _copy_attr

__all__ = ["create_feature_extractor", "get_graph_node_names"]


def _get_leaf_modules_for_ops():
    """torchvision's leaves besides torch.nn's: the module classes torchvision.ops exports."""
    import inspect
    from .. import ops

    return [obj for _, obj in inspect.getmembers(ops) if inspect.isclass(obj) and issubclass(obj, nn.Module)]


def _set_default_tracer_kwargs(original_tr_kwargs):
    from .. import ops

    default_autowrap_modules = (math, ops)
    default_leaf_modules = _get_leaf_modules_for_ops()
    result = {} if original_tr_kwargs is None else dict(original_tr_kwargs)
    result["autowrap_modules"] = (tuple(set(result["autowrap_modules"] + default_autowrap_modules))
                                  if "autowrap_modules" in result else default_autowrap_modules)
    result["leaf_modules"] = (list(set(result["leaf_modules"] + default_leaf_modules))
                              if "leaf_modules" in result else default_leaf_modules)
    return result


class LeafModuleAwareTracer(fx.Tracer):
    """An fx Tracer that also treats the classes in ``leaf_modules`` as leaves (one node, not traced through)."""

    def __init__(self, *args, **kwargs):
        self.leaf_modules = {}
        if "leaf_modules" in kwargs:
            self.leaf_modules = kwargs.pop("leaf_modules")
        super().__init__(*args, **kwargs)

    def is_leaf_module(self, m, module_qualname):
        if isinstance(m, tuple(self.leaf_modules)):
            return True
        return super().is_leaf_module(m, module_qualname)


class NodePathTracer(LeafModuleAwareTracer):
    """Records, for each node, its name for feature extraction (``self.node_to_qualname``, in execution order):
    the path of the module it runs in, then its fx name for a non-module node, with a ``_<n>`` suffix counted
    within that module for a repeated name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.current_module_qualname = ""
        self.node_to_qualname = OrderedDict()

    def call_module(self, m, forward, args, kwargs):
        old_qualname = self.current_module_qualname
        try:
            module_qualname = self.path_of_module(m)
            self.current_module_qualname = module_qualname
            if not self.is_leaf_module(m, module_qualname):
                return forward(*args, **kwargs)
            return self.create_proxy("call_module", module_qualname, args, kwargs)
        finally:
            self.current_module_qualname = old_qualname

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, *_, **__):
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr)
        self.node_to_qualname[proxy.node] = self._get_node_qualname(self.current_module_qualname, proxy.node)
        return proxy

    def _get_node_qualname(self, module_qualname, node):
        node_qualname = module_qualname
        if node.op != "call_module":
            if len(node_qualname) > 0:
                node_qualname += "."
            node_qualname += str(node)
        # fx's suffixes count over the whole graph; these count within the module: fx's comes off first
        if re.match(r".+_[0-9]+$", node_qualname) is not None:
            node_qualname = node_qualname.rsplit("_", 1)[0]
        for existing_qualname in reversed(self.node_to_qualname.values()):
            if re.match(rf"{node_qualname}(_[0-9]+)?$", existing_qualname) is not None:
                postfix = existing_qualname.replace(node_qualname, "")
                next_index = int(postfix[1:]) + 1 if len(postfix) else 1
                node_qualname += f"_{next_index}"
                break
        return node_qualname


def _is_subseq(x, y):
    """Whether ``y`` is a subsequence of ``x``."""
    iter_x = iter(x)
    return all(any(x_item == y_item for x_item in iter_x) for y_item in y)


def _warn_graph_differences(train_tracer, eval_tracer):
    train_nodes = list(train_tracer.node_to_qualname.values())
    eval_nodes = list(eval_tracer.node_to_qualname.values())
    if len(train_nodes) == len(eval_nodes) and all(t == e for t, e in zip(train_nodes, eval_nodes)):
        return
    suggestion_msg = ("When choosing nodes for feature extraction, you may need to specify output nodes for train "
                      "and eval mode separately.")
    if _is_subseq(train_nodes, eval_nodes):
        msg = ("NOTE: The nodes obtained by tracing the model in eval mode are a subsequence of those obtained in "
               "train mode. ")
    elif _is_subseq(eval_nodes, train_nodes):
        msg = ("NOTE: The nodes obtained by tracing the model in train mode are a subsequence of those obtained in "
               "eval mode. ")
    else:
        msg = "The nodes obtained by tracing the model in train mode are different to those obtained in eval mode. "
    warnings.warn(msg + suggestion_msg)


def get_graph_node_names(model, tracer_kwargs=None, suppress_diff_warning=False, concrete_args=None):
    """The names of the nodes :func:`create_feature_extractor` accepts for ``model``, in execution order, from
    tracing it in train mode and in eval mode.

    Args:
        model (nn.Module): model for which we'd like to print node names
        tracer_kwargs (dict, optional): keyword arguments for the tracer (``leaf_modules``, ``autowrap_modules``,
            ``autowrap_functions``)
        suppress_diff_warning (bool, optional): whether to suppress a warning when there are discrepancies
            between the train and eval version of the graph. Defaults to False.
        concrete_args (dict, optional): arguments of the forward given fixed values while tracing

    Returns:
        tuple(list, list): the node names in train mode, and in eval mode.

    Examples::

        >>> model = torchless.vision.models.resnet18()
        >>> train_nodes, eval_nodes = get_graph_node_names(model)
    """
    tracer_kwargs = _set_default_tracer_kwargs(tracer_kwargs)
    is_training = model.training
    train_tracer = NodePathTracer(**tracer_kwargs)
    train_tracer.trace(model.train(), concrete_args=concrete_args)
    eval_tracer = NodePathTracer(**tracer_kwargs)
    eval_tracer.trace(model.eval(), concrete_args=concrete_args)
    train_nodes = list(train_tracer.node_to_qualname.values())
    eval_nodes = list(eval_tracer.node_to_qualname.values())
    if not suppress_diff_warning:
        _warn_graph_differences(train_tracer, eval_tracer)
    model.train(is_training)
    return train_nodes, eval_nodes


class DualGraphModule(fx.GraphModule):
    """A GraphModule with a graph for train mode and one for eval mode: ``train(mode)`` switches between them. It
    holds the modules and parameters either graph uses."""

    def __init__(self, root, train_graph, eval_graph, class_name="GraphModule"):
        nn.Module.__init__(self)
        self.__class__.__name__ = class_name
        self.train_graph = train_graph
        self.eval_graph = eval_graph
        for node in chain(iter(train_graph.nodes), iter(eval_graph.nodes)):
            if node.op in ("get_attr", "call_module"):
                _copy_attr(root, self, node.target)
        self.train()
        self.graph = train_graph
        self.meta = {}
        if self.eval_graph._tracer_cls != self.train_graph._tracer_cls:
            raise AssertionError("Train mode and eval mode should use the same tracer class")
        self._tracer_cls = None
        if self.graph._tracer_cls and "<locals>" not in self.graph._tracer_cls.__qualname__:
            self._tracer_cls = self.graph._tracer_cls

    def train(self, mode=True):
        """Switch to the graph of ``mode`` (recompiling only when it changes), then set the mode."""
        if mode and not self.training:
            self.graph = self.train_graph
        elif not mode and self.training:
            self.graph = self.eval_graph
        return super().train(mode=mode)


def _to_strdict(n):
    if isinstance(n, list):
        return {str(i): str(i) for i in n}
    return {str(k): str(v) for k, v in n.items()}


_NOT_PRESENT = ("node: '{}' is not present in model. Hint: use `get_graph_node_names` to make sure the "
                "`return_nodes` you specified are present. It may even be that you need to specify "
                "`train_return_nodes` and `eval_return_nodes` separately.")


def create_feature_extractor(model, return_nodes=None, train_return_nodes=None, eval_return_nodes=None,
                             tracer_kwargs=None, suppress_diff_warning=False, concrete_args=None):
    """A module whose forward returns the values of the requested nodes of ``model`` in a dict, under the names
    asked for, in execution order. The model is traced with fx; nodes are named as :func:`get_graph_node_names`
    lists them, and a module path that is traced through (``"layer1"``) names the last node inside it.

    Args:
        model (nn.Module): model on which we will extract the features
        return_nodes (list or dict, optional): the nodes to return: a dict maps each to its key in the output, a
            list uses the node names as keys. Not given when ``train_return_nodes`` and ``eval_return_nodes`` are.
        train_return_nodes (list or dict, optional): as ``return_nodes``, for train mode only; requires
            ``eval_return_nodes``.
        eval_return_nodes (list or dict, optional): as ``return_nodes``, for eval mode only; requires
            ``train_return_nodes``.
        tracer_kwargs (dict, optional): keyword arguments for the tracer (``leaf_modules``, ``autowrap_modules``,
            ``autowrap_functions``)
        suppress_diff_warning (bool, optional): whether to suppress a warning when there are discrepancies
            between the train and eval version of the graph. Defaults to False.
        concrete_args (dict, optional): arguments of the forward given fixed values while tracing

    Examples::

        >>> model = torchless.vision.models.resnet18()
        >>> # extract layer1 and layer3, giving as names `feat1` and feat2`
        >>> model = create_feature_extractor(model, {'layer1': 'feat1', 'layer3': 'feat2'})
        >>> out = model(torch.rand(1, 3, 224, 224))
        >>> print([(k, v.shape) for k, v in out.items()])
        [('feat1', torchless.Size([1, 64, 56, 56])), ('feat2', torchless.Size([1, 256, 14, 14]))]
    """
    tracer_kwargs = _set_default_tracer_kwargs(tracer_kwargs)
    is_training = model.training
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
        return_nodes = _to_strdict(return_nodes)
        train_return_nodes, eval_return_nodes = dict(return_nodes), dict(return_nodes)
    else:
        train_return_nodes, eval_return_nodes = _to_strdict(train_return_nodes), _to_strdict(eval_return_nodes)

    tracers = {}
    graphs = {}
    mode_return_nodes = {"train": train_return_nodes, "eval": eval_return_nodes}
    name = model.__class__.__name__ if isinstance(model, nn.Module) else model.__name__
    for mode in ("train", "eval"):
        model.train(mode == "train")
        tracer = NodePathTracer(**tracer_kwargs)
        graph = tracer.trace(model, concrete_args=concrete_args)
        graph_module = fx.GraphModule(tracer.root, graph, name)

        available_nodes = list(tracer.node_to_qualname.values())
        if len(set(available_nodes)) != len(available_nodes):
            raise ValueError("There are duplicate nodes! Please raise an issue https://github.com/pytorch/vision/"
                             "issues")
        for query in mode_return_nodes[mode]:
            if not any(re.match(rf"^{query}(\.|$)", n) is not None for n in available_nodes):
                raise ValueError(_NOT_PRESENT.format(query))

        for n in [n for n in reversed(graph_module.graph.nodes) if n.op == "output"]:
            graph_module.graph.erase_node(n)

        # the last node under each requested name, found walking the graph backwards
        nodes = list(graph_module.graph.nodes)
        output_nodes = OrderedDict()
        for n in reversed(nodes):
            module_qualname = tracer.node_to_qualname.get(n)
            if module_qualname is None:  # (tensor constants)
                continue
            for query in mode_return_nodes[mode]:
                depth = query.count(".")
                if ".".join(module_qualname.split(".")[: depth + 1]) == query:
                    output_nodes[mode_return_nodes[mode][query]] = n
                    mode_return_nodes[mode].pop(query)
                    break
        output_nodes = OrderedDict(reversed(list(output_nodes.items())))

        with graph_module.graph.inserting_after(nodes[-1]):
            graph_module.graph.output(output_nodes)
        graph_module.graph.eliminate_dead_code()
        graph_module.recompile()
        tracers[mode] = tracer
        graphs[mode] = graph

    if not suppress_diff_warning:
        _warn_graph_differences(tracers["train"], tracers["eval"])
    graph_module = DualGraphModule(model, graphs["train"], graphs["eval"], class_name=name)
    model.train(is_training)
    graph_module.train(is_training)
    return graph_module
