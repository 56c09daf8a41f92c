"""GANs among generative models: a VAE and a diffusion model on the book's data (chapter 14).

- :mod:`~gantools.families.theory`: the ELBO exactly, on toys whose log p(x) is known.
- :mod:`~gantools.families.vae`: a batched VAE (Gaussian encoder and decoder).
- :mod:`~gantools.families.diffusion`: a batched DDPM with an MLP noise predictor, DDIM at
  any NFE, and the exact noise predictor of a Gaussian mixture.
- :mod:`~gantools.families.common`: the data, the batched training loop, time features.
- :mod:`~gantools.families.bench`: chapter 6's protocol for these families, the digits
  scores, the committed reference of ``bench/generative_families.py`` and the chapter's tables.
"""

from .diffusion import BatchedDDPM, DDPMConfig, ddim_sample, linear_alpha_bar, mixture_eps
from .vae import BatchedVAE, VAEConfig

__all__ = ["BatchedDDPM", "BatchedVAE", "DDPMConfig", "VAEConfig", "ddim_sample", "linear_alpha_bar", "mixture_eps"]
