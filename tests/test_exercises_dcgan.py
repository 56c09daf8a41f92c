"""The chapter 8 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gantools.dcgan import DCGANConfig, Discriminator, Generator, count_parameters
from gantools.exercises.dcgan import (
    GENERATOR_CASE,
    TRANSPOSED_CASE,
    check_bn_coupling,
    check_generator_parameters,
    check_overlap_counts,
    check_transposed_size,
    overlap_counts_reference,
)
from gantools.exercises.protocol import evaluate


def starter(*args):
    raise NotImplementedError


# -- 8.1 -----------------------------------------------------------------------------------
def test_transposed_size_accepts_torch():
    c = TRANSPOSED_CASE
    layer = torch.nn.ConvTranspose2d(1, 1, c["kernel"], c["stride"], c["padding"])
    h_out = layer(torch.zeros(1, 1, c["H"], c["H"])).shape[-1]
    assert h_out == 20
    assert check_transposed_size(h_out, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (2, "Conv2d formula"), (24, "before cropping"), (21, "exact factor"), (23, "(H - 1)s + 1"),
    (28, "crops the output"), (22, "not p"), (19, "crop p pixels"),
])
def test_transposed_size_rejects(wrong, word):
    r = check_transposed_size(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_transposed_size_starter():
    with pytest.raises(NotImplementedError):
        check_transposed_size(None, quiet=True)


# -- 8.2 -----------------------------------------------------------------------------------
def overlap_counts(kernel, stride, n):
    """The reference solution of exercise 8.2: count i in 0..n-1 with 0 <= o - i*stride < kernel."""
    o = np.arange((n - 1) * stride + kernel)[:, None]
    i = np.arange(n)[None, :]
    return ((o - i * stride >= 0) & (o - i * stride < kernel)).sum(1)


def test_overlap_counts_accepts_reference():
    assert check_overlap_counts(overlap_counts, quiet=True)
    assert check_overlap_counts(lambda k, s, n: torch.tensor(overlap_counts(k, s, n)), quiet=True)
    assert check_overlap_counts(lambda k, s, n: list(overlap_counts(k, s, n)), quiet=True)


def test_overlap_counts_reference_closed_form():
    """Away from the borders the counts alternate between floor(k/s) and ceil(k/s), and average k/s."""
    for k, s in ((3, 2), (4, 2), (5, 3), (7, 3)):
        c = overlap_counts_reference(k, s, 20)
        inner = c[k:-k]
        assert set(inner.tolist()) <= {k // s, -(-k // s)}
        assert abs(c[k:k + s * 5].mean() - k / s) < 1e-12


def _interior_constant(k, s, n):
    return np.full((n - 1) * s + k, -(-k // s))


def _no_border(k, s, n):
    c = overlap_counts(k, s, n)
    c[:k] = c[k]
    c[-k:] = c[-k - 1]
    return c


def _no_gaps(k, s, n):
    return np.maximum(overlap_counts(k, s, n), 1)


@pytest.mark.parametrize("wrong,word", [
    (lambda k, s, n: np.ones((n - k) // s + 1), "ordinary convolution"),
    (lambda k, s, n: np.ones(n * s), "(n - 1)s + k"),
    (_interior_constant, "not constant"),
    (_no_border, "borders"),
    (_no_gaps, "receive no input"),
    (lambda k, s, n: overlap_counts(k, s, n)[::-1] + np.arange((n - 1) * s + k) % 2, "0 <= o - i·s < k"),
    (lambda k, s, n: overlap_counts(k, s, n)[None], "1D array"),
    (lambda k, s, n: "counts", "1D array"),
    (lambda k, s, n: 1 / 0, "ZeroDivisionError"),
])
def test_overlap_counts_rejects(wrong, word):
    r = check_overlap_counts(wrong, quiet=True)
    assert not r
    assert word in r.message


def _ones_through_pytorch(k, s, n):
    """The check's own reference: a transposed convolution of ones (the exercise says: count)."""
    return F.conv_transpose1d(torch.ones(1, 1, n), torch.ones(1, 1, k), stride=s)[0, 0].round().long().numpy()


def _module(k, s, n):
    layer = torch.nn.ConvTranspose1d(1, 1, k, stride=s, bias=False)
    torch.nn.init.ones_(layer.weight)
    with torch.no_grad():
        return layer(torch.ones(1, 1, n))[0, 0].round().long().numpy()


@pytest.mark.parametrize("shortcut", [_ones_through_pytorch, _module, overlap_counts_reference,
                                      lambda k, s, n: overlap_counts_reference(k, s, n)])
