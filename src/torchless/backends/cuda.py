"""``torch.backends.cuda``: not built with CUDA; the matmul flags are kept and have no effect, the attention
backends' switches choose scaled_dot_product_attention's kernel as on PyTorch's CPU."""


class _MatmulFlags:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built():
    return False


# scaled_dot_product_attention's backends (PyTorch keeps them here, and they govern its CPU kernels too): torchless
# computes the math one or emulates the fused CPU (flash) one, and refuses a call neither enabled backend takes
_sdp_enabled = {"math": True, "flash": True, "mem_efficient": True, "cudnn": True,
                "fp16_bf16_reduction_math": False}


def _set_sdp(name, enabled):
    if type(enabled) is not bool:  # (PyTorch's messages: the math switch's for all but cuDNN's, whose keeps a "%s")
        switch, shown = ("cudnn", "%s") if name == "cudnn" else ("math", "")
        raise RuntimeError(f"set_sdp_use_{switch} expects a bool, but got {shown}{type(enabled).__name__}")
    _sdp_enabled[name] = enabled


def enable_math_sdp(enabled):
    _set_sdp("math", enabled)


def enable_flash_sdp(enabled):
    _set_sdp("flash", enabled)


def enable_mem_efficient_sdp(enabled):
    _set_sdp("mem_efficient", enabled)


def enable_cudnn_sdp(enabled):
    _set_sdp("cudnn", enabled)


def allow_fp16_bf16_reduction_math_sdp(enabled):
    _set_sdp("fp16_bf16_reduction_math", enabled)


def math_sdp_enabled():
    return _sdp_enabled["math"]


def flash_sdp_enabled():
    return _sdp_enabled["flash"]


def mem_efficient_sdp_enabled():
    return _sdp_enabled["mem_efficient"]


def cudnn_sdp_enabled():
    return _sdp_enabled["cudnn"]


def fp16_bf16_reduction_math_sdp_allowed():
    return _sdp_enabled["fp16_bf16_reduction_math"]


def is_ck_sdpa_available():
    return False
