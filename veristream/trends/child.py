"""`python -m veristream.trends.child`: a writing engine's trend detection process (`process.py`)."""

from .process import main

if __name__ == "__main__":
    main()
