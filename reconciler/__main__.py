"""``python -m reconciler`` is ``cogctl``."""

from reconciler import cli

if __name__ == "__main__":
    cli.main()
