"""Checks for chapter 8, DCGAN.

- :func:`check_transposed_size`: the output size of a ConvTranspose2d (H = 7, k = 6, s = 3, p = 2).
- :func:`check_overlap_counts`: a student's ``overlap_counts(kernel, stride, n)``, the number of
  kernel taps that reach each output pixel of a 1D transposed convolution.
- :func:`check_generator_parameters`: the trainable parameters of the 64×64 RGB DCGAN generator.
- :func:`check_bn_coupling`: a prediction of how many logits of a batch change when one image
  of the batch is replaced, under batch norm (training / evaluation mode) and layer norm.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .common import Result, call, check_number, not_attempted, report, to_array

__all__ = ["TRANSPOSED_CASE", "check_transposed_size", "check_overlap_counts", "reference_overlap_counts",
           "GENERATOR_CASE", "check_generator_parameters", "BN_KEYS", "check_bn_coupling"]

TRANSPOSED_CASE = {"H": 7, "kernel": 6, "stride": 3, "padding": 2}  # exercise 8.1 (output_padding 0)


def check_transposed_size(answer, quiet: bool = False) -> Result:
    """Exercise 8.1: ConvTranspose2d(k=6, s=3, p=2) on a 7×7 map gives (7 - 1)·3 - 2·2 + 6 = 20."""
    h, k, s, p = (TRANSPOSED_CASE[key] for key in ("H", "kernel", "stride", "padding"))
    return check_number(
        answer, (h - 1) * s - 2 * p + k, 0.5,
        ok="H_out = (H - 1)s - 2p + k = 18 - 4 + 6 = 20: the inverse of Conv2d's size formula.",
        hint="Place the 7 input pixels s = 3 apart, put a k-wide kernel on each, and crop p pixels from "
             "each side: H_out = (H - 1)s + k - 2p.",
        known_wrong=(
            ((h + 2 * p - k) // s + 1, "That is the Conv2d formula floor((H + 2p - k)/s) + 1, which shrinks the "
                                       "map; a transposed convolution runs it backwards and enlarges it."),
            ((h - 1) * s + k, "That is the size before cropping: padding removes p pixels on each side, 2p in all."),
            (h * s, "H·s assumes an exact factor-s upsampling; the kernel and the padding change the size: "
                    "(H - 1)s + k - 2p."),
            (h * s - 2 * p + k, "The input pixels are s apart, so H of them span (H - 1)s + 1 pixels, not H·s."),
            ((h - 1) * s + 2 * p + k, "In a transposed convolution padding crops the output: subtract 2p."),
            ((h - 1) * s - p + k, "Padding crops p pixels from each side: subtract 2p, not p."),
        ),
        quiet=quiet,
    )


def reference_overlap_counts(kernel: int, stride: int, n: int) -> np.ndarray:
    """The number of kernel taps at each of the (n - 1)·stride + kernel output pixels of a 1D
    transposed convolution (no padding) of n inputs, from ``conv_transpose1d`` on ones."""
    y = F.conv_transpose1d(torch.ones(1, 1, n, dtype=torch.float64), torch.ones(1, 1, kernel, dtype=torch.float64),
                           stride=stride)
    return y[0, 0].round().long().numpy()


# 8.2 asks to count without PyTorch: the answer may not call a transposed convolution (the check's reference).
OVERLAP_REFERENCES = ("gantools.exercises.dcgan.reference_overlap_counts", "torch.nn.functional.conv_transpose1d",
                      "torch.nn.functional.conv_transpose2d", "torch.nn.functional.conv_transpose3d",
                      "torch.conv_transpose1d", "torch.conv_transpose2d", "torch.conv_transpose3d")
OVERLAP_CASES = ((3, 2, 5), (4, 2, 5), (5, 2, 6), (3, 3, 4), (7, 3, 5), (2, 3, 4))


def check_overlap_counts(overlap_counts, quiet: bool = False) -> Result:
    """Exercise 8.2: ``overlap_counts(kernel, stride, n)`` returns the 1D array of tap counts,
    of length (n - 1)·stride + kernel; checked against ``conv_transpose1d`` of ones, which the
    answer may not call."""
    if overlap_counts is None:
        not_attempted("overlap_counts")
    for k, s, n in OVERLAP_CASES:
        name = f"kernel={k}, stride={s}, n={n}"
        expected = reference_overlap_counts(k, s, n)
        value, err = call(overlap_counts, k, s, n, forbid=OVERLAP_REFERENCES)
        if err:
            return report(False, "", f"On {name}: {err}", quiet)
        got = to_array(value)
        if got is None:
            return report(False, "", f"On {name}: return a 1D array of counts, got {type(value).__name__}.", quiet)
        if got.ndim != 1:
            return report(False, "", f"On {name}: return a 1D array of counts, got shape {got.shape}.", quiet)
        if len(got) != len(expected):
            hint = (f"On {name} your array has length {len(got)}; a transposed convolution of n inputs with "
                    f"stride s and kernel k has (n - 1)s + k = {len(expected)} outputs (no padding).")
            if len(got) == (n - k) // s + 1:
                hint += " You used the length of an ordinary convolution's output."
            return report(False, "", hint, quiet)
        if np.array_equal(got, expected):
            continue
        shown = f"expected {expected.tolist()}, got {got.astype(int).tolist() if np.all(got == got.round()) else got}"
        inner = slice(k, len(expected) - k)  # away from the borders
        if len(got[inner]) and np.array_equal(got[inner], expected[inner]):
            why = ("the interior is right but the borders are not: near the ends fewer input pixels reach an "
                   "output pixel, because there are no inputs before the first or after the last")
        elif k < s and np.all(got > 0):
            why = ("with kernel < stride the kernels do not touch: some output pixels receive no input at all "
                   "and their count is 0")
        elif np.all(got == got[0]):
            why = ("the count is not constant: it is lower at the borders, and alternates in the interior when "
                   "the stride does not divide the kernel")
        else:
            why = "output pixel o receives input i when 0 <= o - i·s < k; count those i in 0, ..., n - 1"
        return report(False, "", f"On {name}: {shown}: {why}.", quiet)
    return report(True, "Your counts match conv_transpose1d on ones in all six cases: the interior alternates "
                  "between floor(k/s) and ceil(k/s) unless s divides k.", "", quiet)


GENERATOR_CASE = {"image_size": 64, "channels": 3, "nz": 100, "ngf": 64}  # exercise 8.3


def _generator_counts() -> dict[str, int]:
    c = GENERATOR_CASE
    widths = [c["ngf"] * 2 ** i for i in reversed(range(4))]  # 512, 256, 128, 64
    chans = [c["nz"], *widths, c["channels"]]
    convs = sum(cin * cout * 16 for cin, cout in zip(chans[:-1], chans[1:], strict=True))
    return {"convs": convs, "bn": 2 * sum(widths), "widths": sum(widths), "biases": sum(chans[1:])}


def check_generator_parameters(answer, quiet: bool = False) -> Result:
    """Exercise 8.3: the trainable parameters of ``Generator(DCGANConfig(image_size=64,
    channels=3, nz=100, ngf=64))``: conv weights 3,574,784 plus BN scales and shifts 1,920."""
    n = _generator_counts()
    right = n["convs"] + n["bn"]
    return check_number(
        answer, right, 0.5,
        ok=f"{right:,} = {n['convs']:,} convolution weights (c_in·c_out·4·4 per layer) + {n['bn']:,} batch-norm "
           "scales and shifts (2 per channel of the four hidden layers).",
        hint="Widths 512, 256, 128, 64 (ngf·8 down to ngf) from z (100 channels) to 3 colours: each transposed "
             "convolution has c_in·c_out·4·4 weights and no bias; each hidden layer's batch norm has 2 parameters "
             "per channel.",
        known_wrong=(
            (n["convs"], "You forgot batch norm's scale and shift: 2 trainable parameters per channel."),
            (n["convs"] + 2 * n["bn"], "BN's running mean and variance are buffers, not trainable parameters: "
                                       "2 per channel, not 4."),
            (right + n["biases"], "The convolutions have bias=False: a bias before batch norm is removed by the "
                                  "mean subtraction, so DCGAN leaves it out."),
            (right + 2 * GENERATOR_CASE["channels"], "There is no batch norm on the generator's output layer."),
            (n["convs"] // 16 + n["bn"], "A 4×4 kernel has 16 weights per (input, output) channel pair."),
            (2_765_633, "That is the discriminator (with ndf = 64); the question is about the generator."),
        ),
        quiet=quiet,
    )


BN_KEYS = ("batch_train", "batch_eval", "layer_train")  # exercise 8.4


def check_bn_coupling(changed, quiet: bool = False) -> Result:
    """Exercise 8.4: replacing image 0 of a batch of 64 changes the logits of all 63 others
    under batch norm in training mode, and of none under batch norm in evaluation mode or
    layer norm. ``changed`` is a dict over :data:`BN_KEYS`."""
    if changed is None or not isinstance(changed, dict) or any(changed.get(k) is None for k in BN_KEYS):
        if changed is not None and not isinstance(changed, dict):
            return report(False, "", f"Give a dict with the keys {', '.join(BN_KEYS)}.", quiet)
        not_attempted("the prediction")
    expected = {"batch_train": 63, "batch_eval": 0, "layer_train": 0}
    hints = {
        "batch_train": "In training mode batch norm normalises each channel with the mean and variance of the "
                       "whole batch; replacing one image changes them, and so every other image's logit (63).",
        "batch_eval": "In evaluation mode batch norm uses its running averages: a fixed affine map per channel, "
                      "so each image's logit depends on that image only (0).",
        "layer_train": "Layer norm normalises each image with its own mean and variance (over C, H, W): no "
                       "statistic crosses the batch, in either mode (0).",
    }
    for key in BN_KEYS:
        if not isinstance(changed[key], (int, np.integer, float)) or changed[key] != expected[key]:
            return report(False, "", f"{key} = {changed[key]!r}: {hints[key]}", quiet)
    return report(True, "63, 0, 0: a batch-norm discriminator in training mode scores a batch, not images; this "
                  "coupling is why a WGAN-GP critic uses layer norm, and why Salimans et al. proposed virtual batch "
                  "norm.", "", quiet)
