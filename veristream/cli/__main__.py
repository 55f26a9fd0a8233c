"""`python -m veristream.cli`: the `veristream` command."""

from . import main

main()
