"""Speed and accuracy of gantools.theory: a table of timings, errors against closed
forms, and the speed-up over SciPy's adaptive quadrature (scipy.integrate.quad).

    python bench/theory.py
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import integrate

from gantools.distributions import GaussianMixture, Uniform
from gantools.theory import js_divergence, kl_divergence, optimal_discriminator, value_function, wasserstein1
from gantools.toy import kde


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def scipy_jsd(p, q, lo, hi, points):
    def f(x):
        a, b = float(p.pdf(x)), float(q.pdf(x))
        m = (a + b) / 2
        return 0.5 * (a * math.log(a / m) if a > 0 else 0.0) + 0.5 * (b * math.log(b / m) if b > 0 else 0.0)

    return integrate.quad(f, lo, hi, points=points, limit=1000, epsabs=1e-13, epsrel=1e-12)[0]


def main():
    rows = []
    g01, g15 = GaussianMixture([0.0], 1.0), GaussianMixture([1.5], 0.5)
    kl_exact = math.log(0.5) + (1 + 1.5**2) / (2 * 0.25) - 0.5
    t, v = best_of(lambda: kl_divergence(g01, g15))
    rows.append(("KL(N(0,1) || N(1.5,0.5^2))", t, abs(v - kl_exact)))
    t, v = best_of(lambda: js_divergence(Uniform(0, 1), Uniform(2, 3)))
    rows.append(("JSD, disjoint uniforms (= log 2)", t, abs(v - math.log(2))))
    t, v = best_of(lambda: js_divergence(Uniform(0, 1), Uniform(0.3, 1.3)))
    rows.append(("JSD, uniforms overlapping 70% (= 0.3 log 2)", t, abs(v - 0.3 * math.log(2))))
    t, v = best_of(lambda: wasserstein1(GaussianMixture([0.0], 1.0), GaussianMixture([0.0], 2.0)))
    rows.append(("W1(N(0,1), N(0,2^2)) (= sqrt(2/pi))", t, abs(v - math.sqrt(2 / math.pi))))
    p3 = GaussianMixture([-2.0, 1.0, 3.0], [0.5, 0.4, 0.6], [0.3, 0.3, 0.4])
    q = GaussianMixture([0.5], 1.5)
    D = optimal_discriminator(p3, q)
    t, v = best_of(lambda: value_function(D, p3, q) - (2 * js_divergence(p3, q) - math.log(4)))
    rows.append(("V(D*,G) - (2 JSD - log 4), 3-mode vs Gaussian", t, abs(v)))
    rng = np.random.default_rng(0)
    est = kde(np.concatenate([rng.normal(-2, 0.5, 1000), rng.normal(2, 0.5, 1000)]))
    t, v = best_of(lambda: js_divergence(p3, est), repeat=3)
    rows.append(("JSD to a 2000-point KDE (as in chapter 1)", t, float("nan")))
    x = np.linspace(-6, 6, 1_000_000)
    t, _ = best_of(lambda: D(x))
    rows.append(("D*(x) on 10^6 points, 3-mode vs Gaussian", t, float("nan")))

    print(f"{'computation':52s} {'time (ms)':>10s} {'|error|':>10s}")
    for name, t, err in rows:
        print(f"{name:52s} {1e3 * t:10.2f} {err:10.1e}")

    # Against SciPy's quad on the same integrand (both to ~1e-12).
    t_ours, ours = best_of(lambda: js_divergence(p3, q))
    t_scipy, ref = best_of(lambda: scipy_jsd(p3, q, -15, 15, [-2, 0.5, 1, 3]), repeat=3)
    print(f"\nJSD(3-mode, Gaussian): gantools {1e3 * t_ours:.2f} ms, scipy.integrate.quad {1e3 * t_scipy:.2f} ms, "
          f"ratio {t_scipy / t_ours:.1f}x, |difference| {abs(ours - ref):.1e}")


if __name__ == "__main__":
    main()
