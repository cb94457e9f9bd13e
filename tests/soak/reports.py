#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# reports.py: reads what the memory checkers wrote during one soak run
# (tests/soak/run) and sorts every report by whose code it involves:
#
#   ours      a frame in one of our plugins: homelab_*.so, or a source file
#             plugins/homelab_*.c, plugins/hl_*.c or shared/hl_*.c (the
#             shared library is linked into each plugin)
#   canary    soak_canary_leak in soak_probe.so, the block leaked on
#             purpose to prove that the leak check ran (exactly one report
#             expected)
#   harness   the rest of soak_probe.so, or nvme_shim.so (the simulated
#             NVMe controller preloaded by tests/integration/suite_sim.sh)
#   unattributed
#             a leak whose allocation stack ends inside a library (libcurl,
#             libcrypto, ...) without reaching our code, collectd or a
#             thread start: ASan's fast unwinder stops at frames without a
#             frame pointer, so the caller may have been ours. Fails.
#   external  none of these: wholly inside collectd, the C library,
#             libcurl, libxml2, ... (listed, not counted as failures)
#
# One report that has frames of several kinds counts as the first kind in
# that list, so a leak allocated inside libcurl on behalf of our plugin is
# ours. It prints one line per check, "ok <what>" or "bad <what>" TAB
# "<reason>" (run turns them into PASS/FAIL), and everything else as
# information: the full stack of every report that involves our code or the
# harness, one summary line per external report, and the suppressions that
# were used with their counts.
#
# Usage:
#   reports.py asan LABEL FILE...      ASan/LSan/UBSan logs (log_path files)
#   reports.py valgrind LABEL FILE...  valgrind --xml=yes files
# LABEL prefixes every check ("asan", "valgrind").

import os
import re
import sys
import xml.etree.ElementTree as ET

CANARY_BYTES = 4711
OURS = re.compile(
    r"homelab_\w+\.so\b|(?:^|/)(?:plugins/(?:homelab|hl)_\w+|shared/hl_\w+)\.[ch]\b"
)
CANARY = re.compile(r"\bsoak_canary_leak\b")
HARNESS = re.compile(r"nvme_shim|soak_probe")
# a stack that got this far was unwound past any caller that matters
COMPLETE = re.compile(
    r"/sbin/collectd\b|\bcollectd\+0x|/usr/lib/collectd/|\bstart_thread\b|"
    r"\bclone3?\b|__libc_start"
)
KINDS = ("ours", "canary", "harness", "unattributed", "external")
# frames that only say "an allocation happened"
ALLOC_FRAME = re.compile(
    r"__interceptor_|__asan_|__lsan_|\b(?:malloc|calloc|realloc|free|strdup|"
    r"strndup|posix_memalign|memalign|aligned_alloc|operator new)\b|"
    r"vg_replace_malloc|asan_malloc_linux|libsanitizer"
)


class Report:
    def __init__(self, kind, title, frames, leak_bytes=0):
        self.kind = kind  # "leak" or an error name
        self.title = title
        self.frames = frames  # printable frame strings
        self.leak_bytes = leak_bytes
        text = "\n".join(frames)
        self.owner = "external"
        for owner, rx in (("ours", OURS), ("canary", CANARY), ("harness", HARNESS)):
            if rx.search(text):
                self.owner = owner
                break
        else:
            if kind == "leak" and not COMPLETE.search(text):
                self.owner = "unattributed"

    def short(self):
        """The first few frames after the allocator, for one-line listings."""
        keep = [f for f in self.frames if not ALLOC_FRAME.search(f)]
        return " < ".join(_frame_brief(f) for f in keep[:4]) or "(no frames)"


def _frame_brief(frame):
    # ASan: "#3 0x7f.. in func /path/file.c:12" or "#3 0x7f.. (/lib/x.so+0x12)"
    m = re.search(r"\bin (\S+)(?: (\S+))?", frame)
    if m:
        where = m.group(2) or ""
        where = os.path.basename(where.strip("()").split("+0x")[0])
        return m.group(1) + (f" ({where})" if where else "")
    m = re.search(r"\(([^()+]+)\+0x", frame)
    if m:
        return os.path.basename(m.group(1))
    return frame.strip()


# --- ASan / LSan / UBSan text logs --------------------------------------------

FRAME_LINE = re.compile(r"^\s+#\d+ ")
LEAK_HEAD = re.compile(
    r"^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object\(s\) allocated from:"
)
ASAN_ERROR = re.compile(r"^==\d+==ERROR: AddressSanitizer: (\S+)")
UBSAN_ERROR = re.compile(r"^(\S+:\d+:\d+): runtime error: (.*)")
LSAN_FATAL = re.compile(r"LeakSanitizer has encountered a fatal error|"
                        r"LeakSanitizer does not work under ptrace")
SUPP_LINE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\S+)\s*$")


