"""``torchless explain conv``: a convolution's output size, parameters and pixel usage, worked out."""
import argparse

from .errors import CLIError
from .summary import image_size


def add_parser(subparsers):
    p = subparsers.add_parser("explain", help="work out a layer's arithmetic step by step (explain conv ...)",
                              description="Explain the arithmetic of a layer with your numbers.")
    layers = p.add_subparsers(dest="layer", metavar="LAYER", required=True)
    c = layers.add_parser("conv", help="Conv2d: output size formula, weights, multiply-accumulates, pixel usage",
                          description="Explain nn.Conv2d on one input: PyTorch's output-size formula with the numbers "
                                      "substituted, the number of weights and biases, the multiply-accumulates, and "
                                      "how many kernel positions use each input pixel with and without padding.")
    c.add_argument("--input", type=image_size, default=(1, 28, 28), metavar="CxHxW",
                   help="input image size, e.g. 1x28x28 or 28x28 (default: 1x28x28)")
    c.add_argument("--out-channels", type=int, default=1, metavar="N", help="number of filters (default: 1)")
    c.add_argument("--kernel", type=pair, default=(3, 3), metavar="K", help="kernel size, K or KHxKW (default: 3)")
    c.add_argument("--stride", type=pair, default=(1, 1), metavar="S", help="stride, S or SHxSW (default: 1)")
    c.add_argument("--padding", type=padding, default=(0, 0), metavar="P",
                   help="zero padding, P or PHxPW, or 'same' or 'valid' (default: 0)")
    c.add_argument("--dilation", type=pair, default=(1, 1), metavar="D", help="dilation, D or DHxDW (default: 1)")
    c.add_argument("--groups", type=int, default=1, metavar="G", help="groups (default: 1)")
    c.add_argument("--no-bias", action="store_true", help="a layer without biases")
    c.add_argument("--png", metavar="FILE", help="also draw the kernel's positions on the padded input "
                                                 "(needs matplotlib: pip install 'torchless[viz]')")
    c.set_defaults(run=run_conv)


def pair(text):
    """'3' -> (3, 3), '3x5' or '3,5' -> (3, 5), for argparse."""
    parts = text.lower().replace(",", "x").split("x")
    try:
        values = tuple(int(part) for part in parts)
    except ValueError:
        values = ()
    if len(values) not in (1, 2):
        raise argparse.ArgumentTypeError(f"expected an integer or a pair like 3x5, got {text!r}")
    return values * 2 if len(values) == 1 else values


def padding(text):
    return text if text in ("same", "valid") else pair(text)


def run_conv(args):
    from .. import explain

    if len(args.input) not in (2, 3):
        raise CLIError(f"--input must be CxHxW or HxW, got {'x'.join(map(str, args.input))}")
    settings = dict(kernel_size=args.kernel, stride=args.stride, padding=args.padding, dilation=args.dilation)
    try:
        explanation = explain.conv(args.input, args.out_channels, groups=args.groups, bias=not args.no_bias,
                                   **settings)
    except (ValueError, RuntimeError) as err:  # (the layer's settings, then its call, as in PyTorch)
        raise CLIError(str(err)) from None
    print(explanation)
    if args.png:
        from .show import write_figure

        write_figure(lambda viz: viz.convolving(args.input, **settings), args.png)
    return 0
