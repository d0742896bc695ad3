"""monstrum-tui: the terminal dashboard, Python SDK and local platform for Monstrum."""

__version__ = "0.1.0"
