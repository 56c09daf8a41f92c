"""Train DCGAN or WGAN-GP on images: one loop for both, with callbacks and exact resume.

A run lives in one directory ``out``:

- ``checkpoint.pt``: config, step, G, D, the EMA generator, both optimisers, the AMP
  scalers, every RNG state and the data-order state (written atomically, read with
  ``weights_only=True``); ``--resume`` continues *exactly* from it;
- ``metrics.jsonl``: one JSON line per ``log_every`` steps (losses, D(x), D(G(z)),
  gradient norms, gradient penalty, images/s), averaged over those steps;
- ``samples/step_XXXXXX.png``: the EMA generator on a fixed noise batch;
- with ``eval_every``, ``eval.jsonl``: the Fréchet distance of 1,000 EMA samples to the
  data in the features of the dataset's small classifier (:mod:`gantools.classifier`)
  and the number of classes they cover: quality over training, which the losses are not;
- at the end ``generator.pt`` (the EMA generator's state dict and its config),
  ``config.json`` and ``run.json`` (hardware, wall time, throughput).

On a GPU it uses automatic mixed precision (bf16 where supported, fp16 with gradient
scaling otherwise), ``channels_last`` and optionally ``torch.compile``. Under
``torchrun --nproc_per_node=N`` it trains with DistributedDataParallel (NCCL on GPUs,
gloo on CPU); each process draws different batches and rank 0 writes the files.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import platform
import shlex
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields, replace

import torch
from torch import nn

from . import losses
from .checkpoint import FORMAT, atomic_save, atomic_write_text, rng_state, safe_load, set_rng_state
from .dcgan import DCGANConfig, Discriminator, Generator
from .imagedata import CHANNELS, ImageSampler, check_dataset, load_dataset

MODELS = ("dcgan", "wgan-gp")
AMP_MODES = ("auto", "bf16", "fp16", "off")
STATS = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "gp")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run's numbers (resuming requires the same config,
    except ``steps``, which may grow). Use :func:`config_for` for the model defaults."""

    model: str = "dcgan"  # dcgan (non-saturating BCE) | wgan-gp (Wasserstein + gradient penalty)
    dataset: str = "digits"  # digits | mnist | fashion-mnist | cifar10
    image_size: int = 32  # images are resized to image_size × image_size
    steps: int = 2000  # generator updates
    batch_size: int = 64  # images per batch (per process under torchrun)
    nz: int = 100  # latent dimension
    ngf: int = 64  # generator width
    ndf: int = 64  # discriminator / critic width
    upsample: str = "transposed"  # generator upsampling: transposed | resize (no checkerboard)
    lr_g: float = 2e-4  # Adam learning rate of G (DCGAN paper: 2e-4)
    lr_d: float = 2e-4  # Adam learning rate of D
    beta1: float = 0.5  # Adam beta1 (DCGAN: 0.5; WGAN-GP: 0.0)
    beta2: float = 0.999  # Adam beta2 (WGAN-GP: 0.9)
    n_critic: int = 1  # D updates per G update (WGAN-GP: 5)
    gp_weight: float = 0.0  # gradient-penalty weight lambda (WGAN-GP: 10)
    ema: float = 0.999  # decay of the generator's exponential moving average (0: none)
    amp: str = "auto"  # auto (bf16/fp16 on GPU, off on CPU) | bf16 | fp16 | off
    compile: bool = False  # torch.compile G and D (GPU; first steps are slow)
    seed: int = 0  # seeds weights, noise and data order
    log_every: int = 10  # steps between metrics.jsonl lines
    sample_every: int = 100  # steps between sample grids

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose one of: {', '.join(MODELS)}")
        check_dataset(self.dataset)
        if self.amp not in AMP_MODES:
            raise ValueError(f"amp must be one of {AMP_MODES}, got {self.amp!r}")
        for f in ("steps", "batch_size", "n_critic", "log_every", "sample_every"):
            v = getattr(self, f)
            if not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
                raise ValueError(f"{f} must be a positive integer, got {v!r}")
        for f in ("lr_g", "lr_d"):
            if not (math.isfinite(getattr(self, f)) and getattr(self, f) > 0):
                raise ValueError(f"{f} must be a positive number, got {getattr(self, f)!r}")
        if not (0 <= self.ema < 1 and 0 <= self.beta1 < 1 and 0 <= self.beta2 < 1 and self.gp_weight >= 0):
            raise ValueError("ema, beta1 and beta2 must be in [0, 1) and gp_weight >= 0")
        self.arch()  # validates the architecture fields

    def arch(self) -> DCGANConfig:
        """The network architecture this config trains."""
        return DCGANConfig(image_size=self.image_size, channels=CHANNELS[self.dataset], nz=self.nz,
                           ngf=self.ngf, ndf=self.ndf, upsample=self.upsample,
                           d_norm="batch" if self.model == "dcgan" else "layer")


