"""``torchless train``: train a CNN on MNIST with a progress bar, checkpoints and resume."""
import time

from .. import models
from .checkpoint import load_checkpoint, save_checkpoint
from .data import mnist
from .errors import CLIError
from .evaluation import accuracy, confusion_matrix
from .progress import progress

DEFAULT_LR = {"adam": 3e-4, "adamw": 1e-3, "sgd": 0.01}


def add_parser(subparsers):
    p = subparsers.add_parser("train", help="train a CNN on MNIST (the course CNN by default)",
                              description="Train a CNN on MNIST, evaluating on the test set and writing a checkpoint "
                                          "after each epoch (and on Ctrl-C).")
    p.add_argument("--model", choices=sorted(models.MODELS), default="course", help="architecture (default: course)")
    p.add_argument("--epochs", type=int, default=1, help="number of epochs (default: 1)")
    p.add_argument("--batch-size", type=int, default=32, help="mini-batch size (default: 32, as in the course)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: 3e-4 adam, 1e-3 adamw, 0.01 sgd)")
    p.add_argument("--lr-decay", type=float, default=1.0, metavar="GAMMA",
                   help="multiply the learning rate by GAMMA after every epoch (StepLR; default: 1, constant)")
    p.add_argument("--optimizer", choices=sorted(DEFAULT_LR), default="adam", help="optimiser (default: adam)")
    p.add_argument("--seed", type=int, default=0, help="random seed for initialisation and shuffling (default: 0)")
    p.add_argument("--data", metavar="ROOT", default=None, help="torchvision-style root holding MNIST/raw "
                                                                 "(default: the copy bundled with torchless)")
    p.add_argument("--out", metavar="PATH", default=None, help="checkpoint path (default: runs/MODEL.ckpt)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint at --out")
    p.add_argument("--limit-train", type=int, metavar="N", help="train on the first N training images only")
    p.add_argument("--limit-test", type=int, metavar="N", help="evaluate on the first N test images only")
    p.add_argument("--no-progress", action="store_true", help="plain log lines instead of a progress bar")
    p.set_defaults(run=run)


def _optimizer(name, params, lr):
    from .. import optim

    return {"adam": optim.Adam, "adamw": optim.AdamW, "sgd": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9)}[name](
        params, lr=lr)


def run(args):
    import torchless
    from ..nn import CrossEntropyLoss
    from ..utils.data import DataLoader

    if args.epochs < 1 or args.batch_size < 1:
        raise CLIError("--epochs and --batch-size must be positive")
    out = args.out or f"runs/{args.model}.ckpt"
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    torchless.manual_seed(args.seed)
    model = models.create(args.model)
    optimizer = _optimizer(args.optimizer, model.parameters(), lr)
    if not 0 < args.lr_decay <= 1:
        raise CLIError(f"--lr-decay must be in (0, 1], got {args.lr_decay}")
    start_epoch, history = 0, []
    if args.resume:
        checkpoint = load_checkpoint(out)
        if checkpoint["model"] != args.model:
            raise CLIError(f"{out} holds a '{checkpoint['model']}' model, not '{args.model}'")
        model.load_state_dict(checkpoint["state_dict"])
        if checkpoint.get("optimizer"):
            optimizer.load_state_dict(checkpoint["optimizer"])
        start_epoch, history = checkpoint["epoch"], list(checkpoint["history"])
        print(f"resuming {args.model} from {out} after epoch {start_epoch}")
    train_set = mnist(args.data, train=True, limit=args.limit_train)
    test_loader = DataLoader(mnist(args.data, train=False, limit=args.limit_test), batch_size=1000)
    criterion = CrossEntropyLoss()
    settings = {k: v for k, v in vars(args).items() if k != "run"}

    for epoch in range(start_epoch, args.epochs):
        # The shuffle order depends only on (seed, epoch), so a resumed run sees the batches it would have seen.
        order = torchless.Generator().manual_seed(args.seed * 100_003 + epoch)
        loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=order)
        for group in optimizer.param_groups:  # StepLR(step_size=1) as a function of the epoch: resumes exactly
            group["lr"] = lr * args.lr_decay ** epoch
        model.train()
        bar = progress(loader, len(loader), f"epoch {epoch + 1}/{args.epochs}", enabled=not args.no_progress)
        seen = correct = 0
        loss_sum, started = 0.0, time.perf_counter()
        try:
            for step, (inputs, labels) in enumerate(bar, 1):
                optimizer.zero_grad()
                outputs = model(inputs)
                loss = criterion(outputs, labels)
                loss.backward()
                optimizer.step()
                seen += len(labels)
                loss_sum += loss.item() * len(labels)
                correct += int((outputs.detach().argmax(1) == labels).sum().item())
                if step % 20 == 0:
                    bar.set_postfix_str(f"loss {loss_sum / seen:.4f} acc {correct / seen:.4f}")
        except KeyboardInterrupt:
            bar.close()
            save_checkpoint(out, args.model, model, optimizer, epoch, history, settings)
            print(f"\ninterrupted during epoch {epoch + 1}: checkpoint saved to {out} "
                  f"(--resume repeats epoch {epoch + 1})")
            return 130
        bar.close()
        seconds = time.perf_counter() - started
        test_accuracy = accuracy(confusion_matrix(model, test_loader))
        history.append({"epoch": epoch + 1, "train_loss": loss_sum / max(seen, 1), "train_accuracy": correct / max(seen, 1),
                        "test_accuracy": test_accuracy, "seconds": seconds})
        save_checkpoint(out, args.model, model, optimizer, epoch + 1, history, settings)
        _draw_curves(history, out, first=epoch == start_epoch)
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {loss_sum / max(seen, 1):.4f}, train accuracy "
              f"{correct / max(seen, 1):.4f}, test accuracy {test_accuracy:.4f}, {seconds:.1f} s; saved {out}")
    return 0


def _draw_curves(history, checkpoint, first):
    """Loss/accuracy curves beside the checkpoint, when matplotlib (the [viz] extra) is installed."""
    from .. import viz
    from .show import picture_path

    try:
        viz.require()
    except ImportError:
        if first:
            print("no loss/accuracy curves PNG: matplotlib is not installed (pip install 'torchless[viz]')")
        return
    path = picture_path(checkpoint, "curves")
    viz.curves(history, path)
    if first:
        print(f"loss/accuracy curves: {path} (redrawn after each epoch)")
