#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Extracts the runnable examples of a document, in order, for tests/integration/test_run_docs.sh.

Usage: doc_examples.py DOC OUTDIR

Markdown: every ```sh block is an example. roff (a man page): every line "$ COMMAND" of an
.nf/.fi block (continued while a line ends with a backslash); a "# COMMAND" line (a root prompt)
must be in a block marked skip. The comment right before a block may mark it:
  <!-- doc-test: skip REASON -->        .\\" doc-test: skip REASON
  <!-- doc-test: in-run ARGS -->        .\\" doc-test: in-run ARGS
skip: not run, and why (the test lists it); in-run: run inside `vtoken run ARGS -- bash`.

Writes OUTDIR/NNN.sh (a block, its commands as written) and prints one line per block:
"NNN LINE run|in-run ARGS|skip REASON", LINE the block's first line in DOC.
"""
import os
import re
import sys

doc, outdir = sys.argv[1], sys.argv[2]
lines = open(doc, encoding="utf-8").read().split("\n")
roff = not doc.endswith(".md")
MARK = re.compile(r'^\s*(?:<!--|\.\\")\s*doc-test:\s*(skip|in-run)\s*(.*?)\s*(?:-->)?\s*$')


def unroff(s):
    for a, b in (("\\-", "-"), ("\\(aq", "'"), ("\\(dq", '"'), ("\\e", "\\"), ("\\&", ""),
                 ("\\\\", "\\")):
        s = s.replace(a, b)
    return s


def marker(i):
    """The doc-test mark on the line before line i (0-based), skipping blank lines."""
    j = i - 1
    while j >= 0 and (not lines[j].strip() or lines[j].strip() in (".RS", ".PP", ".IP")):
        j -= 1
    m = MARK.match(lines[j]) if j >= 0 else None
    return (m.group(1), m.group(2)) if m else ("run", "")


blocks = []
i = 0
while i < len(lines):
    line = lines[i]
    if not roff and line.strip() == "```sh":
        start, body = i + 1, []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        blocks.append((start + 1, marker(start - 1), body))
    elif roff and line.startswith(".nf"):
        start, body, root, cont = i + 1, [], False, False
        i += 1
        while i < len(lines) and not lines[i].startswith(".fi"):
            text = unroff(lines[i])
            if cont or text.startswith("$ "):
                body.append(text if cont else text[2:])
                cont = text.endswith("\\")
            elif text.startswith("# "):
                root = True
            i += 1
        kind = marker(start - 1)
        if root and kind[0] != "skip":
            sys.exit("%s:%d: a root prompt (#) in an example not marked skip" % (doc, start))
        if body or root:
            blocks.append((start + 1, kind, body))
    i += 1

os.makedirs(outdir, exist_ok=True)
for n, (start, (kind, arg), body) in enumerate(blocks):
    path = os.path.join(outdir, "%03d.sh" % n)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(body) + "\n")
    print("%03d %d %s %s" % (n, start, kind, arg))
