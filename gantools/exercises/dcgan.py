"""Checks for chapter 8, DCGAN.

- :func:`check_transposed_size`: the output size of a ConvTranspose2d (H = 7, k = 6, s = 3, p = 2).
- :func:`check_overlap_counts`: a student's ``overlap_counts(kernel, stride, n)``, the number of
  kernel taps that reach each output pixel of a 1D transposed convolution.
- :func:`check_generator_parameters`: the trainable parameters of the 64×64 RGB DCGAN generator.
- :func:`check_bn_coupling`: a prediction of how many logits of a batch change when one image
  of the batch is replaced, under batch norm (training / evaluation mode) and layer norm.

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .common import Result, judge_number
from .protocol import Spec, check, with_spec

__all__ = ["TRANSPOSED_CASE", "check_transposed_size", "check_overlap_counts", "overlap_counts_reference",
           "GENERATOR_CASE", "check_generator_parameters", "BN_KEYS", "check_bn_coupling"]

# -- 8.1 -----------------------------------------------------------------------------------
TRANSPOSED_CASE = {"H": 7, "kernel": 6, "stride": 3, "padding": 2}  # exercise 8.1 (output_padding 0)


def _transposed_spec() -> Spec:
    h, k, s, p = (TRANSPOSED_CASE[key] for key in ("H", "kernel", "stride", "padding"))
    return Spec(
        answer="h_out", call=False,
        judge=judge_number(
            (h - 1) * s - 2 * p + k, 0.5,
            ok="H_out = (H - 1)s - 2p + k = 18 - 4 + 6 = 20: the inverse of Conv2d's size formula.",
            hint="Place the 7 input pixels s = 3 apart, put a k-wide kernel on each, and crop p pixels from "
                 "each side: H_out = (H - 1)s + k - 2p.",
            known_wrong=(
                ((h + 2 * p - k) // s + 1, "That is the Conv2d formula floor((H + 2p - k)/s) + 1, which shrinks the "
                                           "map; a transposed convolution runs it backwards and enlarges it."),
                ((h - 1) * s + k, "That is the size before cropping: padding removes p pixels on each side, 2p in "
                                  "all."),
                (h * s, "H·s assumes an exact factor-s upsampling; the kernel and the padding change the size: "
                        "(H - 1)s + k - 2p."),
                (h * s - 2 * p + k, "The input pixels are s apart, so H of them span (H - 1)s + 1 pixels, not H·s."),
                ((h - 1) * s + 2 * p + k, "In a transposed convolution padding crops the output: subtract 2p."),
                ((h - 1) * s - p + k, "Padding crops p pixels from each side: subtract 2p, not p."),
            )),
        leaks=(r"(?:H_\{\\text\{out\}\}|H_out|h_out)[^\n$]*?=\s*20(?![\d.,])",
               r"6\s*(?:\\cdot|·|\*|×)\s*3\s*\+\s*6\s*-\s*4|18\s*-\s*4\s*\+\s*6|18\s*\+\s*6\s*-\s*4"))


TRANSPOSED_SIZE = _transposed_spec()


@with_spec(TRANSPOSED_SIZE)
def check_transposed_size(answer, quiet: bool = False) -> Result:
    """Exercise 8.1: the side of the output of ConvTranspose2d(k=6, s=3, p=2) on a 7×7 map (an integer)."""
    return check(TRANSPOSED_SIZE, answer, quiet)


# -- 8.2 -----------------------------------------------------------------------------------
def overlap_counts_reference(kernel: int, stride: int, n: int) -> np.ndarray:
    """The tap counts exercise 8.2 asks for, from ``conv_transpose1d`` on ones."""
    y = F.conv_transpose1d(torch.ones(1, 1, n, dtype=torch.float64), torch.ones(1, 1, kernel, dtype=torch.float64),
                           stride=stride)
    return y[0, 0].round().long().numpy()


# 8.2 asks to count without PyTorch: the answer may not call a transposed convolution (the check's reference,
# overlap_counts_reference, is forbidden too, as every *_reference of this module).
OVERLAP_REFERENCES = ("torch.nn.functional.conv_transpose1d", "torch.nn.functional.conv_transpose2d",
                      "torch.nn.functional.conv_transpose3d", "torch.conv_transpose1d", "torch.conv_transpose2d",
                      "torch.conv_transpose3d")
OVERLAP_CASES = ((3, 2, 5), (4, 2, 5), (5, 2, 6), (3, 3, 4), (7, 3, 5), (2, 3, 4))


def _overlap_cases(rng) -> list:
    """[kernel, stride, n]: the stride dividing the kernel, not dividing it, larger than the kernel, a stride
    of 1, and two inputs only; the book's six, or six fresh ones."""
    if rng is None:
        return [list(c) for c in OVERLAP_CASES]
    i = lambda lo, hi: int(rng.integers(lo, hi + 1))  # noqa: E731
    s1, s2, s3 = i(2, 4), i(2, 4), i(3, 5)
    k2 = int(rng.choice([k for k in range(s2 + 1, 3 * s2 + 1) if k % s2]))
    return [[s1 * i(1, 3), s1, i(3, 10)], [k2, s2, i(3, 10)], [i(1, s3 - 1), s3, i(3, 8)], [i(2, 6), 1, i(3, 10)],
            [i(5, 9), i(2, 4), 2], [i(2, 9), i(2, 4), i(4, 12)]]


