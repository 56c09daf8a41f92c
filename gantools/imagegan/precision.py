"""Mixed precision, memory format and compilation: the same code path on a GPU and a CPU.

PyTorch runs autocast on the CPU too (bf16 and fp16), ``torch.amp.GradScaler("cpu")``
scales fp16 gradients there, and ``channels_last`` and ``torch.compile`` work on both.
So what a learner's Colab GPU runs is what CI runs on its CPU; only the device differs.

- ``amp="auto"``: bf16 on a GPU that has it (compute capability ≥ 8.0), fp16 with
  gradient scaling on an older GPU, full precision on a CPU (exact, reproducible resume);
- ``amp="bf16"`` / ``"fp16"``: that precision on any device; fp16 always with a scaler;
- ``amp="off"``: float32.
- ``channels_last=None``: on with CUDA (tensor cores want NHWC), off on a CPU.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
from dataclasses import dataclass

import torch

AMP_MODES = ("auto", "bf16", "fp16", "off")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Precision:
    """The numeric settings in effect on ``device`` (what ``run.json`` records)."""

    device: torch.device
    amp: str  # in effect: bf16 | fp16 | off
    channels_last: bool  # in effect

    @property
    def dtype(self) -> torch.dtype | None:
        """The autocast dtype, or None for float32."""
        return _DTYPES.get(self.amp)

    def autocast(self):
        """Autocast to :attr:`dtype` on the device (a no-op in float32)."""
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def float32(self):
        """A region in float32 even inside :meth:`autocast` (fp16's double backward)."""
        return torch.autocast(self.device.type, enabled=False) if self.dtype is not None else contextlib.nullcontext()

    def scaler(self) -> torch.amp.GradScaler:
        """A gradient scaler, enabled for fp16 only (bf16 has float32's exponent range)."""
        return torch.amp.GradScaler(self.device.type, enabled=self.amp == "fp16")

    def memory_format(self, x):
        """``x`` (a module or an (N, C, H, W) tensor) in the memory format in effect."""
        if not self.channels_last:
            return x
        if isinstance(x, torch.Tensor):
            return x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x
        return x.to(memory_format=torch.channels_last)


def resolve_precision(amp: str, channels_last: bool | None, device: torch.device) -> Precision:
    """What ``amp`` and ``channels_last`` (None: automatic) mean on ``device``."""
    if amp not in AMP_MODES:
        raise ValueError(f"amp must be one of {', '.join(AMP_MODES)}, got {amp!r}")
    cuda = device.type == "cuda"
    if amp == "auto":
        amp = "off" if not cuda else ("bf16" if torch.cuda.get_device_capability(device) >= (8, 0) else "fp16")
    return Precision(device, amp, cuda if channels_last is None else bool(channels_last))


def compile_problem(device: torch.device) -> str | None:
    """Why ``torch.compile`` cannot run on ``device`` here (None when it can), in one line.

    TorchDynamo must support this Python; Inductor needs Triton on a GPU and a C++
    compiler on a CPU (``$CXX``, else ``g++``; ``clang++`` on macOS, ``cl`` on Windows: where PyTorch looks).
    """
    try:
        from torch._dynamo.eval_frame import is_dynamo_supported
    except ImportError:  # a torch build without the compiler
        return f"torch {torch.__version__} has no torch.compile"
    if not is_dynamo_supported():
        return (f"torch.compile does not support Python {platform.python_version()} with torch "
                f"{torch.__version__}; drop --compile")
    if device.type == "cuda":
        import importlib.util

        if importlib.util.find_spec("triton") is None:
            return "torch.compile on a GPU needs Triton (pip install triton); drop --compile"
        return None
    default = {"darwin": "clang++", "win32": "cl"}.get(sys.platform, "g++")
    cxx = os.environ.get("CXX") or default
    if shutil.which(cxx) is None:
        return f"torch.compile on the CPU needs a C++ compiler, and {cxx!r} was not found (install g++ or set CXX)"
    return None
