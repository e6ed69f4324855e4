"""``torch.backends.cudnn``: no cuDNN here; its flags are kept and have no effect."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available():
    return False


def version():
    return None
