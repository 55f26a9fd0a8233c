"""`python -m veristream.vectors.child`: a writing engine's embedding process (`process.py`)."""

from .process import main

if __name__ == "__main__":
    main()
