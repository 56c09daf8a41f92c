"""What the discriminator sees when data are few: differentiable augmentation (the shared floor).

With a few thousand images, D memorises them and its feedback to G collapses (Karras et al.
2020, Fig. 1). Augmenting only the real images does not help: G then learns to draw augmented
images. DiffAugment (Zhao et al. 2020) applies the *same* random, differentiable transformation
T to every image D sees, real and generated, in both players' steps; D plays the game on
T(p_data) against T(p_g), and G gets its gradient through T. G still matches p_data when T
does not "leak": when T(p) = T(q) implies p = q. A transformation applied with probability
p < 1 is invertible in distribution for many T (Karras et al. 2020, Sec. 2.2), one applied
always is not (a quarter-turn rotation applied to every image: G may as well draw rotated
garments). The operations, on images in [-1, 1] (``(N, C, H, W)``, one draw per image):

- ``color``: brightness + U(-0.5, 0.5), saturation x U(0, 2) about the channel mean, contrast
  x U(0.5, 1.5) about the image mean (DiffAugment's ``color``);
- ``translation``: a shift by up to 1/8 of the side in x and y, the vacated pixels zero;
- ``cutout``: a square of half the side, at a uniform position, set to zero;
- ``rot90``: a quarter turn counter-clockwise (the leaking example; not in DiffAugment).

:func:`augment` applies a policy (``"color,translation,cutout"``), each operation to each image
with probability ``p`` (DiffAugment: p = 1). :class:`AdaptiveProbability` is ADA's controller:
every ``interval`` discriminator steps it reads r_t = E[sign(D(x))] on real images, the overfitting
heuristic, and moves p by sign(r_t - target) x (images seen) / (``kimg`` x 1000), so that p can
go from 0 to 1 in ``kimg`` thousand images (Karras et al. 2020: target 0.6, 500k images).
Every random draw comes from the ``generator`` passed in: a run is reproducible and resumes exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

AUGMENTS = ("none", "diffaug", "ada")  # TrainConfig.augment
DEFAULT_POLICY = "color,translation,cutout"  # DiffAugment's policy for unconditional image GANs


def _uniform(x: Tensor, g: torch.Generator, lo: float, hi: float) -> Tensor:
    """One U(lo, hi) draw per image, shaped (N, 1, 1, 1)."""
    u = torch.rand(x.shape[0], 1, 1, 1, generator=g, device=g.device, dtype=torch.float32)
    return (lo + (hi - lo) * u).to(x.device, x.dtype)


def color(x: Tensor, g: torch.Generator) -> Tensor:
    """Brightness, saturation and contrast, each with its own per-image factor."""
    x = x + _uniform(x, g, -0.5, 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * _uniform(x, g, 0.0, 2.0) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * _uniform(x, g, 0.5, 1.5) + mean


def _shifts(x: Tensor, g: torch.Generator, most: int) -> Tensor:
    return torch.randint(-most, most + 1, (x.shape[0], 2), generator=g, device=g.device).to(x.device)


def translation(x: Tensor, g: torch.Generator) -> Tensor:
    """Shift each image by up to 1/8 of its side (x and y drawn separately); zero fill."""
    n, _, h, w = x.shape
    s = _shifts(x, g, max(1, h // 8))
    rows = torch.arange(h, device=x.device).view(1, h, 1) - s[:, 0].view(n, 1, 1)  # source row of each pixel
    cols = torch.arange(w, device=x.device).view(1, 1, w) - s[:, 1].view(n, 1, 1)
    inside = ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)).unsqueeze(1)
    flat = (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).view(n, 1, h * w).expand(-1, x.shape[1], -1)
    moved = x.reshape(n, x.shape[1], h * w).gather(2, flat).view_as(x)
    return moved * inside


def cutout(x: Tensor, g: torch.Generator) -> Tensor:
    """Zero a square of half the side whose centre is uniform over the image (clipped at the border)."""
    n, _, h, w = x.shape
    centre = torch.stack([torch.randint(0, h, (n,), generator=g, device=g.device),
                          torch.randint(0, w, (n,), generator=g, device=g.device)], 1).to(x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1) - centre[:, 0].view(n, 1, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w) - centre[:, 1].view(n, 1, 1)
    hole = (rows >= -(h // 4)) & (rows < h // 2 - h // 4) & (cols >= -(w // 4)) & (cols < w // 2 - w // 4)
    return x * (~hole).unsqueeze(1).to(x.dtype)


def rot90(x: Tensor, g: torch.Generator) -> Tensor:
    """A quarter turn counter-clockwise (square images)."""
    return torch.rot90(x, 1, dims=(2, 3))


OPERATIONS: dict[str, Callable[[Tensor, torch.Generator], Tensor]] = {
    "color": color, "translation": translation, "cutout": cutout, "rot90": rot90}


def parse_policy(policy: str) -> tuple[str, ...]:
    """``"color,translation"`` -> ("color", "translation"); ValueError naming an unknown operation."""
    names = tuple(p.strip() for p in policy.split(",") if p.strip())
    unknown = [p for p in names if p not in OPERATIONS]
    if not names or unknown:
        raise ValueError(f"augmentation policy {policy!r}: unknown or no operation; choose from "
                         f"{', '.join(OPERATIONS)}")
    return names


def augment(x: Tensor, policy: str, generator: torch.Generator, p: float = 1.0) -> Tensor:
    """``x`` (N, C, H, W) with each operation of ``policy`` applied to each image with
    probability ``p`` (every image when p = 1; none, and no random draw, when p = 0)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    if p == 0.0:
        return x
    for name in parse_policy(policy):
        out = OPERATIONS[name](x, generator)
        if p < 1.0:
            keep = torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=generator.device) < p
            out = torch.where(keep.to(x.device), out, x)
        x = out
    return x