def parse_sanitizer(path, reports, fatals, suppressed):
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    i = 0
    in_supp = False
    while i < len(lines):
        line = lines[i]
        if LSAN_FATAL.search(line):
            fatals.append(f"{os.path.basename(path)}: {line.strip()}")
        if line.startswith("Suppressions used:"):
            in_supp = True
            i += 1
            continue
        if in_supp:
            m = SUPP_LINE.match(line)
            if m:
                suppressed.append((m.group(3), int(m.group(1)), int(m.group(2))))
                i += 1
                continue
            if line.strip() and not line.strip().startswith("count"):
                in_supp = False
        m = LEAK_HEAD.match(line)
        if m:
            frames = []
            i += 1
            while i < len(lines) and FRAME_LINE.match(lines[i]):
                frames.append(lines[i].strip())
                i += 1
            title = (f"{m.group(1)} leak of {m.group(2)} byte(s) in "
                     f"{m.group(3)} object(s)")
            reports.append(Report("leak", title, frames, int(m.group(2))))
            continue
        m = ASAN_ERROR.match(line)
        if m:
            # everything up to the SUMMARY line belongs to this report
            body = [line.strip()]
            i += 1
            while i < len(lines) and not lines[i].startswith("SUMMARY: AddressSanitizer"):
                if lines[i].strip():
                    body.append(lines[i].rstrip())
                i += 1
            reports.append(Report(m.group(1), line.strip(), body))
            continue
        m = UBSAN_ERROR.match(line)
        if m:
            frames = [line.strip()]
            i += 1
            while i < len(lines) and FRAME_LINE.match(lines[i]):
                frames.append(lines[i].strip())
                i += 1
            reports.append(Report("ubsan", f"{m.group(1)}: runtime error: {m.group(2)}",
                                  frames))
            continue
        i += 1


# --- valgrind XML --------------------------------------------------------------


def _vg_frame(fr):
    get = lambda tag: (fr.findtext(tag) or "").strip()
    where = get("file")
    if where:
        d = get("dir")
        where = f"{d}/{where}" if d else where
        where += f":{get('line')}" if get("line") else ""
    obj = get("obj")
    fn = get("fn") or "???"
    return f"{get('ip')} in {fn} {where or ''} ({obj})".replace("  ", " ")


def parse_valgrind(path, reports, fatals, suppressed):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fatals.append(f"{os.path.basename(path)}: incomplete valgrind XML ({e})")
        return
    for err in root.iter("error"):
        kind = (err.findtext("kind") or "?").strip()
        what = err.findtext("what") or err.findtext("xwhat/text") or kind
        frames = []
        for stack in err.findall("stack"):
            frames.extend(_vg_frame(fr) for fr in stack.findall("frame"))
            frames.append("")
        leak_bytes = int(err.findtext("xwhat/leakedbytes") or 0)
        rkind = "leak" if kind.startswith("Leak_") else kind
        reports.append(Report(rkind, f"{kind}: {what.strip()}", frames[:-1], leak_bytes))
    for pair in root.iter("pair"):
        suppressed.append((pair.findtext("name") or "?",
                           int(pair.findtext("count") or 0), 0))


# --- main ----------------------------------------------------------------------


def main(argv):
    if len(argv) < 3 or argv[0] not in ("asan", "valgrind"):
        print("usage: reports.py asan|valgrind LABEL FILE...", file=sys.stderr)
        return 2
    tool, label, files = argv[0], argv[1], argv[2:]
    reports, fatals, suppressed = [], [], []
    for path in files:
        if not os.path.isfile(path):
            continue
        if tool == "asan":
            parse_sanitizer(path, reports, fatals, suppressed)
        else:
            parse_valgrind(path, reports, fatals, suppressed)

    by = {k: [r for r in reports if r.owner == k] for k in KINDS}
    for r in by["ours"] + by["harness"] + by["unattributed"]:
        print(f"--- {r.owner}: {r.title}")
        for f in r.frames:
            print(f"    {f}")
    for r in by["external"]:
        print(f"external: {r.title}: {r.short()}")
    for name, count, nbytes in suppressed:
        extra = f", {nbytes} bytes" if nbytes else ""
        print(f"suppressed ({count}x{extra}): {name}")
    print(f"{len(reports)} reports: " +
          ", ".join(f"{len(by[k])} {k}" for k in KINDS))

    for line in fatals:
        print(f"bad {label}: the checker ran to the end\t{line}")
    ours = by["ours"]
    if ours:
        leaks = sum(1 for r in ours if r.kind == "leak")
        print(f"bad {label}: no report involves our code\t{leaks} leak(s) "
              f"({sum(r.leak_bytes for r in ours)} bytes), "
              f"{len(ours) - leaks} error(s); stacks above")
    else:
        print(f"ok {label}: no report involves our code "
              f"(0 of {len(reports)} reports in plugins/ or shared/)")
    if by["harness"]:
        print(f"bad {label}: no report involves the test harness\t"
              f"{len(by['harness'])} in nvme_shim.so or soak_probe.so")
    if by["unattributed"]:
        print(f"bad {label}: every leak stack reaches our code, collectd or a "
              f"thread start\t{len(by['unattributed'])} end inside a library "
              f"(rerun with HL_SOAK_ASAN_OPTIONS=fast_unwind_on_malloc=0)")
    canary = by["canary"]
    if len(canary) == 1 and canary[0].kind == "leak" and canary[0].leak_bytes == CANARY_BYTES:
        print(f"ok {label}: the leak check ran at exit (canary: one "
              f"{CANARY_BYTES}-byte leak in soak_canary_leak found)")
    else:
        got = "; ".join(r.title for r in canary) or "nothing"
        print(f"bad {label}: the leak check ran at exit\texpected one "
              f"{CANARY_BYTES}-byte canary leak, found {got}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
