"""The training loop: one loop for every model of the registry, with callbacks and exact resume.

A run lives in one directory ``out``:

- ``checkpoint.pt``: config, step, G, D, the EMA generator, both optimisers, the AMP
  scalers, every RNG state and the data-order state (written atomically, read with
  ``weights_only=True``); ``--resume`` continues *exactly* from it;
- ``metrics.jsonl``: one JSON line per ``log_every`` steps (losses, D(x), D(G(z)),
  gradient norms, gradient penalty, images/s), averaged over those steps;
- ``samples/step_XXXXXX.png``: the EMA generator on a fixed noise batch;
- with ``eval_every``, ``eval.jsonl``: the Fréchet distance of 1,000 samples to the data
  in the features of the dataset's small classifier (:mod:`gantools.classifier`), for the
  EMA generator (``fd``) and the raw one (``fd_raw``), and the classes the EMA samples
  cover: quality over training, which the losses are not;
- at the end ``generator.pt`` (the EMA generator's state dict and its config),
  ``config.json`` and ``run.json`` (hardware, wall time, throughput, and the precision and
  memory format in effect).

Mixed precision, ``channels_last`` and ``torch.compile`` take the same code path on a
GPU and a CPU (:mod:`gantools.imagegan.precision`). Under ``torchrun --nproc_per_node=N``
it trains with DistributedDataParallel (NCCL on GPUs, gloo on CPU); each process draws
different batches and rank 0 writes the files.
"""

from __future__ import annotations

import copy
import json
import os
import random
import shlex
import sys
import warnings
from collections.abc import Callable, Iterable
from dataclasses import asdict

import numpy as np
import torch
from torch import nn

from .. import losses
from ..augment import AdaptiveProbability, augment
from ..checkpoint import atomic_save, atomic_write_text, safe_load
from ..evaluation import ImageScorer
from ..imagedata import N_CLASSES, ImageSampler, load_dataset
from .checkpointing import Checkpointing
from .config import TrainConfig
from .machine import Stopwatch, hardware, rank_and_world
from .models import get_model
from .precision import compile_problem, resolve_precision
from .sampling import GENERATOR_FORMAT, fixed_batch, generate, recalibrate_bn, save_grid

STATS = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "gp")


class TrainingDiverged(RuntimeError):
    """A loss became NaN or Inf; the message names the step and the last good checkpoint."""


def _grad_norm(module: nn.Module) -> torch.Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads))) if grads else torch.zeros(())


