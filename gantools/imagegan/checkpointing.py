"""Checkpoints of the training loop: what ``checkpoint.pt`` holds, and exact resume from it.

:class:`Checkpointing` is a part of :class:`~gantools.imagegan.trainer.ImageGANTrainer`
(its base class): the checkpoint is the config, the step, G, D, the EMA generator, both
optimisers, the AMP scalers, every RNG state (the noise generator of every rank included)
and the data-order state, plain tensors and containers that load with ``weights_only=True``.
Resuming refuses a different config (``steps`` may grow) or process count, and drops log
lines written after the checkpoint, which the resumed run writes again.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import torch

from ..checkpoint import FORMAT, atomic_save, atomic_write_text, rng_state, set_rng_state
from .config import complete_config
from .machine import Stopwatch


class Checkpointing:
    """Save and load the trainer's state (mixed into :class:`~gantools.imagegan.trainer.ImageGANTrainer`,
    whose attributes it reads and sets)."""

    def state_dict(self) -> dict:
        """The self-describing checkpoint (plain tensors/containers: ``weights_only``-safe)."""
        return {
            "format": FORMAT, "config": asdict(self.cfg), "step": self.step, "elapsed": self.clock.read()[0],
            "cpu_elapsed": self.clock.read()[1],
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict() if self.G_ema is not None else None,
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "scaler_g": self.scaler_g.state_dict(), "scaler_d": self.scaler_d.state_dict(),
            "rng": rng_state(), "noise": self._gather_noise_states(), "sampler": self.sampler.state_dict(),
            "fixed_z": self.fixed_z.cpu(), "fixed_y": self.fixed_y.cpu() if self.fixed_y is not None else None,
            "world_size": self.world,
            "log_sums": self._sums.cpu(), "log_count": self._count,  # the metrics window in progress
            "ada": self.ada.state_dict() if self.ada is not None else None,  # ADA's p and its window
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
        saved, now = complete_config(ck["config"]), asdict(self.cfg)
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
        self.fixed_y = ck["fixed_y"].to(self.device) if ck.get("fixed_y") is not None else None
        self.step, self.clock = int(ck["step"]), Stopwatch(float(ck["elapsed"]), float(ck.get("cpu_elapsed", 0.0)))
        self._sums, self._count = ck["log_sums"].to(self.device), int(ck["log_count"])
        if self.ada is not None:
            self.ada.load_state_dict(ck["ada"])
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
