"""The dashboard's screens, one module each; they are registered in ``ui/navigation.py``."""
