"""Entry point for frozen builds (PyInstaller): the same as the `gpuwise` console script."""

import sys

from gpuwise.cli import main

if __name__ == "__main__":
    sys.exit(main())
