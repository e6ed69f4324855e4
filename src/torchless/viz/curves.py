"""Training curves: loss and accuracy per epoch, from ``torchless train``'s history."""
from ._figure import new_figure, save


def curves(history, path=None):
    """A figure of train loss, and train and test accuracy, per epoch; written to ``path`` if given.

    Args:
        history (list of dict): one dict per epoch with ``epoch``, ``train_loss``,
            ``train_accuracy`` and ``test_accuracy`` (the checkpoint's ``"history"``).
        path (str, optional): where to write the PNG.

    Returns:
        matplotlib.figure.Figure
    """
    if not history:
        raise ValueError("the history is empty: nothing to draw")
    from matplotlib.ticker import MaxNLocator

    epochs = [h["epoch"] for h in history]
    figure = new_figure(8, 3.2)
    loss, accuracy = figure.subplots(1, 2)
    loss.plot(epochs, [h["train_loss"] for h in history], "o-", color="tab:red", label="train")
    loss.set(title="loss (cross-entropy)", xlabel="epoch", ylabel="mean loss over the epoch")
    accuracy.plot(epochs, [h["train_accuracy"] for h in history], "o-", color="tab:red", label="train")
    accuracy.plot(epochs, [h["test_accuracy"] for h in history], "s-", color="tab:blue", label="test")
    accuracy.set(title="accuracy", xlabel="epoch", ylabel="fraction correct")
    last = history[-1]
    accuracy.annotate(f"{last['test_accuracy']:.4f}", (last["epoch"], last["test_accuracy"]),
                      textcoords="offset points", xytext=(-6, -14), ha="right", fontsize=8, color="tab:blue")
    for ax in (loss, accuracy):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)  # one epoch still gets a readable axis
        ax.margins(y=0.15)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if path is not None:
        save(figure, path)
    return figure