def test_overlap_counts_rejects_pytorch_and_the_reference(shortcut):
    r = check_overlap_counts(shortcut, quiet=True)
    assert not r and "calls" in r.message, r.message
    assert F.conv_transpose1d is torch.conv_transpose1d  # restored afterwards


@pytest.mark.parametrize("fn", [None, starter])
def test_overlap_counts_starter(fn):
    with pytest.raises(NotImplementedError):
        check_overlap_counts(fn, quiet=True)


# -- 8.3 -----------------------------------------------------------------------------------
def test_generator_parameters_accepts_count():
    g = Generator(DCGANConfig(**GENERATOR_CASE))
    n = count_parameters(g)
    assert n == 3_576_704
    assert check_generator_parameters(n, quiet=True)


def test_generator_parameters_wrong_values_are_real_counts():
    """The known-wrong values are what the mistakes give, computed on the actual modules."""
    g = Generator(DCGANConfig(**GENERATOR_CASE))
    bn = [m for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    conv = [m for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    no_bn = sum(m.weight.numel() for m in conv)
    assert no_bn == 3_574_784
    assert sum(m.running_mean.numel() + m.running_var.numel() for m in bn) == 1920
    assert count_parameters(Discriminator(DCGANConfig(**{**GENERATOR_CASE, "ndf": 64}))) == 2_765_633


@pytest.mark.parametrize("wrong,word", [
    (3_574_784, "forgot batch norm"), (3_578_624, "buffers"), (3_576_704 + 963, "bias=False"),
    (3_576_710, "output layer"), (3_574_784 // 16 + 1920, "16 weights"), (2_765_633, "discriminator"),
    (3_000_000, "c_in·c_out·4·4"),
])
def test_generator_parameters_rejects(wrong, word):
    r = check_generator_parameters(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_generator_parameters_starter():
    with pytest.raises(NotImplementedError):
        check_generator_parameters(None, quiet=True)


# -- 8.4 -----------------------------------------------------------------------------------
def _changed(norm, train):
    torch.manual_seed(0)
    d = Discriminator(DCGANConfig(channels=1, ndf=16, d_norm=norm)).train(train)
    x = torch.randn(64, 1, 32, 32)
    y = x.clone()
    y[0] = torch.randn(1, 32, 32)
    with torch.no_grad():
        return int(((d(x) - d(y))[1:].abs() > 1e-6).sum())


def test_bn_coupling_accepts_measured():
    measured = {"batch_train": _changed("batch", True), "batch_eval": _changed("batch", False),
                "layer_train": _changed("layer", True)}
    assert measured == {"batch_train": 63, "batch_eval": 0, "layer_train": 0}
    assert check_bn_coupling(measured, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    ({"batch_train": 0, "batch_eval": 0, "layer_train": 0}, "mean and variance of the whole batch"),
    ({"batch_train": 1, "batch_eval": 0, "layer_train": 0}, "which images' logits"),
    ({"batch_train": 64, "batch_eval": 0, "layer_train": 0}, "from 0 to 63"),
    ({"batch_train": 62.5, "batch_eval": 0, "layer_train": 0}, "whole number"),
    ({"batch_train": True, "batch_eval": 0, "layer_train": 0}, "an int"),
    ({"batch_train": 63, "batch_eval": 63, "layer_train": 0}, "running averages"),
    ({"batch_train": 63, "batch_eval": 0, "layer_train": 63}, "its own mean"),
    ([63, 0, 0], "dict"),
])
def test_bn_coupling_rejects(wrong, word):
    r = check_bn_coupling(wrong, quiet=True)
    assert not r
    assert word in r.message


@pytest.mark.parametrize("answer", [None, {"batch_train": None, "batch_eval": None, "layer_train": None},
                                    {"batch_train": 63}])
def test_bn_coupling_starter(answer):
    with pytest.raises(NotImplementedError):
        check_bn_coupling(answer, quiet=True)


def test_conv_transpose_overlap_2d_is_outer_product():
    """The 2D overlap of a square kernel is the outer product of the 1D counts (used in the chapter)."""
    for k, p, op in ((3, 1, 1), (4, 1, 0)):
        y = F.conv_transpose2d(torch.ones(1, 1, 6, 6), torch.ones(1, 1, k, k), stride=2, padding=p,
                               output_padding=op)[0, 0]
        c = torch.tensor(overlap_counts_reference(k, 2, 6), dtype=torch.float32)
        full = torch.outer(c, c)
        assert torch.equal(y, full[p:p + y.shape[0], p:p + y.shape[1]])


# -- fresh cases (the grader's draws) and values that lie ----------------------------------------
SEEDS = (0, 1, 2)


@pytest.mark.parametrize("seed", SEEDS)
def test_overlap_counts_reference_passes_on_fresh_cases(seed):
    status, message = evaluate(check_overlap_counts.spec, overlap_counts, np.random.default_rng(seed))
    assert status == "pass", message


def test_overlap_counts_fresh_cases_are_fresh_and_deterministic():
    spec = check_overlap_counts.spec
    assert spec.draw(np.random.default_rng(5)) != spec.draw(None)
    assert spec.draw(np.random.default_rng(5)) == spec.draw(np.random.default_rng(5))
    assert spec.draw(np.random.default_rng(5)) != spec.draw(np.random.default_rng(6))
    for seed in range(50):  # every draw covers kernel < stride, a stride dividing the kernel and one that does not
        cases = spec.draw(np.random.default_rng(seed))
        assert any(k < s for k, s, _ in cases) and any(k % s == 0 and s > 1 for k, s, _ in cases)
        assert any(k > s and k % s for k, s, _ in cases)


@pytest.mark.parametrize("seed", SEEDS)
def test_overlap_counts_table_of_the_book_cases_fails_on_fresh_cases(seed):
    table = {(k, s, n): overlap_counts(k, s, n).tolist() for k, s, n in check_overlap_counts.spec.draw(None)}
    copied = lambda k, s, n: table.get((k, s, n), [1] * ((n - 1) * s + k))  # noqa: E731
    assert check_overlap_counts(copied, quiet=True)
    status, message = evaluate(check_overlap_counts.spec, copied, np.random.default_rng(seed))
    assert status == "fail", message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("wrong,word", [(_interior_constant, "border"), (_no_border, "borders"),
                                        (lambda k, s, n: np.ones(n * s), "(n - 1)s + k")])
def test_overlap_counts_wrong_answers_fail_on_fresh_cases(wrong, word, seed):
    status, message = evaluate(check_overlap_counts.spec, wrong, np.random.default_rng(seed))
    assert status == "fail" and word in message, message


def test_overlap_counts_messages_do_not_state_the_counts():
    r = check_overlap_counts(_no_border, quiet=True)
    assert not r and "expected" not in r.message
    assert str(overlap_counts(3, 2, 5).tolist()) not in r.message


class LiarInt(int):
    __eq__ = lambda self, other: True  # noqa: E731
    __hash__ = int.__hash__


@pytest.mark.parametrize("check,value", [(check_transposed_size, LiarInt(20)), (check_transposed_size, LiarInt(7)),
                                         (check_generator_parameters, LiarInt(3_576_704)),
                                         (check_generator_parameters, LiarInt(1))])
def test_numbers_that_equal_everything_are_rejected(check, value):
    r = check(value, quiet=True)
    assert not r and "not numbers" in r.message, r.message


@pytest.mark.parametrize("answer", [{"batch_train": LiarInt(1), "batch_eval": LiarInt(1), "layer_train": LiarInt(1)},
                                    type("LiarDict", (dict,), {"__eq__": lambda s, o: True})(
                                        batch_train=63, batch_eval=0, layer_train=0)])
def test_bn_coupling_rejects_values_that_equal_everything(answer):
    r = check_bn_coupling(answer, quiet=True)
    assert not r and "not numbers" in r.message, r.message


def test_bn_coupling_accepts_floats_and_hints_do_not_state_the_counts():
    assert check_bn_coupling({"batch_train": 63.0, "batch_eval": 0.0, "layer_train": 0}, quiet=True)
    for wrong in ({"batch_train": 0, "batch_eval": 0, "layer_train": 0},
                  {"batch_train": 63, "batch_eval": 5, "layer_train": 0},
                  {"batch_train": 63, "batch_eval": 0, "layer_train": 63}):
        message = check_bn_coupling(wrong, quiet=True).message
        assert "(63)" not in message and "(0)" not in message and "63 others" not in message, message


def test_value_exercises_hints_do_not_state_the_answers():
    assert "20" not in check_transposed_size(19, quiet=True).message
    assert "3,576,704" not in check_generator_parameters(3_000_000, quiet=True).message
    for doc in (check_transposed_size.__doc__, check_generator_parameters.__doc__, check_bn_coupling.__doc__):
        assert "20" not in doc and "3,57" not in doc and " 63 others" not in doc