class ImageGANTrainer(Checkpointing):
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
        self.spec = get_model(cfg.model).for_config(cfg)
        self.rank, self.world = rank_and_world()
        self.device = self._device(device)
        self.precision = resolve_precision(cfg.amp, cfg.channels_last, self.device)
        if cfg.compile and (problem := compile_problem(self.device)):
            raise ValueError(problem)
        self.ckpt_path = os.path.join(out, "checkpoint.pt")
        self._check_out_dir(resume)
        if self.world > 1:
            self._init_distributed()

        # every global RNG from the seed: initial weights identical on every rank, and the
        # Python and NumPy states in the checkpoints reproducible (exact resume compares them)
        torch.manual_seed(cfg.seed)
        random.seed(cfg.seed)
        np.random.seed(cfg.seed)
        G, D = self.spec.build(cfg)
        pm = self.precision.memory_format
        self.G, self.D = pm(G.to(self.device)), pm(D.to(self.device))
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False) if cfg.ema > 0 else None
        betas = (cfg.beta1, cfg.beta2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=betas)
        self.scaler_g, self.scaler_d = self.precision.scaler(), self.precision.scaler()
        self.noise = torch.Generator(self.device).manual_seed(cfg.seed * 1000 + 1 + self.rank)
        self.fixed_z, self.fixed_y = (t.to(self.device) if t is not None else None for t in fixed_batch(cfg))

        images, labels = data if data is not None else load_dataset(cfg.dataset, cfg.image_size, subset=cfg.subset)
        arch = cfg.arch()
        if tuple(images.shape[1:]) != (arch.channels, cfg.image_size, cfg.image_size):
            raise ValueError(f"data must be (N, {arch.channels}, {cfg.image_size}, {cfg.image_size}), "
                             f"got {tuple(images.shape)}")
        self.images = images.to(self.device)
        self.labels = self._labels(labels, len(images)) if self.spec.conditional else None
        self.sampler = ImageSampler(len(images), cfg.batch_size, seed=cfg.seed, rank=self.rank,
                                    world_size=self.world)
        self.step, self.clock, self.last_log = 0, Stopwatch(), None
        # what D sees (gantools.augment): as is, always augmented (DiffAugment), or with ADA's p
        self.ada = AdaptiveProbability(cfg.ada_target, cfg.ada_kimg) if cfg.augment == "ada" else None
        if self.ada is not None and self.world > 1:
            raise ValueError("augment='ada' keeps one probability p per process: train it in one process")
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
        self._scorer = None  # the evaluation's classifier and real features, built on first use

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

    def _labels(self, labels, n: int) -> torch.Tensor:
        """The class labels ``(N,)`` a conditional model trains on (permuted across images
        for the ``shuffle_labels`` negative control), and their frequencies p_data(y)."""
        k = N_CLASSES[self.cfg.dataset]
        labels = torch.as_tensor(labels) if labels is not None else None
        if labels is None or labels.shape != (n,) or labels.is_floating_point() or \
                not bool(((labels >= 0) & (labels < k)).all()):
            raise ValueError(f"a conditional model needs integer labels (N,) = ({n},) in [0, {k}), got "
                             f"{None if labels is None else tuple(labels.shape)}")
        labels = labels.long()
        if self.cfg.shuffle_labels:  # labels independent of the images: G cannot learn what y means
            labels = labels[torch.randperm(n, generator=torch.Generator().manual_seed(self.cfg.seed + 31337))]
        self._class_p = (torch.bincount(labels, minlength=k).double() / n).to(self.device)
        return labels.to(self.device)

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

    # ------------------------------------------------------------------ training
    def _batch(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The next real batch ``(N, C, H, W)`` and its labels (None for unconditional models)."""
        idx = self.sampler.next().to(self.device)
        return self.precision.memory_format(self.images[idx]), self.labels[idx] if self.labels is not None else None

    def _fake_labels(self) -> torch.Tensor | None:
        """Labels for a generated batch, drawn from p_data(y) (so that p_g(y) = p_data(y))."""
        if self.labels is None:
            return None
        return torch.multinomial(self._class_p, self.cfg.batch_size, replacement=True, generator=self.noise)

    def _G(self, g, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return g(z) if y is None else g(z, y)

    def _D(self, d, x: torch.Tensor, y: torch.Tensor | None):
        return d(x, y) if self.spec.d_takes_label else d(x)

    def _aug(self, x: torch.Tensor) -> torch.Tensor:  # what D sees: real and fake alike, in both steps
        p = 0.0 if self.cfg.augment == "none" else 1.0 if self.ada is None else self.ada.p
        return augment(x, self.cfg.augment_policy, self.noise, p)

    def _z(self) -> torch.Tensor:
        return torch.randn(self.cfg.batch_size, self.cfg.nz, generator=self.noise, device=self.device)

    def _d_step(self, keep_fake: bool = False) -> list[torch.Tensor]:
        """One discriminator update; with ``keep_fake`` the fake batch keeps G's graph and is
        returned last, for G's update to reuse (one generator forward per step, not two)."""
        # (1) Update D: minimise the discriminator loss (BCE: maximise log D(x) + log(1 - D(G(z)));
        #     WGAN-GP: minimise E f(G(z)) - E f(x) + lambda * penalty)
        real, y_real = self._batch()
        y_fake = self._fake_labels()
        with torch.set_grad_enabled(keep_fake), self.precision.autocast():
            # without keep_fake, no_grad: this step must not build G's graph
            fake = self._G(self.g_model, self._z(), y_fake)
        with self.precision.autocast():
            # detach: D's loss must not send gradients into G
            out_real = self._D(self.d_model, self._aug(real), y_real)
            out_fake = self._D(self.d_model, self._aug(fake.detach()), y_fake)
            loss = self.spec.d_objective(out_real, out_fake, y_real, y_fake, self.cfg.real_label)
        gp = torch.zeros((), device=self.device)
        if self.cfg.gp_weight > 0:
            # the penalty's double backward runs in float32 under fp16: the scaler does not see
            # the inner gradient, which overflows in half precision. Through the eager D,
            # neither DDP nor compiled: torch.compile cannot differentiate twice, and the
            # penalty's parameter gradients reach DDP's hooks through the backward below
            ctx = self.precision.float32() if self.precision.amp == "fp16" else self.precision.autocast()
            with ctx:
                gp = losses.gradient_penalty(self.D, real.float(), fake.detach().float(), generator=self.noise,
                                             lam=self.cfg.gp_weight)
        self.opt_d.zero_grad(set_to_none=True)
        self.scaler_d.scale(loss + gp).backward()
        self.scaler_d.unscale_(self.opt_d)
        gnorm = _grad_norm(self.D)
        self.scaler_d.step(self.opt_d)  # skipped when a gradient is inf/NaN (fp16)
        self.scaler_d.update()
        s_real, s_fake = self.spec.adversarial(out_real).float(), self.spec.adversarial(out_fake).float()
        if self.ada is not None:
            self.ada.observe(s_real)  # r_t = E[sign(D(x))]: D's overconfidence on real images
        if self.spec.scores_are_logits:
            s_real, s_fake = torch.sigmoid(s_real), torch.sigmoid(s_fake)  # D(x), D(G(z))
        stats = [loss.detach() + gp.detach(), s_real.detach().mean(), s_fake.detach().mean(),
                 gnorm, gp.detach() / self.cfg.gp_weight if self.cfg.gp_weight > 0 else gp]
        return stats + [fake, y_fake] if keep_fake else stats

    def _g_step(self, fake: torch.Tensor, y_fake: torch.Tensor | None = None) -> list[torch.Tensor]:
        """One generator update on ``fake``, the last D step's batch with G's graph: D has
        been updated since, so G's loss reads the new D, as in Goodfellow et al.'s Algorithm 1."""
        # (2) Update G: non-saturating -log D(G(z)) (DCGAN) or -E f(G(z)) (WGAN)
        self.D.requires_grad_(False)  # D's gradients are not needed for G's step
        with self.precision.autocast():
            loss = self.spec.g_objective(self._D(self.d_plain, self._aug(fake), y_fake), y_fake)
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

    @property
    def elapsed(self) -> float:
        """Wall-clock seconds of training so far (evaluations excluded)."""
        return self.clock.read()[0]

    def train_step(self) -> torch.Tensor:
        """``n_critic`` D updates, then one G update; returns the step's :data:`STATS`."""
        for _ in range(self.cfg.n_critic - 1):
            self._d_step()
        loss_d, d_real, d_fake, gn_d, gp, fake, y_fake = self._d_step(keep_fake=True)  # the last D step's stats
        loss_g, gn_g = self._g_step(fake, y_fake)
        return torch.stack([loss_d, loss_g, d_real, d_fake, gn_d, gn_g, gp])

    def train(self) -> ImageGANTrainer:
        """Train up to ``cfg.steps`` generator steps, checkpointing every ``ckpt_every``."""
        cfg = self.cfg
        self._make_dirs()
        if self.step == 0 and self.rank == 0:
            self.save_samples()
        bad_step = torch.full((), -1, device=self.device, dtype=torch.long)
        self.clock.start()
        wall_log = self.clock.read()[0]
        bar = None
        if self.progress and self.rank == 0:
            from tqdm.auto import tqdm

            bar = tqdm(total=cfg.steps, initial=self.step, desc=f"{cfg.model} on {cfg.dataset}", unit="step")
        try:
            while self.step < cfg.steps:
                stats = self.train_step()
                self.step += 1
                ok = torch.isfinite(stats[:2]).all()  # no sync: checked at the next log or checkpoint
                bad_step = torch.where((bad_step < 0) & ~ok, torch.full_like(bad_step, self.step), bad_step)
                self._sums += stats
                self._count += 1
                boundary = self.step % cfg.log_every == 0 or self.step == cfg.steps
                ckpt = self.step % self.ckpt_every == 0 or self.step == cfg.steps
                if boundary or ckpt:
                    self._guard(int(bad_step))
                if boundary:
                    now = self.clock.read()[0]
                    self.last_log = self._log(self._sums / self._count, self._count, now - wall_log)
                    self._sums.zero_()
                    self._count, wall_log = 0, now
                if self.rank == 0 and (self.step % cfg.sample_every == 0 or self.step == cfg.steps):
                    self.save_samples()
                if self.rank == 0 and self.eval_every and (self.step % self.eval_every == 0 or self.step == cfg.steps):
                    self.clock.stop()  # evaluation time is not training time
                    self.evaluate(timed=True)
                    self.clock.start()
                if ckpt:
                    self.save_checkpoint()
                if bar is not None:
                    bar.update(1)
                for fn in self.callbacks:
                    fn(self)
        finally:
            if bar is not None:
                bar.close()
        self.clock.stop()
        if self.rank == 0:
            self._finish()
        return self

    def _make_dirs(self) -> None:
        """Create the run directory when there is something to write, not earlier: a failed
        download leaves no empty run behind."""
        if self.rank == 0:
            os.makedirs(os.path.join(self.out, "samples"), exist_ok=True)

    def _guard(self, bad_step: int) -> None:
        if bad_step >= 0:
            last = "no checkpoint was written yet"
            if os.path.exists(self.ckpt_path):
                last = f"the last good checkpoint ({self.ckpt_path}) is intact"
            raise TrainingDiverged(f"training diverged: a loss became NaN or Inf at step {bad_step}; {last}")

    def _log(self, means: torch.Tensor, n: int, seconds: float) -> dict:
        row = {"step": self.step, **{k: round(float(v), 6) for k, v in zip(STATS, means.tolist(), strict=True)}}
        if not self.spec.scores_are_logits:
            row["w_estimate"] = round(row["d_real"] - row["d_fake"], 6)  # E f(x) - E f(G(z))
        imgs = n * self.cfg.batch_size * self.cfg.n_critic * self.world  # real images through D
        row["images_per_s"] = round(imgs / max(seconds, 1e-9), 1)
        wall, cpu = self.clock.read()
        row["wall_s"], row["cpu_s"] = round(wall, 2), round(cpu, 2)
        if self.ada is not None:
            row["ada_p"], row["ada_r_t"] = round(self.ada.p, 6), round(self.ada.r_t, 6)
        if self.rank == 0:
            with open(os.path.join(self.out, "metrics.jsonl"), "a") as f:
                f.write(json.dumps(row) + "\n")
        return row

    # ------------------------------------------------------------------ samples and evaluation
    def _generator(self, ema: bool = True) -> nn.Module:
        """The EMA generator (batch norm recalibrated) or, with ``ema=False`` or no EMA, the raw one."""
        if ema and self.G_ema is not None:
            return recalibrate_bn(self.G_ema, seed=self.cfg.seed)
        return self.G

    @torch.no_grad()
    def sample(self, z: torch.Tensor | None = None, y: torch.Tensor | None = None, ema: bool = True) -> torch.Tensor:
        """Images ``(N, C, H, W)`` from the (EMA) generator in eval mode; default: the fixed
        noise (and, for a conditional model, the fixed labels: each row of the grid one z,
        each column one class)."""
        g = self._generator(ema)
        was = g.training
        g.eval()
        if z is None:
            z, y = self.fixed_z, self.fixed_y
        x = self._G(g, z.to(self.device), None if y is None else y.to(self.device))
        g.train(was)
        return x.float()

    def evaluate(self, n: int = 1000, timed: bool = True) -> dict:
        """Fréchet distance (classifier features) of ``n`` samples of the EMA generator (``fd``)
        and of the raw one (``fd_raw``) to the data, and the classes the EMA samples cover;
        appended to ``eval.jsonl`` with the training time so far (``wall_s``, ``cpu_s``) when
        ``timed``. Deterministic: its own noise seed."""
        if self._scorer is None:
            self._scorer = ImageScorer(self.cfg.dataset, self.cfg.image_size, real=self.images.cpu(),
                                       device=str(self.device))
        row = {"step": self.step}
        y = None
        if self.labels is not None:  # labels from p_data(y), from their own seed
            y = torch.multinomial(self._class_p.cpu(), n, replacement=True,
                                  generator=torch.Generator().manual_seed(self.cfg.seed + 98))
        for key, ema in (("fd", True), ("fd_raw", False)):
            g = self._generator(ema)
            was = g.training
            q = self._scorer.quality(generate(g.eval(), n, seed=self.cfg.seed + 99, labels=y))
            g.train(was)
            row[key] = round(q["fd"], 4)
            if ema:
                row.update(classes=q["classes_captured"], class_kl=round(q["class_kl"], 5))
                if y is not None:  # the fraction the classifier assigns to the asked-for class
                    row["accuracy"] = round(float((q["probs"].argmax(1) == y.numpy()).mean()), 4)
        if timed:
            wall, cpu = self.clock.read()
            row["wall_s"], row["cpu_s"] = round(wall, 2), round(cpu, 2)
        self._make_dirs()
        with open(os.path.join(self.out, "eval.jsonl"), "a") as f:
            f.write(json.dumps(row) + "\n")
        return row

    def save_samples(self) -> None:
        nrow = N_CLASSES[self.cfg.dataset] if self.fixed_y is not None else 8
        save_grid(self.sample(), os.path.join(self.out, "samples", f"step_{self.step:06d}.png"), nrow=nrow)

    def _finish(self) -> None:
        g = self._generator(ema=True)
        atomic_save({"format": GENERATOR_FORMAT, "config": asdict(self.cfg),
                     "state_dict": {k: v.detach().cpu().contiguous() for k, v in g.state_dict().items()},
                     "fixed_z": self.fixed_z.cpu(), "fixed_y": self.fixed_y.cpu() if self.fixed_y is not None else None},
                    os.path.join(self.out, "generator.pt"))
        atomic_write_text(json.dumps(asdict(self.cfg), indent=2) + "\n", os.path.join(self.out, "config.json"))
        done = self.step * self.cfg.batch_size * self.cfg.n_critic * self.world  # real images seen
        run = {"steps": self.step, "wall_time_s": round(self.clock.wall, 2), "cpu_time_s": round(self.clock.cpu, 2),
               "images_per_s": round(done / max(self.clock.wall, 1e-9), 1), "processes": self.world,
               "amp": self.precision.amp, "channels_last": self.precision.channels_last, "compile": self.cfg.compile,
               "hardware": hardware(self.device)}
        if sys.argv and sys.argv[0].endswith(os.path.join("gantools", "__main__.py")):  # the CLI wrote it
            run["command"] = "python -m gantools " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        atomic_write_text(json.dumps(run, indent=2) + "\n", os.path.join(self.out, "run.json"))


def train(cfg: TrainConfig, out: str, **kwargs) -> ImageGANTrainer:
    """Build an :class:`ImageGANTrainer` and train it (see its arguments)."""
    return ImageGANTrainer(cfg, out, **kwargs).train()
