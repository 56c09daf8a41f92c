"""gantools.games against closed forms: eigenvalues of the bilinear game's update maps,
simulated growth rates, and the Dirac-GAN's Jacobians (analytic vs finite differences)."""

import numpy as np
import pytest

from gantools.games import (
    DIRAC_VARIANTS,
    METHODS,
    DiracGAN,
    game_jacobian,
    numerical_jacobian,
    simulate,
    spectral_radius,
    update_matrix,
)

RNG = np.random.default_rng(0)
A_RECT = RNG.normal(size=(2, 3))
A_SQ = RNG.normal(size=(3, 3))


def closed_form(a: float, method: str) -> float:
    """Spectral radius of one step for a scalar game with a = ησ."""
    if method == "simultaneous":
        return np.sqrt(1 + a**2)
    if method == "alternating":
        t = 2 - a**2  # trace; determinant 1
        return 1.0 if abs(t) <= 2 else (abs(t) + np.sqrt(t**2 - 4)) / 2
    if method == "extragradient":
        return np.sqrt(1 - a**2 + a**4)
    if a <= 0.5:  # optimistic: λ = (1 - 2ia ± sqrt(1 - 4a²))/2
        return np.sqrt((1 + np.sqrt(1 - 4 * a**2)) / 2)
    return np.sqrt(1 + (2 * a + np.sqrt(4 * a**2 - 1)) ** 2) / 2


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("a", [0.05, 0.3, 0.5, 0.7, 1.0, 1.7, 2.5])
def test_spectral_radius_closed_form_scalar(method, a):
    rho = spectral_radius(np.array([[2.0]]), a / 2.0, method)  # σ = 2, η = a/2
    tol = 1e-6 if not (method == "alternating" and a == 2.0) else 1e-4
    assert abs(rho - closed_form(a, method)) < tol


@pytest.mark.parametrize("method", METHODS)
def test_spectral_radius_uses_largest_singular_value(method):
    sig = np.linalg.svd(A_SQ, compute_uv=False)
    lr = 0.2
    expected = max(closed_form(lr * s, method) for s in sig)
    assert abs(spectral_radius(A_SQ, lr, method) - expected) < 1e-6


def test_simultaneous_eigenvalues_are_one_plus_minus_i_eta_sigma():
    lr = 0.3
    sig = np.linalg.svd(A_SQ, compute_uv=False)
    lam = np.linalg.eigvals(update_matrix(A_SQ, lr, "simultaneous"))
    expected = np.concatenate([1 + 1j * lr * sig, 1 - 1j * lr * sig])
    assert np.max(np.abs(lam.real - 1)) < 1e-10
    assert np.max(np.abs(np.sort(lam.imag) - np.sort(expected.imag))) < 1e-10


def test_game_jacobian_is_antisymmetric_with_imaginary_spectrum():
    J = game_jacobian(A_RECT)
    assert J.shape == (5, 5)
    assert np.max(np.abs(J + J.T)) == 0.0
    assert np.max(np.abs(np.linalg.eigvals(J).real)) < 1e-12


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("A", [A_RECT, A_SQ, np.array([[1.5]])])
def test_simulate_matches_update_matrix(method, A):
    m, n = A.shape
    u0, v0 = RNG.normal(size=m), RNG.normal(size=n)
    lr, steps = 0.15, 25
    U, V = simulate(A, lr, method, steps, u0, v0)
    assert U.shape == (steps + 1, m) and V.shape == (steps + 1, n)
    assert np.array_equal(U[0], u0) and np.array_equal(V[0], v0)
    M = update_matrix(A, lr, method)
    x = np.r_[u0, v0]
    state = np.r_[x, x] if method == "optimistic" else x
    for t in range(1, steps + 1):
        state = M @ state
        assert np.max(np.abs(state[: m + n] - np.r_[U[t], V[t]])) < 1e-10


def test_simultaneous_norm_grows_exactly_for_scalar_game():
    U, V = simulate(np.array([[1.0]]), 0.1, "simultaneous", 50, np.array([1.0]), np.array([0.0]))
    norms = np.hypot(U[:, 0], V[:, 0])
    assert np.max(np.abs(norms - (1 + 0.01) ** (np.arange(51) / 2))) < 1e-12


def test_alternating_stays_bounded_below_threshold_and_diverges_above():
    A = np.array([[1.0]])
    U, V = simulate(A, 1.9, "alternating", 2000, np.array([1.0]), np.array([0.0]))
    assert np.max(np.hypot(U, V)) < 20
    U, V = simulate(A, 2.1, "alternating", 200, np.array([1.0]), np.array([0.0]))
    assert np.hypot(U[-1, 0], V[-1, 0]) > 1e10


def test_optimistic_first_step_is_gda_step():
    A = np.array([[1.0, 2.0]])
    U1, V1 = simulate(A, 0.1, "optimistic", 1, np.array([1.0]), np.array([0.5, -1.0]))
    U2, V2 = simulate(A, 0.1, "simultaneous", 1, np.array([1.0]), np.array([0.5, -1.0]))
    assert np.max(np.abs(U1 - U2)) < 1e-15 and np.max(np.abs(V1 - V2)) < 1e-15


