"""Checks for the book's exercises. Each check prints a friendly pass/fail message with a
hint and returns a :class:`Result` that is truthy when the answer is right, so a
solution cell can ``assert check_...(answer)``."""

from .adversarial_game import *  # noqa: F401,F403
from .common import Result  # noqa: F401
from .conditional import *  # noqa: F401,F403
from .dcgan import *  # noqa: F401,F403
from .dynamics import *  # noqa: F401,F403
from .evaluation import *  # noqa: F401,F403
from .families import *  # noqa: F401,F403
from .jsd import *  # noqa: F401,F403
from .mode_collapse import *  # noqa: F401,F403
from .optimal_discriminator import *  # noqa: F401,F403
from .saturation import *  # noqa: F401,F403
from .translation import *  # noqa: F401,F403
from .tricks import *  # noqa: F401,F403
from .wasserstein import *  # noqa: F401,F403
from .wgan_gp import *  # noqa: F401,F403
