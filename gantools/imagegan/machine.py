"""What a run ran on and how long it took: :func:`hardware` (for ``run.json``), the process
layout under ``torchrun`` (:func:`rank_and_world`) and the training :class:`Stopwatch`."""

from __future__ import annotations

import os
import platform
import time

import torch


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


def rank_and_world() -> tuple[int, int]:
    """(rank, world_size) under torchrun, (0, 1) otherwise."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


class Stopwatch:
    """Training time, wall-clock and CPU (this process's, all threads): paused while the
    trainer evaluates. CPU seconds stay comparable when other work shares the machine."""

    def __init__(self, wall: float = 0.0, cpu: float = 0.0):
        self.wall, self.cpu, self._started = wall, cpu, None

    def start(self) -> None:
        self._started = (time.perf_counter(), time.process_time())

    def stop(self) -> None:
        self.wall, self.cpu = self.read()
        self._started = None

    def read(self) -> tuple[float, float]:
        """(wall seconds, CPU seconds) so far, the running interval included."""
        if self._started is None:
            return self.wall, self.cpu
        return self.wall + time.perf_counter() - self._started[0], self.cpu + time.process_time() - self._started[1]
