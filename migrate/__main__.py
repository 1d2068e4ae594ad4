"""Allow `python -m migrate`."""

from migrate.entry import main

if __name__ == "__main__":
    main()
