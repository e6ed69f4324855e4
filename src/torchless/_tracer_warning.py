"""torch.jit's TracerWarning, defined outside the jit package so that torchless's import can register PyTorch's filter
for it (as importing torch does) without importing the tracer."""


class TracerWarning(Warning):
    """What the tracer warns of: code whose trace might not generalise to other inputs."""
