#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Helpers for scripts/static-analysis.

  static.py compdb SRCDIR RAW OUTDIR
      RAW is the compile_commands.json that bear recorded over a full build.
      Keeps the files of SRCDIR's shared/ plugins/ cli/ tests/, one entry per
      file (hl_plugin.c is built once per plugin with near-identical flags),
      and writes OUTDIR/compile_commands.json (clang-tidy), OUTDIR/files
      (one path a line) and OUTDIR/cppcheck.json, the same entries fixed up
      for cppcheck 2.10: string-valued -D options quoted so that cppcheck's
      command splitter keeps the quotes (it turns -DX="1.0" into X=1.0
      otherwise), autoconf's PACKAGE_* defines dropped (our code must not
      use them, see STYLE.md; PACKAGE_STRING's space breaks the splitter),
      and -I OUTDIR/inc added, where inc/collectd links to
      /usr/include/collectd, so that cppcheck, which does not search
      /usr/include, finds "collectd/core/daemon/plugin.h" without parsing
      all of glibc.

  static.py filter SRCDIR SUPP TOOL [FINDINGS...]
      Reads clang-tidy or cppcheck output lines "path:line:col: severity:
      message [check]", makes paths relative to SRCDIR, drops duplicates
      (a header's finding is reported once per file including it) and the
      findings a suppression of SUPP matches ("-": none), prints the rest and
      warns about suppressions that matched nothing. Exit status: 0.
      cppcheck prints nothing but findings (--quiet, one-line template), so
      any other line of its output (an internal error that bails out of a
      file) counts as a finding too.
      SUPP lines: "check path message-regex", '#' starts a comment; the
      check and path are fnmatch patterns, the regex is searched in the
      message (so entries survive line moves).
"""
import fnmatch
import json
import os
import re
import sys

DIRS = ("shared/", "plugins/", "cli/", "tests/")
DROP_DEFINES = ("-DPACKAGE", "-DVERSION=", "-DLT_OBJDIR=")
# cppcheck does not read <endian.h>; collectd.h stops with #error without it.
CPPCHECK_EXTRA = [
    "-D__BYTE_ORDER=1234",
    "-D__LITTLE_ENDIAN=1234",
    "-D__BIG_ENDIAN=4321",
]
FINDING = re.compile(
    r"^(?P<path>[^:\s][^:]*):(?P<line>\d+):(?P<col>\d+): "
    r"(?P<sev>warning|error|style|performance|portability|information): "
    r"(?P<msg>.*?) \[(?P<check>[A-Za-z0-9_.,-]+)\]$"
)


def compdb(srcdir, raw, outdir):
    srcdir = os.path.realpath(srcdir)
    with open(raw, encoding="utf-8") as f:
        entries = json.load(f)
    seen = {}
    for e in entries:
        path = e["file"]
        if not os.path.isabs(path):
            path = os.path.join(e["directory"], path)
        path = os.path.realpath(path)
        rel = os.path.relpath(path, srcdir)
        if not rel.startswith(DIRS) or path in seen:
            continue
        args = e.get("arguments")
        if args is None:
            sys.exit("static.py: %s: entry without 'arguments'" % raw)
        seen[path] = {"directory": e["directory"], "file": path,
                      "arguments": list(args)}
    if not seen:
        sys.exit("static.py: %s: no source files of %s" % (raw, srcdir))
    os.makedirs(os.path.join(outdir, "inc"), exist_ok=True)
    link = os.path.join(outdir, "inc", "collectd")
    if not os.path.islink(link):
        os.symlink("/usr/include/collectd", link)
    tidy = list(seen.values())
    cpp = []
    for e in tidy:
        args = [a.replace('"', '\\"') for a in e["arguments"]
                if not a.startswith(DROP_DEFINES)]
        # after the compiler name, before the user's flags
        args[1:1] = ["-I" + os.path.join(outdir, "inc")] + CPPCHECK_EXTRA
        cpp.append(dict(e, arguments=args))
    with open(os.path.join(outdir, "compile_commands.json"), "w",
              encoding="utf-8") as f:
        json.dump(tidy, f, indent=1)
    with open(os.path.join(outdir, "cppcheck.json"), "w",
              encoding="utf-8") as f:
        json.dump(cpp, f, indent=1)
    with open(os.path.join(outdir, "files"), "w", encoding="utf-8") as f:
        f.writelines(e["file"] + "\n" for e in tidy)


def read_supp(path):
    supp = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) != 3:
                sys.exit("static.py: %s:%d: want 'check path regex'" % (path, n))
            supp.append({"where": "%s:%d" % (path, n), "check": parts[0],
                         "path": parts[1], "re": re.compile(parts[2]),
                         "used": 0})
    return supp


def filter_findings(srcdir, supp_path, tool, files):
    srcdir = os.path.realpath(srcdir)
    supp = read_supp(supp_path) if supp_path != "-" else []
    out = set()
    for name in files:
        with open(name, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = FINDING.match(line.rstrip("\n"))
                if m is None:
                    if tool == "cppcheck" and line.strip():
                        out.add(("(cppcheck)", 0, 0, "cppcheck: unexpected "
                                 "output: " + line.strip()))
                    continue
                path = os.path.realpath(m["path"])
                rel = os.path.relpath(path, srcdir)
                if rel.startswith("../"):
                    rel = path
                hit = None
                for s in supp:
                    if (fnmatch.fnmatchcase(m["check"], s["check"]) and
                            fnmatch.fnmatchcase(rel, s["path"]) and
                            s["re"].search(m["msg"])):
                        hit = s
                        break
                if hit is not None:
                    hit["used"] += 1
                    continue
                out.add((rel, int(m["line"]), int(m["col"]),
                         "%s: %s: %s [%s]" % (tool, m["sev"], m["msg"],
                                              m["check"])))
    for rel, line, col, text in sorted(out):
        print("%s:%d:%d: %s" % (rel, line, col, text))
    for s in supp:
        if s["used"] == 0:
            print("static.py: %s: %s suppression matched nothing; remove it?"
                  % (s["where"], tool), file=sys.stderr)


def main(argv):
    if len(argv) == 5 and argv[1] == "compdb":
        compdb(argv[2], argv[3], argv[4])
    elif len(argv) >= 5 and argv[1] == "filter":
        filter_findings(argv[2], argv[3], argv[4], argv[5:])
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