def config_for(model: str = "dcgan", dataset: str = "digits", **overrides) -> TrainConfig:
    """The defaults for ``model`` on ``dataset``, then ``overrides``.

    DCGAN: Radford et al.'s Adam(2e-4, β=(0.5, 0.999)). WGAN-GP: Gulrajani et al.'s
    Adam(1e-4, β=(0, 0.9)), 5 critic steps, λ = 10, layer norm in the critic. On
    ``digits`` (8×8 images upsampled) half-width networks (32) suffice.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of: {', '.join(MODELS)}")
    base = {"model": model, "dataset": check_dataset(dataset)}
    if model == "wgan-gp":
        base.update(lr_g=1e-4, lr_d=1e-4, beta1=0.0, beta2=0.9, n_critic=5, gp_weight=10.0)
    if dataset == "digits":
        base.update(ngf=32, ndf=32)
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown config field(s): {', '.join(unknown)}")
    return TrainConfig(**{**base, **overrides})


class TrainingDiverged(RuntimeError):
    """A loss became NaN or Inf; the message names the step and the last good checkpoint."""


def hardware(device: torch.device) -> dict:
    """What the run ran on, for ``run.json``."""
    info = {"device": str(device), "torch": torch.__version__, "python": platform.python_version(),
            "cpu": _cpu_name(), "cpu_threads": torch.get_num_threads()}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _distributed() -> tuple[int, int]:
    """(rank, world_size) under torchrun, (0, 1) otherwise."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def grid_image(images: torch.Tensor, nrow: int = 8, pad: int = 2):
    """``(N, C, H, W)`` in [-1, 1] → an ``(rows·(H+pad)+pad, nrow·(W+pad)+pad, C)`` uint8 array."""
    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    n, c, h, w = x.shape
    rows = math.ceil(n / nrow)
    out = torch.full((c, rows * (h + pad) + pad, nrow * (w + pad) + pad), 255, dtype=torch.uint8)
    for i in range(n):
        r, k = divmod(i, nrow)
        out[:, pad + r * (h + pad):pad + r * (h + pad) + h, pad + k * (w + pad):pad + k * (w + pad) + w] = x[i]
    out = out.permute(1, 2, 0).numpy()
    return out[..., 0] if c == 1 else out


def save_grid(images: torch.Tensor, path: str, nrow: int = 8) -> None:
    """Write a sample grid as PNG (grey or RGB)."""
    from PIL import Image  # pillow comes with matplotlib

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    Image.fromarray(grid_image(images, nrow)).save(path, optimize=True)