@pytest.mark.parametrize("kwargs,word", [
    ({"method": "adam"}, "unknown method"),
    ({"lr": 0.0}, "positive"),
    ({"lr": -1.0}, "positive"),
    ({"A": np.ones(3)}, "2D"),
    ({"u0": np.ones(3)}, "shape"),
    ({"v0": np.ones(2)}, "shape"),
    ({"steps": -1}, "steps"),
    ({"steps": 2.5}, "steps"),
])
def test_simulate_validates(kwargs, word):
    args = {"A": A_RECT, "lr": 0.1, "method": "simultaneous", "steps": 3, "u0": np.ones(2), "v0": np.ones(3)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        simulate(**args)


def test_spectral_radius_validates():
    with pytest.raises(ValueError, match="unknown method"):
        spectral_radius(A_SQ, 0.1, "sgd")
    with pytest.raises(ValueError, match="positive"):
        spectral_radius(A_SQ, -0.1, "extragradient")


# -- the Dirac-GAN ---------------------------------------------------------------------------
SMOOTH = [v for v in DIRAC_VARIANTS if v != "wgan-gp"]


@pytest.mark.parametrize("variant", SMOOTH)
def test_dirac_analytic_jacobian_matches_finite_differences(variant):
    g = DiracGAN(variant, gamma=0.7, noise_std=0.8)
    assert np.max(np.abs(g.field(0.0, 0.0))) < 1e-14  # (0, 0) is stationary
    assert np.max(np.abs(numerical_jacobian(g.field, (0.0, 0.0)) - g.jacobian())) < 1e-8


def test_dirac_eigenvalues():
    assert np.allclose(np.linalg.eigvals(DiracGAN("gan").jacobian()), [0.5j, -0.5j], atol=1e-15)
    assert np.allclose(np.linalg.eigvals(DiracGAN("wgan").jacobian()), [1j, -1j], atol=1e-15)
    for variant, gamma in [("r1", 0.3), ("instance-noise", 1.0), ("consensus", 1.0)]:
        lam = np.linalg.eigvals(DiracGAN(variant, gamma=gamma).jacobian())
        assert np.max(lam.real) < -0.05
    lam = np.linalg.eigvals(DiracGAN("r1", gamma=0.3).jacobian())  # (-γ ± sqrt(γ² - 1))/2
    assert np.max(np.abs(lam.real + 0.15)) < 1e-12
    assert np.max(np.abs(np.sort(lam.imag) - np.array([-1, 1]) * np.sqrt(1 - 0.09) / 2)) < 1e-12


def test_dirac_gan_field_by_finite_differences_of_the_objective():
    """v = (-∂L/∂θ, ∂L/∂ψ) for L = f(ψθ) + f(0), f(t) = -log(1 + e^{-t})."""
    def L(th, ps):
        return -np.logaddexp(0, -ps * th) - np.log(2)
    h = 1e-6
    for th, ps in [(0.3, -1.2), (2.0, 0.5), (-1.0, -1.0)]:
        vt, vp = DiracGAN("gan").field(th, ps)
        assert abs(vt + (L(th + h, ps) - L(th - h, ps)) / (2 * h)) < 1e-8
        assert abs(vp - (L(th, ps + h) - L(th, ps - h)) / (2 * h)) < 1e-8


def test_dirac_gan_simultaneous_norm_strictly_grows_and_flow_conserves_it():
    traj = DiracGAN("gan").simulate(1.0, 0.0, 0.1, 200)
    r = np.hypot(*traj.T)
    assert np.all(np.diff(r) > 0)
    traj = DiracGAN("gan").simulate(1.0, 0.0, 1e-3, 4000)  # small steps approximate the flow
    assert abs(np.hypot(*traj[-1]) - 1.0) < 0.01


@pytest.mark.parametrize("variant", ["r1", "instance-noise", "consensus"])
def test_dirac_regularised_converge(variant):
    traj = DiracGAN(variant, gamma=1.0).simulate(1.0, 1.0, 0.2, 600)
    assert np.hypot(*traj[-1]) < 1e-3


def test_dirac_clip_keeps_psi_in_range():
    traj = DiracGAN("wgan-clip", clip=0.5).simulate(2.0, 0.0, 0.1, 300)
    assert np.max(np.abs(traj[:, 1])) <= 0.5


def test_dirac_vectorised_field_and_validation():
    th, ps = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3))
    for v in DIRAC_VARIANTS:
        vt, vp = DiracGAN(v).field(th, ps)
        assert vt.shape == (3, 4) and vp.shape == (3, 4)
        one = DiracGAN(v).field(th[1, 2], ps[1, 2])
        assert abs(float(one[0]) - vt[1, 2]) < 1e-14 and abs(float(one[1]) - vp[1, 2]) < 1e-14
    with pytest.raises(ValueError, match="unknown Dirac-GAN variant"):
        DiracGAN("lsgan")
    with pytest.raises(ValueError, match="not differentiable"):
        DiracGAN("wgan-gp").jacobian()
    with pytest.raises(ValueError, match="method"):
        DiracGAN("gan").simulate(1.0, 1.0, 0.1, 10, method="extragradient")
    with pytest.raises(ValueError, match="positive"):
        DiracGAN("gan").simulate(1.0, 1.0, 0.0, 10)
