"""Mode collapse (chapter 6): one folder for the chapter's code.

- :mod:`~gantools.mode_collapse.theory`: mode collapse in 1D with exact densities (best
  responses of a generator that only chooses its mode weights).
- :mod:`~gantools.mode_collapse.bound`: the connected-latent bound, and the Lipschitz constants
  and miss distances it depends on.
- :mod:`~gantools.mode_collapse.samplers`: better samples from a frozen generator (Jacobian
  rejection, latent Langevin).
- :mod:`~gantools.mode_collapse.bench`: the ring and grid benchmark of VEEGAN and PacGAN, its
  methods and its committed reference (``bench/mode_collapse.py``).
"""
