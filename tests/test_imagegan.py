"""Image GAN training: architecture, one step, checkpoints, exact resume, refusals."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest
import torch

from gantools.checkpoint import atomic_save, safe_load
from gantools.dcgan import DCGANConfig, Discriminator, Generator, count_parameters
from gantools.imagedata import load_dataset
from gantools.imagegan import (
    ImageGANTrainer,
    TrainingDiverged,
    config_for,
    generate,
    grid_image,
    load_generator,
    recalibrate_bn,
    train,
)

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def tiny(model="dcgan", **kw):
    """A small, fast config: 16×16 digits, width 8."""
    base = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, log_every=2, sample_every=4, steps=6)
    return config_for(model, "digits", **{**base, **kw})


@pytest.fixture(scope="module")
def digits16():
    return load_dataset("digits", 16)


# ---------------------------------------------------------------- architecture
@pytest.mark.parametrize("size,channels,upsample,norm", [(32, 1, "transposed", "batch"), (64, 3, "resize", "layer"),
                                                         (16, 1, "transposed", "none")])
def test_shapes(size, channels, upsample, norm):
    cfg = DCGANConfig(image_size=size, channels=channels, nz=20, ngf=8, ndf=8, upsample=upsample, d_norm=norm)
    g, d = Generator(cfg), Discriminator(cfg)
    x = g(torch.randn(5, 20))
    assert x.shape == (5, channels, size, size)
    assert float(x.detach().abs().max()) <= 1.0  # tanh output
    assert d(x).shape == (5,)


def test_dcgan_guidelines():
    cfg = DCGANConfig(ngf=16, ndf=16)
    g, d = Generator(cfg), Discriminator(cfg)
    mods = list(d.net)
    assert not any(isinstance(m, (torch.nn.MaxPool2d, torch.nn.AvgPool2d, torch.nn.Linear)) for m in d.modules())
    assert isinstance(mods[1], torch.nn.LeakyReLU) and abs(mods[1].negative_slope - 0.2) < 1e-12  # no BN on input
    assert isinstance(list(g.net)[-1], torch.nn.Tanh) and isinstance(list(g.net)[-2], torch.nn.ConvTranspose2d)
    w = torch.cat([m.weight.flatten() for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)])
    assert abs(float(w.std()) - 0.02) < 0.001 and abs(float(w.mean())) < 0.001
    critic = Discriminator(replace(cfg, d_norm="layer"))
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in critic.modules())
    # layer norm: one sample's score does not depend on the rest of the batch
    x = torch.randn(4, 1, 32, 32)
    assert torch.allclose(critic(x)[:1], critic(x[:1]), atol=1e-5)
    assert count_parameters(g) == sum(p.numel() for p in g.parameters())


@pytest.mark.parametrize("bad,match", [(dict(image_size=48), "power of two"), (dict(ngf=0), "ngf"),
                                       (dict(d_norm="spectral"), "d_norm"), (dict(upsample="pixelshuffle"), "upsample")])
def test_arch_config_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        DCGANConfig(**bad)


@pytest.mark.parametrize("bad,match", [(dict(model="vae"), "unknown model"), (dict(dataset="svhn"), "unknown dataset"),
                                       (dict(steps=0), "steps"), (dict(lr_g=-1.0), "lr_g"),
                                       (dict(amp="fp8"), "amp"), (dict(ema=1.0), "ema"), (dict(warp=3), "unknown config")])
def test_train_config_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        config_for(**{"model": "dcgan", "dataset": "digits", **bad})


def test_model_defaults():
    w = config_for("wgan-gp", "digits")
    assert (w.n_critic, w.gp_weight, w.beta1, w.beta2, w.lr_g) == (5, 10.0, 0.0, 0.9, 1e-4)
    assert w.arch().d_norm == "layer" and config_for("dcgan", "digits").arch().d_norm == "batch"


# ---------------------------------------------------------------- training
@pytest.mark.parametrize("model", ["dcgan", "wgan-gp"])
def test_train_writes_a_run(tmp_path, digits16, model):
    t = train(tiny(model), str(tmp_path), data=digits16, progress=False, ckpt_every=3)
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [r["step"] for r in rows] == [2, 4, 6]
    keys = {"loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "gp", "images_per_s"}
    assert keys <= set(rows[0]) and all(r["grad_norm_d"] > 0 for r in rows)
    if model == "dcgan":  # D(x) and D(G(z)) are probabilities
        assert all(0 < r["d_real"] < 1 and 0 < r["d_fake"] < 1 for r in rows)
    else:
        assert all(abs(r["w_estimate"] - (r["d_real"] - r["d_fake"])) < 1e-5 for r in rows) and rows[0]["gp"] > 0
    assert sorted(os.listdir(tmp_path / "samples")) == ["step_000000.png", "step_000004.png", "step_000006.png"]
    run = json.load(open(tmp_path / "run.json"))
    assert run["steps"] == 6 and run["hardware"]["device"] == "cpu" and run["wall_time_s"] > 0
    assert json.load(open(tmp_path / "config.json"))["model"] == model
    g, cfg = load_generator(str(tmp_path))
    assert cfg == t.cfg and generate(g, 3).shape == (3, 1, 16, 16)
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".tmp")]  # no temporary files left


def test_one_step_moves_both_networks(tmp_path, digits16):
    t = ImageGANTrainer(tiny(steps=1), str(tmp_path), data=digits16, progress=False)
    g0 = [p.clone() for p in t.G.parameters()]
    d0 = [p.clone() for p in t.D.parameters()]
    t.train()
    assert all(not torch.equal(a, b) for a, b in zip(g0, t.G.parameters(), strict=True))
    assert all(not torch.equal(a, b) for a, b in zip(d0, t.D.parameters(), strict=True))


def test_generate_is_deterministic_and_grid_layout(tmp_path, digits16):
    train(tiny(), str(tmp_path), data=digits16, progress=False)
    g, _ = load_generator(str(tmp_path))
    a, b, c = generate(g, 10, seed=3), generate(g, 10, seed=3), generate(g, 10, seed=4)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.allclose(generate(g, 10, seed=3, batch_size=3), a, atol=1e-6)  # eval mode: no batch coupling
    img = grid_image(a, nrow=4)  # 3 rows of 4, 16 px + 2 px padding
    assert img.shape == (3 * 18 + 2, 4 * 18 + 2) and img.dtype.name == "uint8"


def test_bn_recalibration_matches_batch_statistics():
    g = Generator(DCGANConfig(image_size=16, nz=8, ngf=8))
    recalibrate_bn(g, batches=4, batch_size=64, seed=0)
    bn = g.net[1]
    gen = torch.Generator().manual_seed(12345)
    with torch.no_grad():
        h = torch.cat([g.net[0](torch.randn(64, 8, generator=gen)[:, :, None, None]) for _ in range(4)])
    assert torch.allclose(bn.running_mean, h.mean((0, 2, 3)), atol=1e-5)
    assert bn.momentum == 0.1  # restored


# ---------------------------------------------------------------- checkpoints and resume
def _models_equal(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("model", ["dcgan", "wgan-gp", "sngan"])
def test_resume_in_process_is_exact(tmp_path, digits16, model):
    full = train(tiny(model, steps=6, log_every=3), str(tmp_path / "full"), data=digits16, progress=False,
                 ckpt_every=2)
    train(tiny(model, steps=2, log_every=3), str(tmp_path / "cut"), data=digits16, progress=False, ckpt_every=2)
    resumed = train(tiny(model, steps=6, log_every=3), str(tmp_path / "cut"), data=digits16, progress=False,
                    ckpt_every=2, resume=True)
    a, b = full.state_dict(), resumed.state_dict()
    for k in ("G", "D", "G_ema"):
        assert _models_equal(a[k], b[k]), k
    assert a["opt_d"]["state"][0]["exp_avg"].equal(b["opt_d"]["state"][0]["exp_avg"])
    # the cut run ended (and so logged) at step 2, which closed its window early: compare the
    # windows after that (the SIGKILL test below compares every line)
    rows = lambda p: [{k: v for k, v in json.loads(s).items() if k not in ("images_per_s", "wall_s", "cpu_s")} for s in open(p)]  # noqa: E731
    on_grid = lambda p: [r for r in rows(p) if r["step"] > 3]  # noqa: E731
    assert on_grid(tmp_path / "full" / "metrics.jsonl") == on_grid(tmp_path / "cut" / "metrics.jsonl")


def assert_identical(a, b, where="checkpoint"):
    """Every tensor, number and string of two checkpoints equal (recursively)."""
    assert type(a) is type(b), where
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_identical(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{where}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and torch.equal(a, b), where
    else:
        assert a == b, where


@pytest.mark.parametrize("amp", ["off", "fp16"])
def test_sigkill_and_resume_is_bit_identical(tmp_path, amp):
    """A CLI run killed with SIGKILL and resumed ends with a checkpoint identical to an
    uninterrupted run's in everything but the wall time: weights, optimisers, the fp16
    gradient scalers, every RNG state (Python and NumPy included), the data order."""
    steps = 40 if amp == "off" else 20  # fp16 on a CPU is slow: fewer steps, smaller images and batches
    args = [sys.executable, "-m", "gantools", "train", "--model", "dcgan", "--dataset", "digits", "--steps", str(steps),
            "--ckpt-every", "5", "--log-every", "5", "--no-progress", "--amp", amp]
    args += ["--batch-size", "32"] if amp == "off" else ["--batch-size", "16", "--image-size", "16"]
    subprocess.run(args + ["--out", str(tmp_path / "full")], check=True, env=ENV, capture_output=True)

    cut = tmp_path / "cut"
    proc = subprocess.Popen(args + ["--out", str(cut)], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (cut / "checkpoint.pt").exists() and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    killed_at = safe_load(str(cut / "checkpoint.pt"))["step"]
    assert 5 <= killed_at < steps and not (cut / "generator.pt").exists()  # it really was cut short

    subprocess.run(args + ["--out", str(cut), "--resume"], check=True, env=ENV, capture_output=True)
    a, b = safe_load(str(tmp_path / "full" / "checkpoint.pt")), safe_load(str(cut / "checkpoint.pt"))
    assert a["step"] == b["step"] == steps
    for clock in ("elapsed", "cpu_elapsed"):  # the wall and CPU times differ, nothing else may
        assert a.pop(clock) > 0 and b.pop(clock) > 0
    assert_identical(a, b)
    if amp == "fp16":  # the scaler state really is in play (CPU fp16 overflows at 2**16 and backs off)
        assert a["scaler_d"]["scale"] < 65536.0 and a["scaler_d"]["_growth_tracker"] >= 0
    assert_identical(safe_load(str(tmp_path / "full" / "generator.pt")), safe_load(str(cut / "generator.pt")))
    assert (tmp_path / "full" / "samples" / f"step_{steps:06d}.png").read_bytes() == \
        (cut / "samples" / f"step_{steps:06d}.png").read_bytes()
    losses = lambda p: [json.loads(s)["loss_d"] for s in open(p)]  # noqa: E731
    assert losses(tmp_path / "full" / "metrics.jsonl") == losses(cut / "metrics.jsonl")
    assert json.load(open(cut / "run.json"))["amp"] == amp


def test_resume_refuses_a_different_config(tmp_path, digits16):
    train(tiny(), str(tmp_path), data=digits16, progress=False)
    with pytest.raises(ValueError, match=r"different config \(lr_d: 0.0002 in the checkpoint, 0.001 now\)"):
        ImageGANTrainer(tiny(lr_d=1e-3), str(tmp_path), data=digits16, resume=True, progress=False)
    with pytest.raises(ValueError, match="already holds a run"):
        ImageGANTrainer(tiny(), str(tmp_path), data=digits16, progress=False)
    longer = ImageGANTrainer(tiny(steps=8), str(tmp_path), data=digits16, resume=True, progress=False)
    assert longer.step == 6  # more steps is allowed: continue training


def test_resume_without_checkpoint_starts_fresh(tmp_path, digits16):
    t = ImageGANTrainer(tiny(), str(tmp_path / "new"), data=digits16, resume=True, progress=False)
    assert t.step == 0


class Boom:
    """A pickle that would run code when unpickled."""

    def __reduce__(self):
        return (os.system, (f"touch {os.environ.get('GANTOOLS_PWNED', '/nonexistent/pwned')}",))


def test_malicious_checkpoint_is_refused_and_nothing_runs(tmp_path, digits16, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("GANTOOLS_PWNED", str(marker))
    run = tmp_path / "run"
    run.mkdir()
    torch.save({"format": "gantools-checkpoint/1", "payload": Boom()}, run / "checkpoint.pt")
    with pytest.raises(ValueError, match="refusing to load .*checkpoint.pt"):
        ImageGANTrainer(tiny(), str(run), data=digits16, resume=True, progress=False)
    torch.save({"state_dict": Boom()}, run / "generator.pt")
    with pytest.raises(ValueError, match="refusing to load"):
        load_generator(str(run))
    r = subprocess.run([sys.executable, "-m", "gantools", "sample", str(run), "--out", str(tmp_path / "g.png")],
                       env={**ENV, "GANTOOLS_PWNED": str(marker)}, capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "refusing to load" in r.stderr
    assert not marker.exists()  # nothing executed


def test_corrupt_checkpoint_gives_one_line(tmp_path):
    (tmp_path / "generator.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot read checkpoint|refusing to load"):
        load_generator(str(tmp_path))


def test_atomic_save_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = str(tmp_path / "ck.pt")
    atomic_save({"step": 1}, path)

    def failing_save(obj, f):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        atomic_save({"step": 2}, path)
    monkeypatch.undo()
    assert safe_load(path)["step"] == 1 and os.listdir(tmp_path) == ["ck.pt"]


def test_divergence_stops_with_the_step_and_keeps_the_checkpoint(tmp_path, digits16):
    def poison(trainer):
        if trainer.step == 4:
            with torch.no_grad():
                next(trainer.D.parameters()).fill_(float("nan"))

    with pytest.raises(TrainingDiverged, match=r"NaN or Inf at step 5; the last good checkpoint .* is intact"):
        train(tiny(steps=10, log_every=1), str(tmp_path), data=digits16, progress=False, ckpt_every=2,
              callbacks=[poison])
    ck = safe_load(str(tmp_path / "checkpoint.pt"))
    assert ck["step"] == 4 and all(torch.isfinite(v).all() for v in ck["D"].values())


def test_bad_data_shape(tmp_path):
    with pytest.raises(ValueError, match=r"data must be \(N, 1, 16, 16\)"):
        ImageGANTrainer(tiny(), str(tmp_path), data=(torch.zeros(100, 3, 16, 16), torch.zeros(100)), progress=False)


def test_cuda_refused_without_gpu(tmp_path, digits16):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="no CUDA GPU is available"):
        ImageGANTrainer(tiny(), str(tmp_path), device="cuda", data=digits16, progress=False)


# ---------------------------------------------------------------- torchrun
DDP_SCRIPT = """
import sys, torch
from gantools.imagegan import ImageGANTrainer, config_for
import torch.distributed as dist
cfg = config_for(sys.argv[1], "digits", image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, steps=20, log_every=5,
                 amp=sys.argv[3], channels_last=sys.argv[4] == "nhwc")
