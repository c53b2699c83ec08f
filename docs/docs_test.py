#!/usr/bin/env python3
"""Keeps docs/ true to the binary: `docs_test.py SLIPWAY DOCS_DIR`.

1. Every verb `slipway --help` lists (but the internal `__…` ones) has docs/VERB.md, and every flag
   `slipway VERB --help` prints (`--long` and `-s`) appears in it. After changing a verb's flags,
   run `docs/update_help.py bazel-bin/tools/slipway` and describe the new flag in the page.
2. Every `slipway VERB …` command line in docs/ci.md's code blocks names an existing verb and uses
   only flags its --help lists; in the verb pages' code blocks, the same for `--long` flags (short
   ones there may belong to the container's command, as in `slipway run app sh -c …`).
"""

import os
import re
import subprocess
import sys

FLAG = re.compile(r"(?<![\w./$-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")


def helps(slipway):
    top = subprocess.run([slipway, "--help"], capture_output=True, text=True, check=True).stdout
    verbs = [m.group(1) for m in re.finditer(r"^  ([a-z][\w-]*)\s", top.split("Commands:", 1)[1], re.M)]
    out = {}
    for verb in verbs:
        r = subprocess.run([slipway, verb, "--help"], capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("slipway %s --help exited %d" % (verb, r.returncode))
        out[verb] = r.stdout
    return out


def help_flags(text):
    flags = set(FLAG.findall(text))
    flags.discard("-h")
    return flags | {"--help"}


def code_blocks(page):
    page = re.sub(r"<!-- help:begin -->.*?<!-- help:end -->", "", page, flags=re.S)
    return re.findall(r"^```[a-z]*\n(.*?)^```", page, re.S | re.M)


def command_lines(block):
    """Each `slipway VERB ARGS` in a block, continuation lines joined, cut at ; | && $( )."""
    text = re.sub(r"\\\n\s*", " ", block)
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line)  # comments (shell, YAML)
        for m in re.finditer(r"(?:^|[\s(;|&\"'`])slipway\s+([a-z_][\w-]*)([^;|&)]*)", line):
            yield m.group(1), m.group(2), line.strip()


def main():
    slipway, docs = sys.argv[1], sys.argv[2]
    problems = []
    h = helps(slipway)
    checked = 0
    for verb, text in sorted(h.items()):
        path = os.path.join(docs, verb + ".md")
        if not os.path.exists(path):
            problems.append("%s: missing (slipway %s exists); run docs/update_help.py" % (path, verb))
            continue
        page = open(path).read()
        for flag in sorted(help_flags(text)):
            checked += 1
            if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(flag), page):
                problems.append("docs/%s.md: `slipway %s --help` prints %s, the page does not "
                                "mention it (docs/update_help.py refreshes the help block)" % (verb, verb, flag))
    used = 0
    for name in sorted(os.listdir(docs)):
        if not name.endswith(".md"):
            continue
        strict = name == "ci.md"
        for block in code_blocks(open(os.path.join(docs, name)).read()):
            for verb, args, line in command_lines(block):
                if verb not in h:
                    problems.append("docs/%s: `%s`: no verb `%s`" % (name, line, verb))
                    continue
                known = help_flags(h[verb])
                # Flags end at the first word after which only the image's command follows (run).
                for flag in FLAG.findall(args):
                    if not strict and not flag.startswith("--"):
                        continue
                    used += 1
                    if flag not in known:
                        problems.append("docs/%s: `%s`: slipway %s has no %s" % (name, line, verb, flag))
    if used < 20:
        problems.append("only %d flags found in the docs' command lines: is the parser broken?" % used)
    for p in problems:
        print("FAIL", p)
    print("%d verbs, %d help flags checked in their pages, %d flags of example command lines checked"
          % (len(h), checked, used))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
