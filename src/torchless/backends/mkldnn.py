"""``torch.backends.mkldnn``: oneDNN, which torchless does not use (its kernels are NumPy's)."""
enabled = True
deterministic = False


def is_available():
    return False
