#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""clang-tidy over the given sources, as compiled (BUILD/compile_commands.json), in parallel,
remembering the files it found clean.

A file is clean for a key made of everything clang-tidy's verdict depends on: clang-tidy's
version, .clang-tidy, the file's compile commands (the tree's own path left out, so a clone
elsewhere hits too) and the translation unit as the preprocessor gives it, comments kept (a
NOLINT is a comment). A changed header changes every unit that includes it; only clean
verdicts are kept, so a finding is reported again on every run until it is fixed.

Usage: lint_tidy.py BUILD CACHE_DIR FILE...   (exit 1 when clang-tidy finds something)
"""
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys

NOISE = re.compile(r"^[0-9]+ warnings? (and [0-9]+ errors? )?generated|^Suppressed|"
                   r"^Use -header-filter|^\[[0-9]+/[0-9]+\] Processing file|^$")


def preprocessed(entry):
    """The unit as the compiler's preprocessor sees it, comments kept, no line markers."""
    args = entry.get("arguments") or shlex.split(entry["command"])
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "-o":
            skip = True
            continue
        if a == "-c":
            continue
        out.append(a)
    out[1:1] = ["-E", "-C", "-P"]
    r = subprocess.run(out, cwd=entry["directory"], capture_output=True)
    if r.returncode != 0:
        return None  # clang-tidy will say why
    return r.stdout


def key_of(entries, base, src):
    h = hashlib.sha256(base)
    for e in entries:
        cmd = e.get("command") or " ".join(e.get("arguments", []))
        h.update(cmd.replace(src, "SRC").encode())
        unit = preprocessed(e)
        if unit is None:
            return None
        h.update(unit.replace(src.encode(), b"SRC"))
    return h.hexdigest()


def tidy(build, path):
    r = subprocess.run(["clang-tidy", "-p", build, "--quiet",
                        "--extra-arg=-Wno-unknown-warning-option", path],
                       capture_output=True, text=True)
    text = "\n".join(line for line in (r.stdout + r.stderr).splitlines()
                     if not NOISE.search(line))
    return r.returncode == 0 and not re.search(r"warning:|error:", text), text


def main():
    build, cache, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    src = os.getcwd()
    with open(os.path.join(build, "compile_commands.json")) as f:
        db = json.load(f)
    by_file = {}
    for e in db:
        by_file.setdefault(os.path.realpath(os.path.join(e["directory"], e["file"])), []).append(e)
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True).stdout
    with open(".clang-tidy", "rb") as f:
        base = version + f.read()
    os.makedirs(cache, exist_ok=True)
    jobs = os.cpu_count() or 2

    def judge(path):
        entries = by_file.get(os.path.realpath(path), [])
        key = key_of(entries, base, src) if entries else None
        if key and os.path.exists(os.path.join(cache, key)):
            return path, True, "", True
        ok, text = tidy(build, path)
        if ok and key:
            with open(os.path.join(cache, key), "w") as f:
                f.write(path + "\n")
        return path, ok, text, False

    failed, hits = 0, 0
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for path, ok, text, hit in pool.map(judge, files):
            hits += hit
            if not ok:
                failed += 1
                print(text or f"{path}: clang-tidy failed")
    print(f"# clang-tidy: {len(files)} files, {hits} clean in the cache ({cache}), "
          f"{len(files) - hits} checked now")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
