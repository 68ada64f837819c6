"""``python -m normkit``: the same as the ``normkit`` command."""

from normkit_cli.main import main

if __name__ == "__main__":
    main()
