"""Every exercise of the book, chapter by chapter: what the grader checks.

The grader (:mod:`gantools.grading`) does not trust the check cells of a submission: it
applies the check named here to the answers named here, whatever the student did to the
check cell. ``tests/test_exercises_registry.py`` keeps this table equal to the chapters'
exercise prompts and check cells.
"""

from __future__ import annotations

from dataclasses import dataclass

from gantools.chapters import by_number


@dataclass(frozen=True)
class Exercise:
    """One exercise: its number, level, check and the answers the check is applied to."""

    number: str  # "5.1"
    level: str  # "easy", "medium" or "hard", as its prompt says
    check: str  # the name of its check in gantools.exercises
    answers: tuple[str, ...]  # the names of the student's answers, the check's arguments in order
    kind: str  # "number", "function" or "prediction": what the student hands in

    @property
    def check_cell(self) -> str:
        """The source of the exercise's check cell in the book."""
        return f"assert {self.check}({', '.join(self.answers)})"


@dataclass(frozen=True)
class Chapter:
    number: int
    notebook: str  # the chapter's file in book/
    exercises: tuple[Exercise, ...]


def _chapter(number: int, *rows: tuple[str, str, str, str, str]) -> Chapter:
    """The chapter's exercises; its notebook's name comes from the manifest (gantools.chapters)."""
    return Chapter(number, by_number(number).notebook, tuple(
        Exercise(n, level, check, (answer,), kind) for n, level, check, answer, kind in rows))


CHAPTERS: dict[int, Chapter] = {c.number: c for c in (
    _chapter(1,
             ("1.1", "easy", "check_affine_pushforward", "affine_pushforward", "function"),
             ("1.2", "easy", "check_constant_value", "constant_value", "function"),
             ("1.3", "medium", "check_mc_value", "mc_value", "function"),
             ("1.4", "hard", "check_k_prediction", "prediction", "prediction")),
    _chapter(2,
             ("2.1", "easy", "check_pointwise_maximiser", "pointwise_maximiser", "function"),
             ("2.2", "medium", "check_weighted_discriminator", "weighted_optimal_discriminator", "function"),
             ("2.3", "medium", "check_generator_from_discriminator", "generator_density", "function"),
             ("2.4", "hard", "check_kl_from_logit", "kl_from_logit", "function")),
    _chapter(3,
             ("3.1", "medium", "check_collapsed_jsd", "collapsed_jsd", "function"),
             ("3.2", "medium", "check_jsd_on_grid", "jsd_on_grid", "function"),
             ("3.3", "medium", "check_value_uniform", "v_uniform", "number"),
             ("3.4", "hard", "check_ns_gradient", "ns_gradient", "function")),
    _chapter(4,
             ("4.1", "easy", "check_gradient_ratio", "ratio", "number"),
             ("4.2", "medium", "check_logit_gradients", "logit_gradients", "function"),
             ("4.3", "hard", "check_gradient_penalty", "my_gradient_penalty", "function")),
    _chapter(5,
             ("5.1", "easy", "check_extragradient_step", "eta_best", "number"),
             ("5.2", "medium", "check_alternating_eigenvalues", "alternating_eigenvalues", "function"),
             ("5.3", "medium", "check_r1_rate", "r1_rate", "function"),
             ("5.4", "hard", "check_alternating_band", "alternating_band", "function")),
    _chapter(6,
             ("6.1", "medium", "check_high_quality_and_captured", "high_quality_and_captured", "function"),
             ("6.2", "medium", "check_three_sigma_ceiling", "hq_ceiling", "function"),
             ("6.3", "easy", "check_histogram_kl", "histogram_kl", "function"),
             ("6.4", "medium", "check_grid_best_response", "best_response_on_grid", "function"),
             ("6.5", "hard", "check_expected_modes", "expected_modes", "function")),
    _chapter(7,
             ("7.1", "easy", "check_w1_uniforms", "w1_uniforms", "number"),
             ("7.2", "medium", "check_sorted_w1", "sorted_w1", "function"),
             ("7.3", "medium", "check_spectral_bound", "spectral_bound", "function"),
             ("7.4", "hard", "check_clipped_lipschitz", "max_clipped_lipschitz", "function")),
    _chapter(8,
             ("8.1", "easy", "check_transposed_size", "h_out", "number"),
             ("8.2", "medium", "check_overlap_counts", "overlap_counts", "function"),
             ("8.3", "medium", "check_generator_parameters", "n_params", "number"),
             ("8.4", "hard", "check_bn_coupling", "changed", "prediction")),
    _chapter(9,
             ("9.1", "easy", "check_linear_penalty", "linear_penalty", "number"),
             ("9.2", "medium", "check_interpolate_penalty", "gradient_penalty", "function"),
             ("9.3", "easy", "check_real_images_per_step", "real_per_step", "number"),
             ("9.4", "hard", "check_bn_penalty", "bn_penalty", "number")),
    _chapter(10,
             ("10.1", "easy", "check_fd_1d", "fd_1d_answer", "number"),
             ("10.2", "medium", "check_frechet_distance", "my_frechet_distance", "function"),
             ("10.3", "medium", "check_is_k_classes", "is_four_classes", "number"),
             ("10.4", "medium", "check_is_half_unsure", "is_mixture", "function"),
             ("10.5", "hard", "check_fd_bias_spread", "fd_bias", "function")),
    _chapter(11,
             ("11.1", "easy", "check_label_mismatch_value", "v_mismatch", "number"),
             ("11.2", "medium", "check_posterior_weights", "posterior_weights", "function"),
             ("11.3", "medium", "check_z_share", "my_z_share", "function"),
             ("11.4", "medium", "check_acgan_losses", "acgan_losses", "function"),
             ("11.5", "hard", "check_ignored_limit", "v_ignored_limit", "function")),
    _chapter(12,
             ("12.1", "easy", "check_smoothed_d_star", "smoothed_d_star", "function"),
             ("12.2", "medium", "check_ema_lag", "ema_lag", "function"),
             ("12.3", "medium", "check_noisy_jsd", "noisy_jsd", "function"),
             ("12.4", "hard", "check_best_noise", "best_noise", "function")),
    _chapter(13,
             ("13.1", "easy", "check_shuffle_class_kept", "shuffle_kept", "number"),
             ("13.2", "medium", "check_cycle_gradient", "cycle_gradient", "function"),
             ("13.3", "medium", "check_identity_loss", "my_identity_loss", "function"),
             ("13.4", "hard", "check_identity_gain", "identity_gain", "function")),
    _chapter(14,
             ("14.1", "easy", "check_elbo_gap", "elbo_gap", "function"),
             ("14.2", "medium", "check_ddim_step_v", "ddim_step_v", "function"),
             ("14.3", "medium", "check_one_step_std", "one_step_std", "function"),
             ("14.4", "hard", "check_loss_floor", "loss_floor", "function")),
)}


def exercises() -> list[Exercise]:
    """Every exercise of the book, in order."""
    return [e for c in CHAPTERS.values() for e in c.exercises]


def check_module(check: str) -> str:
    """The module that defines the check ``check`` (e.g. ``gantools.exercises.dynamics``)."""
    import gantools.exercises as ex

    fn = getattr(ex, check, None)
    if fn is None:
        raise ValueError(f"gantools.exercises has no check named {check}")
    return fn.__module__