def _judge_overlap(cases, values):
    for (k, s, n), value in zip(cases, values, strict=True):
        name = f"kernel={k}, stride={s}, n={n}"
        try:
            got = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return False, f"On {name}: return a 1D array of counts, got {str(value)[:80]}."
        if got.ndim != 1:
            return False, f"On {name}: return a 1D array of counts, got shape {got.shape}."
        expected = overlap_counts_reference(k, s, n)
        if len(got) != len(expected):
            hint = (f"On {name} your array has length {len(got)}; a transposed convolution of n inputs with "
                    f"stride s and kernel k has (n - 1)s + k = {len(expected)} outputs (no padding).")
            if len(got) == (n - k) // s + 1:
                hint += " You used the length of an ordinary convolution's output."
            return False, hint
        if np.array_equal(got, expected):
            continue
        shown = f"you returned {got.astype(int).tolist() if np.all(got == got.round()) else got}"
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
        return False, f"On {name}: {shown}: {why}."
    return True, ("Your counts match conv_transpose1d on ones in every case: the interior alternates between "
                  "floor(k/s) and ceil(k/s) unless s divides k.")


OVERLAP_COUNTS = Spec(answer="overlap_counts", judge=_judge_overlap, cases=_overlap_cases, forbid=OVERLAP_REFERENCES,
                      describe=lambda c: f"On kernel={c[0]}, stride={c[1]}, n={c[2]}",
                      leaks=(r"o\s*-\s*i\s*\*\s*stride\s*<\s*kernel",))


@with_spec(OVERLAP_COUNTS)
def check_overlap_counts(overlap_counts, quiet: bool = False) -> Result:
    """Exercise 8.2: ``overlap_counts(kernel, stride, n)`` returns the 1D array of tap counts, of length
    (n - 1)·stride + kernel, exactly; checked against ``conv_transpose1d`` of ones (kernels smaller than
    the stride included), which the answer may not call."""
    return check(OVERLAP_COUNTS, overlap_counts, quiet)


# -- 8.3 -----------------------------------------------------------------------------------
GENERATOR_CASE = {"image_size": 64, "channels": 3, "nz": 100, "ngf": 64}  # exercise 8.3


def _generator_counts() -> dict[str, int]:
    c = GENERATOR_CASE
    widths = [c["ngf"] * 2 ** i for i in reversed(range(4))]  # 512, 256, 128, 64
    chans = [c["nz"], *widths, c["channels"]]
    convs = sum(cin * cout * 16 for cin, cout in zip(chans[:-1], chans[1:], strict=True))
    return {"convs": convs, "bn": 2 * sum(widths), "widths": sum(widths), "biases": sum(chans[1:])}


