#!/usr/bin/env python3
"""Refreshes the `slipway VERB --help` block of every docs/VERB.md from the binary:

    bazel build //tools:slipway && docs/update_help.py bazel-bin/tools/slipway

The block sits between `<!-- help:begin -->` and `<!-- help:end -->`; the rest of each page is
written by hand. A page that does not exist yet is created with a skeleton to fill in.
docs/docs_test.sh checks that every flag --help prints appears in the page."""

import os
import re
import subprocess
import sys

DOCS = os.path.dirname(os.path.abspath(__file__))
BEGIN, END = "<!-- help:begin -->", "<!-- help:end -->"


def verbs(slipway):
    out = subprocess.run([slipway, "--help"], capture_output=True, text=True).stdout
    section = out.split("Commands:", 1)[1]
    found = []
    for line in section.splitlines():
        m = re.match(r"^  (\S+)\s+(.*)$", line)
        if m and not m.group(1).startswith("__"):
            found.append((m.group(1), m.group(2)))
    return found


def main():
    slipway = sys.argv[1]
    for verb, summary in verbs(slipway):
        text = subprocess.run([slipway, verb, "--help"], capture_output=True, text=True).stdout
        block = "%s\n```\n$ slipway %s --help\n%s```\n%s" % (BEGIN, verb, text, END)
        path = os.path.join(DOCS, verb + ".md")
        if os.path.exists(path):
            page = open(path).read()
            page = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, page, flags=re.S)
        else:
            page = "# slipway %s\n\n%s.\n\n%s\n\n## Examples\n\n## Exit status\n" % (verb, summary, block)
        with open(path, "w") as f:
            f.write(page)


if __name__ == "__main__":
    main()
