"""swap_in_optimizer_params_and_state: run an optimizer's API on other parameters and state for a while."""
import contextlib
from collections import defaultdict

from .._tensor import Tensor

_PREFIX = "swap_in_optimizer_params_and_state requires "


def _validate_state_field(state):
    """``state`` must map packed parameter ids to per-parameter dicts (a ``state_dict()``'s ``'state'``)."""
    if not isinstance(state, dict):
        raise RuntimeError(f"{_PREFIX}swapin_optim_state['state'] to be a dict mapping packed parameter ids to "
                           f"per-param state dicts, got {type(state).__name__}.")
    if any(isinstance(key, Tensor) for key in state):
        raise RuntimeError(f"{_PREFIX}optimizer.state_dict()-style state keyed by packed parameter ids.")
    if any(isinstance(key, int) and not isinstance(value, dict) for key, value in state.items()):
        raise RuntimeError(f"{_PREFIX}per-parameter optimizer state entries to be dictionaries.")
    return state


def _validate_param_groups_field(optimizer, param_groups):
    """``param_groups`` must be a list of as many groups as the live optimizer has."""
    if not isinstance(param_groups, list):
        raise RuntimeError(f"{_PREFIX}swapin_optim_state['param_groups'] to be a list of param-group dicts, got "
                           f"{type(param_groups).__name__}.")
    if len(optimizer.param_groups) != len(param_groups):
        raise RuntimeError("swapin_optim_state has a different number of parameter groups than the live optimizer.")
    return param_groups


def _validate_group_against_live(index, group, swapin_group):
    """The packed parameter ids of ``swapin_group``, which must be a dict with the live ``group``'s keys and as
    many parameters."""
    if not isinstance(swapin_group, dict):
        raise RuntimeError(f"{_PREFIX}each optimizer param group to be a dictionary.")
    param_ids = swapin_group.get("params")
    if not isinstance(param_ids, list) or not all(isinstance(param_id, int) for param_id in param_ids):
        raise RuntimeError(f"{_PREFIX}optimizer.state_dict()-style param_groups[*]['params'] entries keyed by packed "
                           "parameter ids.")
    if len(group["params"]) != len(param_ids):
        raise RuntimeError(f"swapin_optim_state param group {index} has a different number of params than the live "
                           "optimizer param group.")
    swapin_only = [key for key in swapin_group if key not in group]
    live_only = [key for key in group if key not in swapin_group]
    if swapin_only or live_only:
        raise RuntimeError(f"{_PREFIX}optimizer.state_dict()-style param group keys to exactly match the live "
                           f"optimizer group keys for group {index}. Keys only in swap-in: {swapin_only}. Keys only "
                           f"in live: {live_only}.")
    return param_ids


def _prepare_swap_in(optimizer, swapin_parameters, swapin_optim_state):
    """The swap-in ``state`` and, per group, (live group, swap-in group, swap-in parameters), checked as PyTorch
    checks them."""
    if not optimizer.state:
        raise RuntimeError(f"{_PREFIX}initialized optimizer state.")
    if not isinstance(swapin_optim_state, dict):
        raise RuntimeError(f"{_PREFIX}a DCP-style optimizer state_dict.")
    swapin_state = _validate_state_field(swapin_optim_state.get("state"))
    swapin_param_groups = _validate_param_groups_field(optimizer, swapin_optim_state.get("param_groups"))

    flat_parameters = list(swapin_parameters.values())
    offset = 0
    seen_param_ids = set()
    groups = []
    for index, (group, swapin_group) in enumerate(zip(optimizer.param_groups, swapin_param_groups, strict=True)):
        param_ids = _validate_group_against_live(index, group, swapin_group)
        seen_param_ids.update(param_ids)
        next_offset = offset + len(param_ids)
        if next_offset > len(flat_parameters):
            raise RuntimeError(f"{_PREFIX}the explicit parameter state to match optimizer.param_groups ordering.")
        groups.append((group, swapin_group, flat_parameters[offset:next_offset]))
        offset = next_offset

    extra_keys = [key for key in swapin_state if key not in seen_param_ids]
    if extra_keys:
        raise RuntimeError(f"{_PREFIX}swapin_optim_state['state'] to be keyed only by packed parameter ids from "
                           f"param_groups[*]['params']; got extra keys {extra_keys!r}.")
    return swapin_state, groups


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters, swapin_optim_state):
    """Temporarily replace ``optimizer``'s parameters and state with those given, restoring them on exit.

    Unlike ``optimizer.load_state_dict``, which keeps the parameters of ``param_groups``, this also swaps the
    parameters in, so that ``optimizer.step()`` updates the tensors supplied.

    Args:
        optimizer: the live optimizer; its state must already be initialized.
        swapin_parameters (dict[str, Tensor]): the parameters to use during the context, in the order of the
            optimizer's (usually ``model.named_parameters()`` order).
        swapin_optim_state (dict): an ``optimizer.state_dict()``-shaped dict holding the state to install; only
            in-place edits of its tensors propagate back to it.
    """
    state, groups = _prepare_swap_in(optimizer, swapin_parameters, swapin_optim_state)
    original_state = optimizer.state
    # shallow copies: the exit restores every key, and the original ``params`` lists themselves
    original_groups = [dict(group) for group in optimizer.param_groups]
    try:
        swapin_state = defaultdict(dict)
        for live_group, swapin_group, swapin_params in groups:
            live_group["params"] = swapin_params
            live_group.update((key, value) for key, value in swapin_group.items() if key != "params")
            for param, param_id in zip(swapin_params, swapin_group["params"], strict=True):
                # a copy of each entry: in-place tensor updates reach the caller's dict, new entries do not
                swapin_state[param] = dict(state.get(param_id, {}))
        optimizer.state = swapin_state
        yield
    finally:
        for group, original in zip(optimizer.param_groups, original_groups, strict=True):
            group.clear()
            group.update(original)
        optimizer.state = original_state
