"""``python -m shadowlens``."""

from shadowlens.cli import main

main()
