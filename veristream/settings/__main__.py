"""`python -m veristream.settings --markdown`: the settings reference (docs/settings.md)."""

import argparse
import sys

from .reference import markdown

parser = argparse.ArgumentParser(prog="python -m veristream.settings",
                                 description="Print the settings reference, made from the settings themselves.")
parser.add_argument("--markdown", action="store_true", help="as Markdown: docs/settings.md (the default)")
parser.parse_args()
sys.stdout.write(markdown())