def _generator_spec() -> Spec:
    n = _generator_counts()
    right = n["convs"] + n["bn"]
    sep = r"(?:\{,\}|\\,|[,_\s])?"  # 3,576,704 3{,}576{,}704 3_576_704 3 576 704
    return Spec(
        answer="n_params", call=False,
        judge=judge_number(
            right, 0.5,
            ok=f"{right:,} = {n['convs']:,} convolution weights (c_in·c_out·4·4 per layer) + {n['bn']:,} batch-norm "
               "scales and shifts (2 per channel of the four hidden layers).",
            hint="Widths 512, 256, 128, 64 (ngf·8 down to ngf) from z (100 channels) to 3 colours: each "
                 "transposed convolution has c_in·c_out·4·4 weights and no bias; each hidden layer's batch norm has "
                 "2 parameters per channel.",
            known_wrong=(
                (n["convs"], "You forgot batch norm's scale and shift: 2 trainable parameters per channel."),
                (n["convs"] + 2 * n["bn"], "BN's running mean and variance are buffers, not trainable parameters: "
                                           "2 per channel, not 4."),
                (right + n["biases"], "The convolutions have bias=False: a bias before batch norm is removed by the "
                                      "mean subtraction, so DCGAN leaves it out."),
                (right + 2 * GENERATOR_CASE["channels"], "There is no batch norm on the generator's output layer."),
                (n["convs"] // 16 + n["bn"], "A 4×4 kernel has 16 weights per (input, output) channel pair."),
                (2_765_633, "That is the discriminator (with ndf = 64); the question is about the generator."),
            )),
        leaks=(rf"(?<![\d.])3{sep}576{sep}704(?!\d)", rf"(?<![\d.])3{sep}574{sep}784(?!\d)",  # the count, the convs'
               rf"(?<![\d.])223{sep}424(?!\d)"))  # the sum of c_in·c_out


GENERATOR_PARAMETERS = _generator_spec()


@with_spec(GENERATOR_PARAMETERS)
def check_generator_parameters(answer, quiet: bool = False) -> Result:
    """Exercise 8.3: the number of trainable parameters of ``Generator(DCGANConfig(image_size=64,
    channels=3, nz=100, ngf=64))``, counted by hand (an integer)."""
    return check(GENERATOR_PARAMETERS, answer, quiet)


# -- 8.4 -----------------------------------------------------------------------------------
BN_KEYS = ("batch_train", "batch_eval", "layer_train")  # exercise 8.4


def _bn_coupling_reference() -> dict[str, int]:
    """The counts exercise 8.4 asks to predict (the chapter's cell after the check measures them)."""
    others = 64 - 1
    return {"batch_train": others, "batch_eval": 0, "layer_train": 0}


_BN_HINTS = {
    "batch_train": "In training mode batch norm normalises each channel with the mean and variance of the whole "
                   "batch. Does replacing image 0 change those statistics, and which images' logits are computed "
                   "with them?",
    "batch_eval": "In evaluation mode batch norm uses its running averages, not the batch's statistics: what does "
                  "one image's logit depend on then?",
    "layer_train": "Layer norm normalises each image with its own mean and variance (over C, H, W), in either mode: "
                   "does any of its statistics mix images of the batch?",
}


def _judge_bn(cases, values):
    changed = values[0]
    if type(changed) is not dict:
        return False, f"Give a dict with the keys {', '.join(BN_KEYS)}, got {str(changed)[:80]}."
    missing = [k for k in BN_KEYS if changed.get(k) is None]
    if missing:
        raise NotImplementedError(f"no prediction for {', '.join(missing)}")
    expected = _bn_coupling_reference()
    for key in BN_KEYS:
        v = changed[key]
        if type(v) not in (int, float) or not (0 <= v <= 63) or v != round(v):
            return False, (f"{key} = {str(v)[:40]}: a count of the other 63 logits is a whole number from 0 to 63 "
                           "(an int).")
        if v != expected[key]:
            return False, f"{key} = {v:g}: {_BN_HINTS[key]}"
    return True, ("63, 0, 0: a batch-norm discriminator in training mode scores a batch, not images; this coupling "
                  "is why a WGAN-GP critic uses layer norm, and why Salimans et al. proposed virtual batch norm.")


BN_COUPLING = Spec(answer="changed", judge=_judge_bn, call=False,
                   leaks=(r"\(a\)\s*\**\s*63(?![\d.])|batch_train\W+63(?![\d.])",
                          r"\(b\)\s*\**\s*0(?![\d.])|batch_eval\W+0(?![\d.])",
                          r"\(c\)\s*\**\s*0(?![\d.])|layer_train\W+0(?![\d.])"))


@with_spec(BN_COUPLING)
def check_bn_coupling(changed, quiet: bool = False) -> Result:
    """Exercise 8.4: a prediction, before measuring, of how many of the other 63 logits of a batch of 64
    change when image 0 is replaced: ``changed`` is a dict over :data:`BN_KEYS` (batch norm in training
    mode, batch norm in evaluation mode, layer norm), each an int; a dict still holding None is not
    attempted."""
    return check(BN_COUPLING, changed, quiet)
