"""Images per second of our training step against a plain fp32 reference loop, per setting.

The reference is the loop of pytorch/examples ``dcgan/main.py`` on the same networks:
``BCELoss`` on sigmoid outputs, fp32, NCHW, no EMA, one generator forward per step (the
fake batch is reused for the generator's update). Ours is
:meth:`gantools.imagegan.ImageGANTrainer.train_step`: logits with ``BCEWithLogits``, EMA of
the generator, gradient norms and a NaN guard, under each setting of one run:

- ``fp32``: full precision, NCHW (the CPU default);
- ``bf16`` / ``fp16``: autocast (fp16 with its gradient scaler);
- ``channels_last``: fp32 in the NHWC memory format;
- ``compile``: fp32 through ``torch.compile`` (compilation happens in the warm-up);
- ``auto``: what ``--amp auto`` picks on the device (bf16/fp16 + channels_last on a GPU).

Images/s counts real images through the discriminator per second (one batch per step).
Settings and the reference alternate within each repeat, so drifting clocks or
neighbours hit all of them; the median of the repeats is reported.

    python bench/image_throughput.py                 # every setting on the available device
    python bench/image_throughput.py --device cuda --batch-size 256 --settings auto compile
"""

from __future__ import annotations

import sys
import tempfile
import time

import torch
from torch import nn

from gantools.checks import OneLineParser
from gantools.dcgan import Discriminator, Generator
from gantools.imagegan import ImageGANTrainer, compile_problem, config_for, replace, resolve_precision


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


SETTINGS = {  # name -> TrainConfig overrides
    "fp32": dict(amp="off", channels_last=False),
    "bf16": dict(amp="bf16", channels_last=False),
    "fp16": dict(amp="fp16", channels_last=False),
    "channels_last": dict(amp="off", channels_last=True),
    "compile": dict(amp="off", channels_last=False, compile=True),
    "auto": dict(amp="auto", channels_last=None),
}


def our_loop(cfg, images: torch.Tensor, device: torch.device, steps: int, warmup: int) -> float:
    """:meth:`ImageGANTrainer.train_step` under ``cfg``; returns images/s."""
    with tempfile.TemporaryDirectory() as out:
        t = ImageGANTrainer(cfg, out, device=device.type, data=(images, None), progress=False)
        t0 = 0.0
        for i in range(warmup + steps):
            if i == warmup:
                sync(device)
                t0 = time.perf_counter()
            t.train_step()
        sync(device)
        return steps * cfg.batch_size / (time.perf_counter() - t0)


def main(argv=None) -> int:
    p = OneLineParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=("cpu", "cuda"), default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--steps", type=int, default=None, help="timed steps (default: 200 on GPU, 30 on CPU)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 30 GPU / 5 CPU)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--ngf", type=int, default=64, help="generator and discriminator width (default 64)")
    p.add_argument("--settings", nargs="+", default=None, metavar="NAME",
                   help=f"which of {', '.join(SETTINGS)} (default: all; compile only where it can run)")
    p.add_argument("--repeats", type=int, default=3, help="alternating repeats; the median is reported")
    args = p.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        p.exit(2, "image_throughput.py: error: --device cuda but no CUDA GPU is available\n")
    unknown = [s for s in args.settings or () if s not in SETTINGS]
    if unknown:
        p.exit(2, f"image_throughput.py: error: unknown setting {unknown[0]!r}; choose from {', '.join(SETTINGS)}\n")
    for name in ("steps", "warmup", "batch_size", "repeats"):
        v = getattr(args, name)
        if v is not None and v < (0 if name == "warmup" else 1):
            p.exit(2, f"image_throughput.py: error: --{name.replace('_', '-')} must be positive, got {v}\n")
    device = torch.device(args.device)
    gpu = device.type == "cuda"
    steps = args.steps or (200 if gpu else 30)
    warmup = args.warmup if args.warmup is not None else (30 if gpu else 5)
    names = args.settings or [s for s in SETTINGS if s != "compile" or not compile_problem(device)]
    base = config_for("dcgan", "digits", batch_size=args.batch_size, image_size=args.image_size, ngf=args.ngf,
                      ndf=args.ngf)
    from gantools.imagedata import load_dataset

    images, _ = load_dataset("digits", args.image_size)
    ref, ours = [], {n: [] for n in names}
    for r in range(args.repeats):  # alternate, so drifting clocks or neighbours hit every loop
        ref.append(reference_loop(base, images, device, steps, warmup))
        print(f"repeat {r + 1}: reference {ref[-1]:,.0f} images/s", file=sys.stderr, flush=True)
        for n in names:
            ours[n].append(our_loop(replace(base, **SETTINGS[n]), images, device, steps, warmup))
            print(f"repeat {r + 1}: {n} {ours[n][-1]:,.0f} images/s", file=sys.stderr, flush=True)
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    name = torch.cuda.get_device_name(device) if gpu else f"CPU, {torch.get_num_threads()} threads"
    print(f"DCGAN {args.image_size}x{args.image_size}, width {args.ngf}, batch {args.batch_size}, {name}, "
          f"torch {torch.__version__}; {steps} timed steps after {warmup}, median of {args.repeats}")
    print("| loop | amp | channels_last | compile | images/s | ratio to reference | runs |\n|---|---|---|---|---|---|---|")
    print(f"| reference (pytorch/examples) | off | False | False | {med(ref):,.0f} | 1.00x | "
          f"{', '.join(f'{x:,.0f}' for x in ref)} |")
    for n in names:
        p_ = resolve_precision(SETTINGS[n]["amp"], SETTINGS[n]["channels_last"], device)
        print(f"| gantools {n} | {p_.amp} | {p_.channels_last} | {SETTINGS[n].get('compile', False)} | "
              f"{med(ours[n]):,.0f} | {med(ours[n]) / med(ref):.2f}x | {', '.join(f'{x:,.0f}' for x in ours[n])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
