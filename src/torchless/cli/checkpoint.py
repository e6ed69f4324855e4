"""Checkpoints: a model's name, weights, optimiser state and history in torchless's safe format."""
import os

from .. import models
from .errors import CLIError


def save_checkpoint(path, model_name, model, optimizer, epoch, history, args):
    """Write atomically (torchless.save writes a temporary file and renames it)."""
    from .. import save

    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    save({"format": "torchless-checkpoint", "model": model_name, "epoch": epoch, "history": history,
          "args": args, "state_dict": model.state_dict(),
          "optimizer": optimizer.state_dict() if optimizer is not None else None}, path)


def load_checkpoint(path):
    """The checkpoint dict at ``path``, or a CLIError saying why it cannot be used."""
    from .. import load

    if not os.path.exists(path):
        raise CLIError(f"no such checkpoint: {path}")
    try:
        checkpoint = load(path)
    except Exception as err:  # any failure to parse is the user's file, not our bug: say so in one line
        reason = " ".join(line.strip() for line in str(err).splitlines() if line.strip())  # (PyTorch's span lines)
        raise CLIError(f"cannot read checkpoint {path}: {reason}") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != "torchless-checkpoint":
        raise CLIError(f"{path} is not a torchless checkpoint (written by 'torchless train')")
    return checkpoint


def model_from_checkpoint(checkpoint, path):
    """The model the checkpoint describes, with its weights loaded."""
    try:
        model = models.create(checkpoint["model"])
        model.load_state_dict(checkpoint["state_dict"])
    except (KeyError, ValueError, RuntimeError, TypeError) as err:
        raise CLIError(f"checkpoint {path} does not match its model: {str(err).splitlines()[0]}") from None
    return model.eval()