class ImageGANTrainer:
    """Train ``cfg`` writing to ``out``; see the module docstring for the files.

    Args:
        cfg: the :class:`TrainConfig`.
        out: the run directory.
        device: ``"cpu"``, ``"cuda"`` or None (CUDA when available).
        resume: continue from ``out/checkpoint.pt`` when it exists (refused if its config
            differs); without it, a directory that already holds a run is refused.
        ckpt_every: steps between checkpoints (and at the end).
        callbacks: ``fn(trainer)`` called after every generator step (see :attr:`step`,
            :attr:`last_log`); use ``gantools.toy.Every(k, fn)`` to thin them.
        data: optional ``(images, labels)`` instead of loading ``cfg.dataset``.
        progress: show a ``tqdm.auto`` progress bar.
        eval_every: steps between quality evaluations written to ``eval.jsonl`` (0: none).
    """

    def __init__(self, cfg: TrainConfig, out: str, device: str | None = None, resume: bool = False,
                 ckpt_every: int = 500, callbacks: Iterable[Callable] = (), data=None, progress: bool = True,
                 eval_every: int = 0):
        if not (isinstance(ckpt_every, int) and ckpt_every >= 1):
            raise ValueError(f"ckpt_every must be a positive integer, got {ckpt_every!r}")
        if not (isinstance(eval_every, int) and eval_every >= 0):
            raise ValueError(f"eval_every must be an integer >= 0, got {eval_every!r}")
        self.cfg, self.out, self.ckpt_every, self.eval_every = cfg, out, ckpt_every, eval_every
        self.callbacks, self.progress = list(callbacks), progress
        self.rank, self.world = _distributed()
        self.device = self._device(device)
        self.ckpt_path = os.path.join(out, "checkpoint.pt")
        self._check_out_dir(resume)
        if self.world > 1:
            self._init_distributed()

        torch.manual_seed(cfg.seed)  # initial weights: identical on every rank
        arch = cfg.arch()
        self.G, self.D = Generator(arch).to(self.device), Discriminator(arch).to(self.device)
        if self.device.type == "cuda":
            self.G, self.D = self.G.to(memory_format=torch.channels_last), self.D.to(memory_format=torch.channels_last)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False) if cfg.ema > 0 else None
        betas = (cfg.beta1, cfg.beta2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=betas)
        self.amp_dtype = self._amp_dtype()
        fp16 = self.amp_dtype == torch.float16
        self.scaler_g = torch.amp.GradScaler(self.device.type, enabled=fp16)
        self.scaler_d = torch.amp.GradScaler(self.device.type, enabled=fp16)
        self.noise = torch.Generator(self.device).manual_seed(cfg.seed * 1000 + 1 + self.rank)
        self.fixed_z = torch.randn(64, cfg.nz, generator=torch.Generator().manual_seed(cfg.seed + 7)).to(self.device)

        images, _ = data if data is not None else load_dataset(cfg.dataset, cfg.image_size)
        if tuple(images.shape[1:]) != (arch.channels, cfg.image_size, cfg.image_size):
            raise ValueError(f"data must be (N, {arch.channels}, {cfg.image_size}, {cfg.image_size}), "
                             f"got {tuple(images.shape)}")
        self.images = images.to(self.device)
        self.sampler = ImageSampler(len(images), cfg.batch_size, seed=cfg.seed, rank=self.rank,
                                    world_size=self.world)
        self.step, self.elapsed, self.last_log = 0, 0.0, None
        self._sums, self._count = torch.zeros(len(STATS), device=self.device), 0  # metrics being averaged
        if resume and os.path.exists(self.ckpt_path):
            self._load(safe_load(self.ckpt_path, map_location=self.device))

        # what the steps call: maybe DDP-wrapped (D's step and G's forward) and compiled; G's
        # step reads D through d_plain, without DDP: D is not updated there, nothing to sync
        self.g_model, self.d_model, self.d_plain = self.G, self.D, self.D
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            with warnings.catch_warnings():  # newer torch renames broadcast_buffers; 2.1 knows only it
                warnings.simplefilter("ignore", FutureWarning)
                # rank-local BN statistics: broadcasting them between D's forwards would modify
                # tensors that autograd still needs
                self.g_model = DDP(self.G, device_ids=ids, broadcast_buffers=False)
                self.d_model = DDP(self.D, device_ids=ids, broadcast_buffers=False)
        if cfg.compile:
            self.g_model, self.d_model = torch.compile(self.g_model), torch.compile(self.d_model)
            self.d_plain = torch.compile(self.D) if self.world > 1 else self.d_model
        self.loss_d = losses.discriminator_loss("bce" if cfg.model == "dcgan" else "wasserstein")
        self.loss_g = losses.generator_loss("non_saturating" if cfg.model == "dcgan" else "wasserstein")

    # ------------------------------------------------------------------ setup
    def _device(self, device: str | None) -> torch.device:
        if device not in (None, "cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
        if device == "cuda" and not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for, but no CUDA GPU is available (use --device cpu)")
        kind = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if kind == "cuda":
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        return torch.device("cpu")

    def _amp_dtype(self) -> torch.dtype | None:
        mode = self.cfg.amp
        if self.device.type != "cuda" or mode == "off":
            return None  # CPU: full precision (exact, reproducible resume)
        if mode == "auto":
            mode = "bf16" if torch.cuda.get_device_capability(self.device) >= (8, 0) else "fp16"
        return torch.bfloat16 if mode == "bf16" else torch.float16

    def _check_out_dir(self, resume: bool) -> None:
        if os.path.exists(self.out) and not os.path.isdir(self.out):
            raise ValueError(f"--out {self.out} exists and is not a directory")
        if os.path.exists(self.ckpt_path) and not resume:
            raise ValueError(f"{self.out} already holds a run (checkpoint.pt); pass --resume to continue it "
                             "or choose another --out")

    def _init_distributed(self) -> None:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """The self-describing checkpoint (plain tensors/containers: ``weights_only``-safe)."""
        return {
            "format": FORMAT, "config": asdict(self.cfg), "step": self.step, "elapsed": self.elapsed,
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict() if self.G_ema is not None else None,
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "scaler_g": self.scaler_g.state_dict(), "scaler_d": self.scaler_d.state_dict(),
            "rng": rng_state(), "noise": self._gather_noise_states(), "sampler": self.sampler.state_dict(),
            "fixed_z": self.fixed_z.cpu(), "world_size": self.world,
            "log_sums": self._sums.cpu(), "log_count": self._count,  # the metrics window in progress
        }

    def _gather_noise_states(self) -> list[torch.Tensor]:
        state = self.noise.get_state()
        if self.world == 1:
            return [state]
        import torch.distributed as dist

        t = state.to(self.device)
        states = [torch.empty_like(t) for _ in range(self.world)]
        dist.all_gather(states, t)
        return [s.cpu() for s in states]

    def _load(self, ck: dict) -> None:
        if ck.get("format") != FORMAT:
            raise ValueError(f"{self.ckpt_path} is not a gantools training checkpoint")
        saved, now = dict(ck["config"]), asdict(self.cfg)
        diff = [k for k in now if k != "steps" and saved.get(k) != now[k]]
        if diff:
            shown = ", ".join(f"{k}: {saved.get(k)!r} in the checkpoint, {now[k]!r} now" for k in diff[:3])
            raise ValueError(f"refusing to resume {self.out} under a different config ({shown}); "
                             "use the same options or another --out")
        if ck["world_size"] != self.world:
            raise ValueError(f"the checkpoint was written by {ck['world_size']} process(es), "
                             f"this run has {self.world}; resume with the same --nproc_per_node")
        self.G.load_state_dict(ck["G"])
        self.D.load_state_dict(ck["D"])
        if self.G_ema is not None:
            self.G_ema.load_state_dict(ck["G_ema"])
        self.opt_g.load_state_dict(ck["opt_g"])
        self.opt_d.load_state_dict(ck["opt_d"])
        self.scaler_g.load_state_dict(ck["scaler_g"])
        self.scaler_d.load_state_dict(ck["scaler_d"])
        set_rng_state(ck["rng"])
        self.noise.set_state(ck["noise"][self.rank])
        self.sampler.load_state_dict(ck["sampler"])
        self.fixed_z = ck["fixed_z"].to(self.device)
        self.step, self.elapsed = int(ck["step"]), float(ck["elapsed"])
        self._sums, self._count = ck["log_sums"].to(self.device), int(ck["log_count"])
        if self.rank == 0:
            for name in ("metrics.jsonl", "eval.jsonl"):
                self._truncate_log(os.path.join(self.out, name))

    def _truncate_log(self, path: str) -> None:
        """Drop log lines written after the checkpoint (a resumed run writes them again)."""
        if os.path.exists(path):
            with open(path) as f:
                kept = [line for line in f if line.strip() and json.loads(line)["step"] <= self.step]
            atomic_write_text("".join(kept), path)

    def save_checkpoint(self) -> None:
        """Write ``checkpoint.pt`` atomically (all ranks take part; rank 0 writes)."""
        state = self.state_dict()
        if self.rank == 0:
            atomic_save(state, self.ckpt_path)

    # ------------------------------------------------------------------ training
    def _batch(self) -> torch.Tensor:
        x = self.images[self.sampler.next().to(self.device)]
        return x.contiguous(memory_format=torch.channels_last) if self.device.type == "cuda" else x

    def _z(self) -> torch.Tensor:
        return torch.randn(self.cfg.batch_size, self.cfg.nz, generator=self.noise, device=self.device)

    def _d_step(self) -> list[torch.Tensor]:
        # (1) Update D: minimise the discriminator loss (BCE: maximise log D(x) + log(1 - D(G(z)));
        #     WGAN-GP: minimise E f(G(z)) - E f(x) + lambda * penalty)
        real = self._batch()
        with torch.no_grad(), self._autocast():
            fake = self.g_model(self._z())  # no_grad: this step must not build G's graph
        with self._autocast():
            s_real, s_fake = self.d_model(real), self.d_model(fake)
            loss = self.loss_d(s_real.float(), s_fake.float())
        gp = torch.zeros((), device=self.device)
        if self.cfg.gp_weight > 0:
            # the penalty's double backward runs in full precision under fp16 (no scaler games)
            ctx = torch.autocast(self.device.type, enabled=False) if self.amp_dtype == torch.float16 \
                else self._autocast()
            with ctx:
                # eager D, neither DDP nor compiled: torch.compile cannot differentiate twice, and
                # the penalty's parameter gradients reach DDP's hooks through the backward below
                gp = losses.gradient_penalty(self.D, real.float(), fake.float(), generator=self.noise,
                                             lam=self.cfg.gp_weight)
        self.opt_d.zero_grad(set_to_none=True)
        self.scaler_d.scale(loss + gp).backward()
        self.scaler_d.unscale_(self.opt_d)
        gnorm = _grad_norm(self.D)
        self.scaler_d.step(self.opt_d)
        self.scaler_d.update()
        if self.cfg.model == "dcgan":
            s_real, s_fake = torch.sigmoid(s_real.float()), torch.sigmoid(s_fake.float())  # D(x), D(G(z))
        return [loss.detach() + gp.detach(), s_real.detach().float().mean(), s_fake.detach().float().mean(),
                gnorm, gp.detach() / max(self.cfg.gp_weight, 1e-12) if self.cfg.gp_weight > 0 else gp]

    def _g_step(self) -> list[torch.Tensor]:
        # (2) Update G: non-saturating -log D(G(z)) (DCGAN) or -E f(G(z)) (WGAN)
        self.D.requires_grad_(False)  # D's gradients are not needed for G's step
        with self._autocast():
            loss = self.loss_g(self.d_plain(self.g_model(self._z())).float())
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler_g.scale(loss).backward()
        self.scaler_g.unscale_(self.opt_g)
        gnorm = _grad_norm(self.G)
        self.scaler_g.step(self.opt_g)
        self.scaler_g.update()
        self.D.requires_grad_(True)
        if self.G_ema is not None:
            # warm-up (as in timm's ModelEmaV2 / Karras et al.): early on, average over fewer steps
            decay = min(self.cfg.ema, (1 + self.step) / (10 + self.step))
            with torch.no_grad():
                torch._foreach_lerp_(list(self.G_ema.parameters()), list(self.G.parameters()), 1.0 - decay)
        return [loss.detach(), gnorm]

    def train(self) -> ImageGANTrainer:
        """Train up to ``cfg.steps`` generator steps, checkpointing every ``ckpt_every``."""
        cfg = self.cfg
        if self.rank == 0:  # created here, not earlier: a failed download leaves no empty run
            os.makedirs(os.path.join(self.out, "samples"), exist_ok=True)
        if self.step == 0 and self.rank == 0:
            self.save_samples()
        bad_step = torch.full((), -1, device=self.device, dtype=torch.long)
        t0 = t_log = self._t0 = time.perf_counter()
        bar = None
        if self.progress and self.rank == 0:
            from tqdm.auto import tqdm

            bar = tqdm(total=cfg.steps, initial=self.step, desc=f"{cfg.model} on {cfg.dataset}", unit="step")
        try:
            while self.step < cfg.steps:
                for _ in range(cfg.n_critic):
                    loss_d, d_real, d_fake, gn_d, gp = self._d_step()
                loss_g, gn_g = self._g_step()
                self.step += 1
                stats = torch.stack([loss_d, loss_g, d_real, d_fake, gn_d, gn_g, gp])
                ok = torch.isfinite(stats[:2]).all()
                bad_step = torch.where((bad_step < 0) & ~ok, torch.full_like(bad_step, self.step), bad_step)
                self._sums += stats
                self._count += 1
                boundary = self.step % cfg.log_every == 0 or self.step == cfg.steps
                ckpt = self.step % self.ckpt_every == 0 or self.step == cfg.steps
                if boundary or ckpt:
                    self._guard(int(bad_step))
                if boundary:
                    now = time.perf_counter()
                    self.last_log = self._log(self._sums / self._count, self._count, now - t_log)
                    self._sums.zero_()
                    self._count, t_log = 0, now
                if self.rank == 0 and (self.step % cfg.sample_every == 0 or self.step == cfg.steps):
                    self.save_samples()
                if self.rank == 0 and self.eval_every and (self.step % self.eval_every == 0 or self.step == cfg.steps):
                    t_eval = time.perf_counter()
                    self.evaluate(wall_s=self.elapsed + t_eval - t0)
                    t0 += time.perf_counter() - t_eval  # evaluation time is not training time
                    self._t0 = t0
                if ckpt:
                    self.elapsed += time.perf_counter() - t0
                    t0 = self._t0 = time.perf_counter()
                    self.save_checkpoint()
                if bar is not None:
                    bar.update(1)
                for fn in self.callbacks:
                    fn(self)
        finally:
            if bar is not None:
                bar.close()
        self.elapsed += time.perf_counter() - t0
        if self.rank == 0:
            self._finish()
        return self

    def _guard(self, bad_step: int) -> None:
        if bad_step >= 0:
            last = "no checkpoint was written yet"
            if os.path.exists(self.ckpt_path):
                last = f"the last good checkpoint ({self.ckpt_path}) is intact"
            raise TrainingDiverged(f"training diverged: a loss became NaN or Inf at step {bad_step}; {last}")

    def _log(self, means: torch.Tensor, n: int, seconds: float) -> dict:
        row = {"step": self.step, **{k: round(float(v), 6) for k, v in zip(STATS, means.tolist(), strict=True)}}
        if self.cfg.model == "wgan-gp":
            row["w_estimate"] = round(row["d_real"] - row["d_fake"], 6)  # E f(x) - E f(G(z))
        imgs = n * self.cfg.batch_size * self.cfg.n_critic * self.world  # real images through D
        row["images_per_s"] = round(imgs / max(seconds, 1e-9), 1)
        row["wall_s"] = round(self.elapsed + time.perf_counter() - self._t0, 2)
        if self.rank == 0:
            with open(os.path.join(self.out, "metrics.jsonl"), "a") as f:
                f.write(json.dumps(row) + "\n")
        return row

    @torch.no_grad()
    def sample(self, z: torch.Tensor | None = None, ema: bool = True) -> torch.Tensor:
        """Images ``(N, C, H, W)`` from the (EMA) generator in eval mode; default: the fixed noise."""
        g = self.G_ema if ema and self.G_ema is not None else self.G
        if g is self.G_ema:
            recalibrate_bn(g, seed=self.cfg.seed)
        was = g.training
        g.eval()
        x = g(self.fixed_z if z is None else z.to(self.device))
        g.train(was)
        return x.float()

    def evaluate(self, n: int = 1000, wall_s: float | None = None) -> dict:
        """Fréchet distance (classifier features) of ``n`` EMA samples to the data and the
        classes they cover; appended to ``eval.jsonl``. Deterministic: its own noise seed."""
        from .classifier import features, load_classifier, predict_proba
        from .metrics import class_coverage, fid_from_features

        if not hasattr(self, "_clf"):
            self._clf = load_classifier(self.cfg.dataset, device=str(self.device))
            self._real_feats = features(self._clf, self.images[:10_000].float())
        g = self.G_ema if self.G_ema is not None else self.G
        if g is self.G_ema:
            recalibrate_bn(g, seed=self.cfg.seed)
        fake = generate(g, n, seed=self.cfg.seed + 99)
        cov = class_coverage(predict_proba(self._clf, fake), self._clf.n_classes)
        row = {"step": self.step, "fd": round(fid_from_features(features(self._clf, fake), self._real_feats), 4),
               "classes": int(cov.classes_captured), "class_kl": round(float(cov.kl_to_uniform), 5)}
        if wall_s is not None:
            row["wall_s"] = round(wall_s, 2)
        with open(os.path.join(self.out, "eval.jsonl"), "a") as f:
            f.write(json.dumps(row) + "\n")
        return row

    def save_samples(self) -> None:
        save_grid(self.sample(), os.path.join(self.out, "samples", f"step_{self.step:06d}.png"))

    def _finish(self) -> None:
        g = self.G_ema if self.G_ema is not None else self.G
        atomic_save({"format": "gantools-generator/1", "config": asdict(self.cfg),
                     "state_dict": {k: v.detach().cpu() for k, v in g.state_dict().items()},
                     "fixed_z": self.fixed_z.cpu()}, os.path.join(self.out, "generator.pt"))
        atomic_write_text(json.dumps(asdict(self.cfg), indent=2) + "\n", os.path.join(self.out, "config.json"))
        done = self.step * self.cfg.batch_size * self.cfg.n_critic * self.world  # real images seen
        run = {"steps": self.step, "wall_time_s": round(self.elapsed, 2),
               "images_per_s": round(done / max(self.elapsed, 1e-9), 1),
               "processes": self.world, "amp": str(self.amp_dtype).replace("torch.", "") if self.amp_dtype else "off",
               "hardware": hardware(self.device)}
        if sys.argv and sys.argv[0].endswith(os.path.join("gantools", "__main__.py")):  # the CLI wrote it
            run["command"] = "python -m gantools " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        atomic_write_text(json.dumps(run, indent=2) + "\n", os.path.join(self.out, "run.json"))


@torch.no_grad()
def recalibrate_bn(g: Generator, batches: int = 8, batch_size: int = 128, seed: int = 0) -> Generator:
    """Re-estimate the batch-norm statistics of ``g`` (in place) from its own outputs.

    The EMA generator averages weights, but batch-norm running statistics belong to the
    weights that produced them: copied from the raw generator they mismatch the averaged
    weights and the samples come out grey and washed out. So the statistics are
    recomputed as exact averages (``momentum=None``) over ``batches`` noise batches drawn
    from ``seed`` — deterministic, and cheap (no gradients).
    """
    bns = [m for m in g.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return g
    was, dev = g.training, next(g.parameters()).device
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    gen = torch.Generator().manual_seed(seed + 12345)
    g.train()
    for _ in range(batches):
        g(torch.randn(batch_size, g.cfg.nz, generator=gen).to(dev))
    for m, mom in zip(bns, saved, strict=True):
        m.momentum = mom
    g.train(was)
    return g


def _grad_norm(module: nn.Module) -> torch.Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))) if grads else torch.zeros(())