class AdaptiveProbability:
    """ADA's controller of the augmentation probability p (Karras et al. 2020, Sec. 3)."""

    def __init__(self, target: float = 0.6, kimg: float = 500.0, interval: int = 4, p: float = 0.0):
        if not 0.0 < target < 1.0:
            raise ValueError(f"target (of E[sign(D(x))]) must be in (0, 1), got {target!r}")
        if not kimg > 0:
            raise ValueError(f"kimg must be positive, got {kimg!r}")
        self.target, self.kimg, self.interval = float(target), float(kimg), int(interval)
        self.p, self.r_t = float(p), 0.0
        self._signs, self._images, self._steps = 0.0, 0, 0

    def observe(self, real_scores: Tensor) -> None:
        """After a discriminator step: the adversarial scores ``(N,)`` of its real batch."""
        self._signs += float(torch.sign(real_scores.detach().float()).sum())
        self._images += int(real_scores.shape[0])
        self._steps += 1
        if self._steps == self.interval:
            self.r_t = self._signs / self._images
            step = self._images / (self.kimg * 1000.0)
            self.p = min(max(self.p + (step if self.r_t > self.target else -step), 0.0), 1.0)
            self._signs, self._images, self._steps = 0.0, 0, 0

    def state_dict(self) -> dict:
        return {"p": self.p, "r_t": self.r_t, "signs": self._signs, "images": self._images, "steps": self._steps}

    def load_state_dict(self, state: dict) -> None:
        self.p, self.r_t = float(state["p"]), float(state["r_t"])
        self._signs, self._images, self._steps = float(state["signs"]), int(state["images"]), int(state["steps"])


def leak_fraction(images: Tensor, classifier_logits: Callable[[Tensor], Tensor]) -> float:
    """The share of ``images`` (N, C, H, W) that look like upright images turned a quarter
    counter-clockwise (``rot90``'s leak): the classifier, trained on upright images, is more
    confident once they are turned back clockwise than as they are. About 0 for upright images."""
    with torch.no_grad():
        as_is = F.softmax(classifier_logits(images), 1).amax(1)
        back = F.softmax(classifier_logits(torch.rot90(images, -1, dims=(2, 3))), 1).amax(1)
    return float((back > as_is).float().mean())
