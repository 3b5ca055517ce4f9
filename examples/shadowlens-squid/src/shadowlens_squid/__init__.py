"""shadowlens-squid: Squid native access.log support for shadowlens (an example plugin)."""

__version__ = "0.1.0"
