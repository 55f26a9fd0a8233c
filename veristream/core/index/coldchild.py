"""`python -m veristream.core.index.coldchild`: the cold index's process (see `coldproc`)."""

from .coldproc import main

if __name__ == "__main__":
    main()
