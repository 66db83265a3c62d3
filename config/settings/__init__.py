"""Settings entry point: the base module reads everything from the environment."""
from .base import *  # noqa: F401,F403
