"""``python -m roboadvisor``: the same as the ``roboadvisor`` console script."""

from roboadvisor.cli.app import main

if __name__ == "__main__":
    main()
