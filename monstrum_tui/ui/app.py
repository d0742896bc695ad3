"""Placeholder until the dashboard lands."""


def main() -> None:
    raise SystemExit("the dashboard is being built")
