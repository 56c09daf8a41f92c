"""Two-player games as dynamical systems: the bilinear game and the Dirac-GAN.

**The bilinear game** ``min_u max_v f(u, v) = uᵀ A v`` with ``A`` of shape (m, n),
``u`` of shape (m,), ``v`` of shape (n,). Both players descend their own loss
(u minimises f, v minimises -f), so the *simultaneous gradient* is

    g(x) = (∇_u f, -∇_v f) = (A v, -Aᵀ u) = J x,    J = [[0, A], [-Aᵀ, 0]],

for the stacked state x = (u, v). J is antisymmetric: its eigenvalues are ±iσ for each
singular value σ of A (and 0 for the extra dimensions of a non-square A). Every method
here is a linear map x_{t+1} = M x_t (on [x_t, x_{t-1}] for optimistic GDA):

- simultaneous GDA: M = I - ηJ, eigenvalues 1 ∓ iησ, |λ| = √(1 + η²σ²);
- alternating (u first, v sees the new u): per σ, [[1, -ησ], [ησ, 1 - η²σ²]], det 1 and
  trace 2 - η²σ², so |λ| = 1 while ησ ≤ 2;
- extragradient (Korpelevich 1976): M = I - ηJ + η²J², |λ| = √(1 - η²σ² + η⁴σ⁴);
- optimistic GDA: x_{t+1} = x_t - 2ηJx_t + ηJx_{t-1}, with g(x_{-1}) = g(x_0).

**The Dirac-GAN** (Mescheder et al. 2018): p_data = δ₀, generator δ_θ, discriminator
D_ψ(x) = ψx, objective L(θ, ψ) = f(ψθ) + f(0), which the generator (θ) minimises and the
discriminator (ψ) maximises. Gradient descent-ascent follows the vector field
v(θ, ψ) = (-∂L/∂θ, ∂L/∂ψ); :data:`DIRAC_VARIANTS` lists the variants, each with its field
and the analytic Jacobian of the field at the equilibrium (0, 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

__all__ = [
    "METHODS", "game_jacobian", "update_matrix", "spectral_radius", "simulate",
    "DIRAC_VARIANTS", "DiracGAN", "numerical_jacobian",
]

METHODS = ("simultaneous", "alternating", "extragradient", "optimistic")


# -- the bilinear game ---------------------------------------------------------------------
def _check_game(A, lr: float, method: str) -> np.ndarray:
    A = np.asarray(A, dtype=float)
    if A.ndim != 2 or min(A.shape) == 0:
        raise ValueError(f"A must be a non-empty 2D matrix (m, n), got shape {A.shape}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"the step size lr must be a positive number, got {lr}")
    return A


def game_jacobian(A) -> np.ndarray:
    """J = [[0, A], [-Aᵀ, 0]], shape (m+n, m+n): the Jacobian of the simultaneous gradient
    g(u, v) = (A v, -Aᵀ u). Antisymmetric (Jᵀ = -J): a purely rotational game."""
    A = np.asarray(A, dtype=float)
    if A.ndim != 2:
        raise ValueError(f"A must be a 2D matrix (m, n), got shape {A.shape}")
    m, n = A.shape
    return np.block([[np.zeros((m, m)), A], [-A.T, np.zeros((n, n))]])


def update_matrix(A, lr: float, method: str) -> np.ndarray:
    """The linear map of one step of ``method`` on the bilinear game.

    Returns M of shape (m+n, m+n) with x_{t+1} = M x_t for x = (u, v), except for
    ``"optimistic"``: shape (2(m+n), 2(m+n)) acting on the augmented state [x_t, x_{t-1}],
    M = [[I - 2ηJ, ηJ], [I, 0]].
    """
    A = _check_game(A, lr, method)
    m, n = A.shape
    J, eye = game_jacobian(A), np.eye(m + n)
    if method == "alternating":  # u' = u - ηAv, then v' = v + ηAᵀu'
        Mu = np.block([[np.eye(m), -lr * A], [np.zeros((n, m)), np.eye(n)]])
        Mv = np.block([[np.eye(m), np.zeros((m, n))], [lr * A.T, np.eye(n)]])
        return Mv @ Mu
    maps = {
        "simultaneous": lambda: eye - lr * J,
        "extragradient": lambda: eye - lr * J + lr**2 * J @ J,  # x - ηJ(x - ηJx)
        "optimistic": lambda: np.block([[eye - 2 * lr * J, lr * J], [eye, np.zeros_like(J)]]),
    }
    return maps[method]()


def spectral_radius(A, lr: float, method: str) -> float:
    """max |λ| over the eigenvalues of :func:`update_matrix`: the asymptotic factor by which
    ‖(u, v)‖ grows (> 1) or shrinks (< 1) per step."""
    return float(np.max(np.abs(np.linalg.eigvals(update_matrix(A, lr, method)))))


def simulate(A, lr: float, method: str, steps: int, u0, v0) -> tuple[np.ndarray, np.ndarray]:
    """Run ``steps`` steps of ``method`` on min_u max_v uᵀAv from (u0, v0).

    Args:
        A: (m, n) matrix. lr: step size η > 0. method: one of :data:`METHODS`.
        steps: number of steps (int ≥ 0). u0: (m,) start of u. v0: (n,) start of v.

    Returns:
        (U, V) of shapes (steps+1, m) and (steps+1, n); row 0 is the start.
    """
    A = _check_game(A, lr, method)
    m, n = A.shape
    u, v = np.asarray(u0, dtype=float).copy(), np.asarray(v0, dtype=float).copy()
    if u.shape != (m,) or v.shape != (n,):
        raise ValueError(f"u0 must have shape ({m},) and v0 shape ({n},) for A of shape {A.shape}; "
                         f"got {u.shape} and {v.shape}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    U, V = np.empty((steps + 1, m)), np.empty((steps + 1, n))
    U[0], V[0] = u, v
    gu_prev, gv_prev = A @ v, -A.T @ u  # optimistic: g(x_{-1}) = g(x_0)
    for t in range(1, steps + 1):
        gu, gv = A @ v, -A.T @ u  # the simultaneous gradient g(x_t)
        if method == "simultaneous":
            u, v = u - lr * gu, v - lr * gv
        elif method == "alternating":
            u = u - lr * gu
            v = v + lr * A.T @ u
        elif method == "extragradient":
            uh, vh = u - lr * gu, v - lr * gv  # extrapolate, then step with the gradient there
            u, v = u - lr * (A @ vh), v + lr * (A.T @ uh)
        else:  # optimistic
            u, v = u - 2 * lr * gu + lr * gu_prev, v - 2 * lr * gv + lr * gv_prev
            gu_prev, gv_prev = gu, gv
        U[t], V[t] = u, v
    return U, V


# -- the Dirac-GAN -------------------------------------------------------------------------
def _f1(t):  # f'(t) for f(t) = -log(1 + e^{-t}): the logistic sigmoid of -t
    return expit(-t)


def _f2(t):  # f''(t) = -σ(t)σ(-t)
    return -expit(t) * expit(-t)


_HERMITE_X, _HERMITE_W = np.polynomial.hermite_e.hermegauss(40)  # E[h(ε)], ε ~ N(0, 1)
_HERMITE_W = _HERMITE_W / _HERMITE_W.sum()


def _gan(th, ps, p):
    a = _f1(th * ps)
    return -ps * a, th * a


def _wgan(th, ps, p):  # f(t) = t
    return -ps + 0 * th, th + 0 * ps


def _wgan_gp(th, ps, p):  # the critic maximises L - (γ/2)(|ψ| - 1)², gradient norm |∇_x D| = |ψ|
    return -ps + 0 * th, th - p.gamma * (np.abs(ps) - 1.0) * np.sign(ps)


def _noise(th, ps, p):
    """Instance noise ε ~ N(0, s²) on real and fake: L = E f(ψ(θ + ε₁)) + E f(-ψε₂)."""
    e = p.noise_std * _HERMITE_X
    th_, ps_ = np.asarray(th, float)[..., None], np.asarray(ps, float)[..., None]
    fake = th_ + e
    vt = -(ps_ * _f1(ps_ * fake)) @ _HERMITE_W
    vp = (fake * _f1(ps_ * fake)) @ _HERMITE_W - (e * _f1(-ps_ * e)) @ _HERMITE_W
    return vt, vp


def _r1(th, ps, p):  # the discriminator maximises L - (γ/2) E_data |∇_x D|² = L - (γ/2) ψ²
    vt, vp = _gan(th, ps, p)
    return vt, vp - p.gamma * ps


def _gan_jac(th, ps):
    """Jacobian of the unregularised GAN field at (θ, ψ), as four arrays (row-major)."""
    a, b = _f1(th * ps), _f2(th * ps)
    return -ps**2 * b, -a - th * ps * b, a + th * ps * b, th**2 * b


def _consensus(th, ps, p):
    """Consensus optimisation (Mescheder et al. 2017): w = v - γ ∇(½‖v‖²) = v - γ J_vᵀ v."""
    vt, vp = _gan(th, ps, p)
    j11, j12, j21, j22 = _gan_jac(th, ps)
    return vt - p.gamma * (j11 * vt + j21 * vp), vp - p.gamma * (j12 * vt + j22 * vp)


# Analytic Jacobians at (0, 0), with a = f'(0) = 1/2 and f''(0) = -1/4:
def _jac_gan(p):
    return np.array([[0.0, -0.5], [0.5, 0.0]])  # eigenvalues ±i/2


def _jac_wgan(p):
    return np.array([[0.0, -1.0], [1.0, 0.0]])  # eigenvalues ±i


def _jac_gp(p):
    raise ValueError("the WGAN-GP field is not differentiable at ψ = 0 (the penalty (|ψ| - 1)² has a kink "
                     "there), so it has no Jacobian at (0, 0); use numerical_jacobian at ψ ≠ 0")


def _jac_noise(p):  # ∂v_ψ/∂ψ = E[ε₁²] f''(0) + E[ε₂²] f''(0) = -s²/2
    return np.array([[0.0, -0.5], [0.5, -0.5 * p.noise_std**2]])


def _jac_r1(p):
    return np.array([[0.0, -0.5], [0.5, -p.gamma]])


def _jac_consensus(p):  # J - γ JᵀJ with JᵀJ = a² I
    return _jac_gan(p) - p.gamma * 0.25 * np.eye(2)


# name → (vector field, analytic Jacobian at (0, 0), projection onto the feasible set or None)
DIRAC_VARIANTS: dict[str, tuple[Callable, Callable, Callable | None]] = {
    "gan": (_gan, _jac_gan, None),
    "wgan": (_wgan, _jac_wgan, None),
    "wgan-clip": (_wgan, _jac_wgan, lambda th, ps, p: (th, np.clip(ps, -p.clip, p.clip))),
    "wgan-gp": (_wgan_gp, _jac_gp, None),
    "instance-noise": (_noise, _jac_noise, None),
    "r1": (_r1, _jac_r1, None),
    "consensus": (_consensus, _jac_consensus, None),
}


@dataclass(frozen=True)
class DiracGAN:
    """The Dirac-GAN of Mescheder et al. (2018) with one of :data:`DIRAC_VARIANTS`.

    The field is v(θ, ψ) = (-ψ f'(ψθ), θ f'(ψθ)) for the GAN (f(t) = -log(1 + e^{-t}),
    f'(0) = 1/2, f''(0) = -1/4), (-ψ, θ) for the WGAN (f(t) = t), plus the regulariser's
    term. Every entry of ∇v with a factor θ or ψ vanishes at (0, 0), which leaves

    - GAN: [[0, -1/2], [1/2, 0]], λ = ±i/2; WGAN (with or without clipping): λ = ±i;
    - instance noise N(0, s²): ∂_ψ v_ψ = E[ε₁² + ε₂²] f''(0) = -s²/2, λ = (-s² ± √(s⁴ - 4))/4;
    - R1 (γ/2) ψ²: ∂_ψ v_ψ = -γ, λ = (-γ ± √(γ² - 1))/2;
    - consensus: ∇v - γ(∇v)ᵀ∇v = ∇v - (γ/4) I, λ = -γ/4 ± i/2;
    - WGAN-GP (γ/2)(|ψ| - 1)²: not differentiable at ψ = 0 (no Jacobian there).
    """

    variant: str = "gan"  # a key of DIRAC_VARIANTS
    gamma: float = 1.0  # weight of the R1 / gradient penalty / consensus term
    noise_std: float = 1.0  # standard deviation s of the instance noise
    clip: float = 1.0  # WGAN weight clipping: ψ is kept in [-clip, clip]

    def __post_init__(self):
        if self.variant not in DIRAC_VARIANTS:
            raise ValueError(f"unknown Dirac-GAN variant {self.variant!r}; choose one of "
                             f"{', '.join(DIRAC_VARIANTS)}")
        if self.gamma < 0 or self.noise_std < 0 or self.clip <= 0:
            raise ValueError(f"need gamma ≥ 0, noise_std ≥ 0 and clip > 0, got {self}")

    def field(self, theta, psi) -> tuple[np.ndarray, np.ndarray]:
        """v(θ, ψ) = (-∂L/∂θ, ∂L/∂ψ), vectorised over arrays θ, ψ of equal shape."""
        return DIRAC_VARIANTS[self.variant][0](np.asarray(theta, float), np.asarray(psi, float), self)

    def jacobian(self) -> np.ndarray:
        """The analytic 2×2 Jacobian of :meth:`field` at the equilibrium (0, 0)."""
        return DIRAC_VARIANTS[self.variant][1](self)

    def simulate(self, theta0: float, psi0: float, lr: float, steps: int,
                 method: str = "simultaneous") -> np.ndarray:
        """Gradient descent-ascent x ← x + η v(x): returns (steps+1, 2) rows (θ_t, ψ_t).

        ``"alternating"``: θ moves first, then ψ with the new θ. Weight clipping projects ψ
        after each step.
        """
        if method not in ("simultaneous", "alternating"):
            raise ValueError(f"method must be 'simultaneous' or 'alternating', got {method!r}")
        if not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"the step size lr must be a positive number, got {lr}")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
        project = DIRAC_VARIANTS[self.variant][2] or (lambda th, ps, p: (th, ps))
        out = np.empty((steps + 1, 2))
        th, ps = float(theta0), float(psi0)
        out[0] = th, ps
        for t in range(1, steps + 1):
            vt, vp = self.field(th, ps)
            th = th + lr * float(vt)
            if method == "alternating":  # ψ sees the new θ
                vp = self.field(th, ps)[1]
            th, ps = project(th, ps + lr * float(vp), self)
            out[t] = th, ps
        return out


def numerical_jacobian(field: Callable, point, h: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian of ``field(θ, ψ) -> (v_θ, v_ψ)`` at ``point`` (2×2)."""
    x = np.asarray(point, dtype=float)
    J = np.empty((2, 2))
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        J[:, j] = (np.array(field(*(x + e)), float) - np.array(field(*(x - e)), float)) / (2 * h)
    return J
