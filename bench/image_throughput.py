"""Images per second of our DCGAN training step against a plain fp32 reference loop.

The reference is the loop of pytorch/examples ``dcgan/main.py`` on the same networks:
``BCELoss`` on sigmoid outputs, fp32, NCHW, no EMA, one generator forward per step (the
fake batch is reused for the generator's update). Ours is
:class:`gantools.imagegan.ImageGANTrainer`'s step: logits with ``BCEWithLogits``, mixed
precision (bf16, or fp16 with gradient scaling) and ``channels_last`` on a GPU, EMA of the
generator, gradient norms and a NaN guard; ``--compile`` adds ``torch.compile``.

Images/s counts real images through the discriminator per second (one batch per step).

    python bench/image_throughput.py                 # the available device
    python bench/image_throughput.py --device cuda --batch-size 256 --ngf 64 --compile
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

import torch
from torch import nn

from gantools.dcgan import Discriminator, Generator
from gantools.imagegan import ImageGANTrainer, config_for


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reference_loop(cfg, images: torch.Tensor, device: torch.device, steps: int, warmup: int) -> float:
    """pytorch/examples' DCGAN step, fp32 NCHW; returns images/s."""
    torch.manual_seed(cfg.seed)
    arch = cfg.arch()
    g, d = Generator(arch).to(device), Discriminator(arch).to(device)
    criterion = nn.BCELoss()
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    images = images.to(device)
    b = cfg.batch_size
    ones, zeros = torch.ones(b, device=device), torch.zeros(b, device=device)
    t0 = 0.0
    for i in range(warmup + steps):
        if i == warmup:
            sync(device)
            t0 = time.perf_counter()
        real = images[torch.randint(0, len(images), (b,), device=device)]
        # (1) Update D: maximise log D(x) + log(1 - D(G(z)))
        d.zero_grad()
        err_real = criterion(torch.sigmoid(d(real)), ones)
        err_real.backward()
        fake = g(torch.randn(b, cfg.nz, device=device))
        err_fake = criterion(torch.sigmoid(d(fake.detach())), zeros)  # detach: no gradient into G here
        err_fake.backward()
        opt_d.step()
        # (2) Update G: maximise log D(G(z))
        g.zero_grad()
        criterion(torch.sigmoid(d(fake)), ones).backward()
        opt_g.step()
    sync(device)
    return steps * b / (time.perf_counter() - t0)


def our_loop(cfg, images: torch.Tensor, device: torch.device, steps: int, warmup: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        t = ImageGANTrainer(cfg, out, device=device.type, data=(images, None), progress=False)
        t0 = 0.0
        for i in range(warmup + steps):
            if i == warmup:
                sync(device)
                t0 = time.perf_counter()
            t._d_step()
            t._g_step()
        sync(device)
        return steps * cfg.batch_size / (time.perf_counter() - t0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--steps", type=int, default=None, help="timed steps (default: 200 on GPU, 30 on CPU)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 30 GPU / 5 CPU)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--ngf", type=int, default=64, help="generator and discriminator width (default 64)")
    p.add_argument("--compile", action="store_true", help="torch.compile our networks")
    p.add_argument("--repeats", type=int, default=3, help="alternating repeats; the median is reported")
    args = p.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        p.exit(2, "image_throughput.py: error: --device cuda but no CUDA GPU is available\n")
    device = torch.device(args.device)
    gpu = device.type == "cuda"
    steps = args.steps or (200 if gpu else 30)
    warmup = args.warmup if args.warmup is not None else (30 if gpu else 5)
    cfg = config_for("dcgan", "digits", batch_size=args.batch_size, image_size=args.image_size, ngf=args.ngf,
                     ndf=args.ngf, compile=args.compile)
    from gantools.imagedata import load_dataset

    images, _ = load_dataset("digits", args.image_size)
    ref, ours = [], []
    for _ in range(args.repeats):  # alternate, so drifting clocks or neighbours hit both
        ref.append(reference_loop(cfg, images, device, steps, warmup))
        ours.append(our_loop(cfg, images, device, steps, warmup))
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    name = torch.cuda.get_device_name(device) if gpu else f"CPU, {torch.get_num_threads()} threads"
    amp = "off" if not gpu else ("bf16" if torch.cuda.get_device_capability(device) >= (8, 0) else "fp16")
    print(f"DCGAN {args.image_size}x{args.image_size}, width {args.ngf}, batch {args.batch_size}, {name}, "
          f"torch {torch.__version__}; {steps} timed steps after {warmup}, median of {args.repeats}")
    print("| loop | images/s | runs |\n|---|---|---|")
    print(f"| reference (fp32, NCHW, BCELoss on sigmoid) | {med(ref):,.0f} | {', '.join(f'{x:,.0f}' for x in ref)} |")
    print(f"| gantools (amp {amp}, channels_last {gpu}, compile {args.compile}, EMA) | {med(ours):,.0f} | "
          f"{', '.join(f'{x:,.0f}' for x in ours)} |")
    print(f"ratio gantools / reference: {med(ours) / med(ref):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