def train(cfg: TrainConfig, out: str, **kwargs) -> ImageGANTrainer:
    """Build an :class:`ImageGANTrainer` and train it (see its arguments)."""
    return ImageGANTrainer(cfg, out, **kwargs).train()


def load_generator(run_dir: str, device: str = "cpu") -> tuple[Generator, TrainConfig]:
    """The trained (EMA) generator of a finished run, in eval mode, and its config."""
    path = os.path.join(run_dir, "generator.pt")
    if not os.path.exists(path):
        ck_path = os.path.join(run_dir, "checkpoint.pt")
        if not os.path.exists(ck_path):
            raise ValueError(f"{run_dir} holds no run (no generator.pt or checkpoint.pt)")
        ck = safe_load(ck_path)
        state = ck["G_ema"] if ck["G_ema"] is not None else ck["G"]  # EMA statistics: recalibrated below
    else:
        ck = safe_load(path)
        state = ck["state_dict"]
    try:
        cfg = TrainConfig(**ck["config"])
    except TypeError as e:
        raise ValueError(f"{path}: config not understood ({e})") from None
    g = Generator(cfg.arch())
    g.load_state_dict(state)
    if not os.path.exists(path) and ck["G_ema"] is not None:
        recalibrate_bn(g, seed=cfg.seed)
    return g.to(device).eval(), cfg


@torch.no_grad()
def generate(g: Generator, n: int, seed: int = 0, batch_size: int = 500) -> torch.Tensor:
    """``n`` images ``(n, C, H, W)`` from ``g`` with noise drawn from ``seed`` (deterministic)."""
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    dev = next(g.parameters()).device
    z = torch.randn(n, g.cfg.nz, generator=torch.Generator().manual_seed(seed))
    return torch.cat([g(z[i:i + batch_size].to(dev)).float().cpu() for i in range(0, n, batch_size)])


__all__ = ["TrainConfig", "config_for", "ImageGANTrainer", "TrainingDiverged", "train", "load_generator", "recalibrate_bn",
           "generate", "save_grid", "grid_image", "replace"]
