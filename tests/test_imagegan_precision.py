"""The GPU code paths, run on the CPU: autocast in bf16 and fp16, the fp16 gradient scaler,
channels_last and torch.compile (gantools.imagegan.precision and the trainer's use of it)."""

import json
import subprocess
import sys

import pytest
import torch

import gantools.losses
from gantools.__main__ import main
from gantools.imagedata import load_dataset
from gantools.imagegan import (
    ImageGANTrainer,
    ModelSpec,
    compile_problem,
    config_for,
    register,
    resolve_precision,
    train,
)
from gantools.imagegan.models import REGISTRY

CPU = torch.device("cpu")


def tiny(model="dcgan", **kw):
    base = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, log_every=5, sample_every=20, steps=20)
    return config_for(model, "digits", **{**base, **kw})


@pytest.fixture(scope="module")
def digits16():
    return load_dataset("digits", 16)


def _autocast_on() -> bool:
    return torch.is_autocast_enabled("cpu") if hasattr(torch, "get_autocast_dtype") else torch.is_autocast_cpu_enabled()


# ---------------------------------------------------------------- what the settings mean
def test_resolve_precision_on_cpu():
    assert resolve_precision("auto", None, CPU).amp == "off"  # auto: full precision on a CPU
    assert resolve_precision("auto", None, CPU).channels_last is False
    p = resolve_precision("bf16", True, CPU)
    assert (p.amp, p.dtype, p.channels_last) == ("bf16", torch.bfloat16, True)
    assert resolve_precision("fp16", None, CPU).scaler().is_enabled()
    assert not resolve_precision("bf16", None, CPU).scaler().is_enabled()  # bf16 needs no scaling
    with pytest.raises(ValueError, match="amp must be one of auto, bf16, fp16, off, got 'fp8'"):
        resolve_precision("fp8", None, CPU)


def test_autocast_really_runs_on_cpu():
    for amp, dtype in (("bf16", torch.bfloat16), ("fp16", torch.float16), ("off", torch.float32)):
        p = resolve_precision(amp, None, CPU)
        with p.autocast():
            y = torch.nn.functional.linear(torch.randn(3, 4), torch.randn(5, 4))
            with p.float32():
                z = torch.nn.functional.linear(torch.randn(3, 4), torch.randn(5, 4))
        assert y.dtype == dtype and z.dtype == torch.float32, amp


def test_channels_last_formats_modules_and_images():
    p = resolve_precision("off", True, CPU)
    x = p.memory_format(torch.randn(2, 3, 8, 8))
    assert x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    conv = p.memory_format(torch.nn.Conv2d(3, 4, 3))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert p.memory_format(torch.randn(2, 3)).shape == (2, 3)  # not an image: unchanged


# ---------------------------------------------------------------- 20 steps of each, both models
CASES = [dict(amp="bf16"), dict(amp="fp16"), dict(channels_last=True)]


@pytest.mark.parametrize("model", ["dcgan", "wgan-gp"])
@pytest.mark.parametrize("kw", CASES, ids=lambda kw: next(iter(kw)) + "=" + str(next(iter(kw.values()))))
def test_twenty_steps(tmp_path, digits16, model, kw):
    t = train(tiny(model, **kw), str(tmp_path), data=digits16, progress=False)
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [r["step"] for r in rows] == [5, 10, 15, 20]
    assert all(abs(r["loss_d"]) < 1e3 and abs(r["loss_g"]) < 1e3 for r in rows)  # finite (NaN fails <)
    run = json.load(open(tmp_path / "run.json"))
    assert run["amp"] == kw.get("amp", "off") and run["channels_last"] == kw.get("channels_last", False)
    if kw.get("channels_last"):
        assert next(t.D.parameters()).is_contiguous(memory_format=torch.channels_last)
        assert t._batch()[0].is_contiguous(memory_format=torch.channels_last)
    for name in ("G", "D"):  # master weights stay float32 under autocast
        assert all(p.dtype == torch.float32 for p in getattr(t, name).parameters())


def test_fp16_penalty_runs_in_float32_and_bf16_under_autocast(tmp_path, digits16, monkeypatch):
    seen = []
    original = gantools.losses.gradient_penalty

    def spy(critic, real, fake, **kw):
        out = original(critic, real, fake, **kw)
        seen.append((_autocast_on(), real.dtype, fake.dtype, out.dtype))
        return out

    monkeypatch.setattr(gantools.losses, "gradient_penalty", spy)
    train(tiny("wgan-gp", steps=2, amp="fp16"), str(tmp_path / "fp16"), data=digits16, progress=False)
    assert len(seen) == 2 * 5  # every critic step
    assert set(seen) == {(False, torch.float32, torch.float32, torch.float32)}
    seen.clear()
    train(tiny("wgan-gp", steps=1, amp="bf16"), str(tmp_path / "bf16"), data=digits16, progress=False)
    assert {s[0] for s in seen} == {True}  # bf16 keeps float32's range: the penalty runs under autocast