t = ImageGANTrainer(cfg, sys.argv[2], device="cpu", progress=False, ckpt_every=10).train()
torch.save({"G": t.G.state_dict(), "D": t.D.state_dict(), "batch": t.sampler.next()},
           f"{sys.argv[2]}/rank{dist.get_rank()}.pt")
"""


@pytest.mark.parametrize("model,amp,layout", [("dcgan", "off", "nchw"), ("wgan-gp", "fp16", "nhwc"),
                                              ("cdcgan", "bf16", "nchw")])
def test_torchrun_ddp_on_cpu(tmp_path, model, amp, layout):
    """20 steps on 2 gloo processes: fp32 DCGAN, WGAN-GP under fp16 (scaler, float32
    penalty) with channels_last, the GPU's path, and the conditional DCGAN under bf16."""
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                        str(script), model, str(out), amp, layout], env=ENV, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    r0, r1 = (torch.load(out / f"rank{i}.pt", weights_only=True) for i in (0, 1))
    params = lambda sd: {k: v for k, v in sd.items() if "running" not in k and "num_batches" not in k}  # noqa: E731
    assert _models_equal(params(r0["G"]), params(r1["G"])) and _models_equal(params(r0["D"]), params(r1["D"]))
    assert not set(r0["batch"].tolist()) & set(r1["batch"].tolist())  # different data on each rank
    run = json.load(open(out / "run.json"))
    assert (run["processes"], run["amp"], run["channels_last"]) == (2, amp, layout == "nhwc")
    rows = [json.loads(line) for line in open(out / "metrics.jsonl")]
    assert [r["step"] for r in rows] == [5, 10, 15, 20] and all(abs(r["loss_d"]) < 1e3 for r in rows)
    assert safe_load(str(out / "checkpoint.pt"))["world_size"] == 2
