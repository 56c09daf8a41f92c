"""Train many toy GANs at once: one batched computation for S independent runs.

A 2D toy GAN is so small that one training step costs far less arithmetic than Python
overhead (about a millisecond per step, whatever the width). So instead of a Python loop
over seeds, every parameter here carries a leading *run* axis: a weight is (S, in, out),
a layer is one ``torch.baddbmm``, and S runs (seeds, or different target mixtures) train
in the time of about one. The runs never interact: each run's loss is its own mean, and
the total that autograd differentiates is their sum, so each run gets exactly its own
gradient; Adam is applied elementwise, i.e. per run.

Every fix for mode collapse in chapter 6 is an option of :class:`BatchedGANConfig`:

- ``g_loss`` / ``d_loss``: any loss of :mod:`gantools.losses` (minimax, non-saturating,
  Wasserstein, hinge);
- ``gp_weight``: the WGAN-GP penalty (Gulrajani et al. 2017);
- ``r1_weight``: the R1 penalty on real data (Mescheder et al. 2018);
- ``spectral_norm``: every D weight divided by its largest singular value, estimated by
  one power iteration per step (Miyato et al. 2018);
- ``pack``: PacGAN's packing, D judges ``pack`` samples at once (Lin et al. 2018);
- ``minibatch_std``: D sees the batch's feature spread (Karras et al. 2018);
- ``unroll_steps``: the generator's loss is taken against D after k differentiable
  optimiser steps (Metz et al. 2017);
- ``ema``: sample from an exponential moving average of G's weights (Yazici et al. 2019);
- ``real_label`` / ``fake_label``: label smoothing, D's BCE targets for real and fake
  samples (Salimans et al. 2016; one-sided: ``real_label`` < 1, ``fake_label`` 0);
- ``instance_noise``: N(0, sigma^2) added to every input of D, sigma annealed linearly from
  this value to 0 over ``train()`` (Sonderby et al. 2017);
- ``feature_matching``: G matches the mean of D's last hidden features on real data
  instead of fooling D (Salimans et al. 2016);
- ``minibatch_disc``: D's last layer also sees how close each sample is to the others of
  its batch, through this many learned kernels (Salimans et al. 2016).

    cfg = BatchedGANConfig(g_loss="non_saturating", pack=4)
    gan = BatchedGAN(cfg, seeds=range(10))
    gan.train(ring(), steps=5000)
    x = gan.sample(2500)          # (10, 2500, 2): 2,500 samples from each run

The package, one idea a module:

- :mod:`~gantools.batched.primitives`: the batched building blocks, every tensor with a
  leading run axis: :func:`init_mlp`, :func:`mlp_forward`, random Fourier features,
  minibatch discrimination's kernels, :class:`BatchNorm` and :class:`Adam` (also used by the
  batched VAE, diffusion model and conditional toys);
- :mod:`~gantools.batched.config`: :class:`BatchedGANConfig`, the recipe;
- :mod:`~gantools.batched.gan`: :class:`BatchedGAN`, the per-run target :class:`Mixtures`
  it samples and the :class:`Snapshots` callback;
- :mod:`~gantools.batched.rejection`: discriminator rejection sampling
  (:meth:`BatchedGAN.rejection_sample`) against :meth:`BatchedGAN.density_ratio`.

:class:`~gantools.toy.Every` (thins callbacks) is re-exported here too.
"""

from ..toy import Every  # Every thins BatchedGAN callbacks too
from .config import BatchedGANConfig
from .gan import BatchedGAN, Mixtures, Snapshots
from .primitives import (
    Adam,
    BatchNorm,
    Params,
    fourier_features,
    fourier_frequencies,
    init_mlp,
    minibatch_features,
    mlp_forward,
)

__all__ = [
    "Adam",
    "BatchNorm",
    "BatchedGAN",
    "BatchedGANConfig",
    "Every",
    "Mixtures",
    "Params",
    "Snapshots",
    "fourier_features",
    "fourier_frequencies",
    "init_mlp",
    "minibatch_features",
    "mlp_forward",
]