def test_the_scaler_skips_an_inf_step_and_lowers_its_scale(tmp_path, digits16):
    t = ImageGANTrainer(tiny(amp="fp16"), str(tmp_path), data=digits16, progress=False)
    for _ in range(5):
        t.train_step()
    w = next(t.D.parameters())
    # a clean step: the weights move and the scale does not fall (retry past a natural overflow)
    for _ in range(5):
        before, scale = w.detach().clone(), t.scaler_d.get_scale()
        t._d_step()
        if t.scaler_d.get_scale() >= scale:
            break
    assert not torch.equal(before, w) and t.scaler_d.get_scale() >= scale
    # an injected inf gradient: the step is skipped and the scale halves
    before, scale, adam = w.detach().clone(), t.scaler_d.get_scale(), t.opt_d.state_dict()["state"][0]["step"]
    handle = w.register_hook(lambda g: torch.full_like(g, float("inf")))
    t._d_step()
    handle.remove()
    assert torch.equal(before, w), "the optimiser stepped on an inf gradient"
    assert t.opt_d.state_dict()["state"][0]["step"] == adam  # Adam's state untouched
    assert t.scaler_d.get_scale() == scale * t.scaler_d.get_backoff_factor() == scale / 2


# ---------------------------------------------------------------- torch.compile
@pytest.mark.parametrize("model", ["dcgan", "wgan-gp"])
def test_compile_twenty_steps_match_eager(tmp_path, digits16, model):
    if compile_problem(CPU):
        pytest.skip(compile_problem(CPU))
    compiled = train(tiny(model, compile=True), str(tmp_path / "c"), data=digits16, progress=False)
    eager = train(tiny(model, steps=20), str(tmp_path / "e"), data=digits16, progress=False)
    assert compiled.g_model is not compiled.G  # really compiled
    last = lambda t: json.loads(open(t.out + "/metrics.jsonl").readlines()[-1])  # noqa: E731
    a, b = last(compiled), last(eager)
    assert all(abs(a[k] - b[k]) <= 1e-3 * (1 + abs(b[k])) for k in ("loss_d", "loss_g")), (a, b)
    assert json.load(open(tmp_path / "c" / "run.json"))["compile"] is True


def test_compile_without_a_compiler_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CXX", "/nonexistent/g++")
    assert "C++ compiler" in compile_problem(CPU)
    r = subprocess.run([sys.executable, "-m", "gantools", "train", "--model", "dcgan", "--dataset", "digits",
                        "--steps", "2", "--device", "cpu", "--compile", "--out", str(tmp_path / "run")],
                       capture_output=True, text=True, env={**__import__("os").environ, "CXX": "/nonexistent/g++"})
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "'/nonexistent/g++' was not found" in r.stderr and not (tmp_path / "run").exists()


# ---------------------------------------------------------------- bad input
def test_cli_bad_precision_arguments(tmp_path, capsys):
    base = ["train", "--model", "dcgan", "--dataset", "digits", "--steps", "2", "--out", str(tmp_path / "r")]
    with pytest.raises(SystemExit) as e:
        main(base + ["--amp", "fp8"])
    assert e.value.code == 2 and "invalid choice: 'fp8'" in capsys.readouterr().err
    spec = ModelSpec(name="test-no-nhwc", summary="a model whose networks take no channels_last tensors",
                     d_loss="bce", g_loss="non_saturating", d_norm="batch", channels_last=False)
    register(spec)
    try:
        code = main(["train", "--model", "test-no-nhwc", "--dataset", "digits", "--steps", "2", "--channels-last",
                     "--out", str(tmp_path / "r")])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "cannot take channels_last" in err
        with pytest.raises(ValueError, match="already registered"):
            register(spec)
    finally:
        REGISTRY.pop("test-no-nhwc")
    assert not (tmp_path / "r").exists()


def test_cli_records_what_was_in_effect(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--model", "wgan-gp", "--dataset", "digits", "--steps", "2", "--amp", "fp16",
                 "--channels-last", "--image-size", "16", "--batch-size", "16", "--device", "cpu", "--no-progress",
                 "--out", str(out)]) == 0
    run = json.load(open(out / "run.json"))
    assert (run["amp"], run["channels_last"], run["compile"]) == ("fp16", True, False)
    assert json.load(open(out / "config.json"))["channels_last"] is True
