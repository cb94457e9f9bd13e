#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# ports_check.py: the JSON checks of test_ports.sh. Each subcommand prints
# one line per check, "ok <what>" or "bad <what>: <reason>", for the test to
# turn into PASS/FAIL (lib.sh check_lines), and exits 1 if any check failed.
# LST files are the JSON that listeners.py writes ({"pid", "children",
# "comm", "sockets": [{"proto", "addr", "port", "connected"}]}).
#
#   meta REPORT
#       the top level of the report: schema_version 1.N.M with N >= 2
#       (1.1.0 plus additive fields), script_version, host, generated_at
#       (ISO-8601 UTC, within 10 minutes of now), ip_local_port_range as in
#       /proc/sys/net/ipv4/ip_local_port_range, the docker object, ports[]
#       sorted by proto, port.
#   ours REPORT LST...
#       every bound socket of the LST files is in REPORT's ports[] with its
#       proto, ip, port, status (LISTEN/UNCONN), host_socket true, the
#       lowest pid holding it, process = /proc/<pid>/comm, cmdline =
#       /proc/<pid>/cmdline joined by spaces, user = that pid's user; the
#       connected UDP sockets are not in it.
#   ss REPORT SS_BEFORE SS_AFTER
#       the report's sockets (host_socket true) equal the sockets in the
#       output of `ss -Htulnp` as a multiset of (proto, address, port, pid)
#       (ss: "*" is "::" not v6-only, "[...]" brackets and "%ifname"
#       suffixes are dropped, several holders -> lowest pid, no holder shown
#       -> null; a line that does not start with tcp/udp continues the
#       record before it, as ss prints a newline in a process name as it
#       is). When the two ss runs taken around the report differ (sockets
#       came or went meanwhile), only sockets in both must be in the report
#       and only sockets in either may be.
#   docker REPORT CONTAINERS MATCHED_PORT GHOST_PORT
#       docker.available true, containers_total / _with_published_ports as
#       the running containers of the CONTAINERS file (the fake engine's
#       list), the tcp socket on MATCHED_PORT carries the container
#       published there (name without "/", 12-character id, image,
#       "IP:PORT->PRIVATE/tcp" spec, container port) and no published-only
#       record repeats that port (its "::" entry), and GHOST_PORT is a
#       record with host_socket false, status PUBLISHED, pid null and its
#       container.
#   nodocker REPORT
#       docker.available false with a non-empty error text, and ports[] is
#       not empty.
#   values SINKFILE HOST REPORT up=PORT... down=PORT... fell=PORT...
#          rose=PORT... pid=PORT:PID... docker=0|1
#       the homelab_ports values that write_http posted (http_sink.py
#       file): listeners count-* present and, at the last read, equal to
#       the counts of REPORT (the report the plugin wrote at that read);
#       homelab_listening of tcp-PORT is 1 at every read (up=), 0 at every
#       read (down=), 1 first and 0 last (fell=) or 0 first and 1 last
#       (rose=), changing once; homelab_pid of tcp-PORT
#       is PID at the reads where it is posted; homelab_ports-docker/
#       homelab_available is 0 or 1 at every read (docker=).

import collections
import datetime
import ipaddress
import json
import os
import pwd
import re
import sys

OUT = []


def ok(what):
    OUT.append(f"ok {what}")


def bad(what, why):
    OUT.append(f"bad {what}: {why}")


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_report(path):
    try:
        rep = load_json(path)
    except (OSError, ValueError) as e:
        bad(f"report {os.path.basename(path)} is valid JSON", str(e))
        return None
    if not isinstance(rep, dict) or not isinstance(rep.get("ports"), list):
        bad(f"report {os.path.basename(path)} has ports[]", "no ports list")
        return None
    return rep


def proc_text(pid, name):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read()
    except OSError:
        return None


def cmdline_of(pid):
    raw = proc_text(pid, "cmdline")
    if raw is None:
        return None
    return raw.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "replace")


def comm_of(pid):
    raw = proc_text(pid, "comm")
    if raw is None:
        return None
    return raw.decode("utf-8", "replace").removesuffix("\n")


def user_of(pid):
    try:
        return pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name
    except (OSError, KeyError):
        return None


def cmd_meta(report):
    rep = load_report(report)
    if rep is None:
        return
    sv = str(rep.get("schema_version"))
    m = re.fullmatch(r"1\.(\d+)\.(\d+)", sv)
    if m and int(m.group(1)) >= 2:
        ok(f"schema_version {sv} is a minor bump of 1.1.0")
    else:
        bad("schema_version is 1.N.M with N >= 2", repr(sv))
    missing = [k for k in ("script_version", "host", "generated_at",
                           "ip_local_port_range", "docker", "ports")
               if k not in rep]
    if missing:
        bad("top-level fields of schema 1.1.0 present", f"missing {missing}")
    else:
        ok("top-level fields of schema 1.1.0 present")
    try:
        when = datetime.datetime.strptime(rep.get("generated_at", ""),
                                          "%Y-%m-%dT%H:%M:%SZ")
        now = datetime.datetime.now(datetime.timezone.utc)
        age = abs(now - when.replace(tzinfo=datetime.timezone.utc)).total_seconds()
        if age < 600:
            ok(f"generated_at {rep['generated_at']} is ISO-8601 UTC and current")
        else:
            bad("generated_at is current", f"{rep['generated_at']} is {age:.0f} s off")
    except ValueError:
        bad("generated_at is ISO-8601 UTC (YYYY-MM-DDTHH:MM:SSZ)",
            repr(rep.get("generated_at")))
    with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
        lo, hi = (int(x) for x in f.read().split())
    got = rep.get("ip_local_port_range") or {}
    if (got.get("low"), got.get("high")) == (lo, hi):
        ok(f"ip_local_port_range {lo}-{hi}")
    else:
        bad("ip_local_port_range as in /proc", f"{got}, expected {lo}-{hi}")
    order = [(r["proto"], r["port"]) for r in rep["ports"]]
    if order == sorted(order):
        ok("ports[] sorted by proto, port")
    else:
        bad("ports[] sorted by proto, port",
            next(f"{a} before {b}" for a, b in zip(order, order[1:]) if a > b))


def find(ports, proto, ip, port):
    want = ipaddress.ip_address(ip)
    return [r for r in ports
            if r.get("proto") == proto and r.get("port") == port
            and r.get("host_socket") is not False
            and ipaddress.ip_address(r.get("ip")) == want]


def cmd_ours(report, *lsts):
    rep = load_report(report)
    if rep is None:
        return
    for path in lsts:
        lst = load_json(path)
        pid = min([lst["pid"]] + lst["children"])
        expect = {
            "pid": pid,
            "process": comm_of(pid),
            "cmdline": cmdline_of(pid),
            "user": user_of(pid),
            "host_socket": True,
        }
        for s in lst["sockets"]:
            where = f"{s['proto']} {s['addr']} port {s['port']}"
            hits = find(rep["ports"], s["proto"], s["addr"], s["port"])
            if s["connected"]:
                if hits:
                    bad(f"connected udp socket {where} is not listed",
                        json.dumps(hits[0]))
                else:
                    ok(f"connected udp socket {where} is not listed")
                continue
            what = f"{where} (pid {pid}) listed with its owner"
            if len(hits) != 1:
                bad(what, f"{len(hits)} records")
                continue
            r = hits[0]
            want = dict(expect, ip=s["addr"],
                        status="LISTEN" if s["proto"] == "tcp" else "UNCONN")
            diff = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v}
            if diff:
                bad(what, "; ".join(f"{k}={g!r}, expected {w!r}"
                                    for k, (g, w) in diff.items()))
            else:
                ok(what)


def ss_parse(path):
    """Counter of (proto, ip_address, port, pid or None)."""
    socks = collections.Counter()
    records = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            # ss prints a process name as it is: a newline in it continues
            # the record on the next line
            if records and not re.match(r"(tcp|udp)\s", line):
                records[-1] += line
            else:
                records.append(line)
    for line in records:
        fields = line.split()
        if len(fields) < 6:
            continue
        proto, local, rest = fields[0], fields[4], " ".join(fields[6:])
        addr, _, port = local.rpartition(":")
        addr = addr.split("%", 1)[0]
        if addr == "*":
            addr = "::"
        addr = addr.removeprefix("[").removesuffix("]")
        pids = [int(p) for p in re.findall(r"\bpid=(\d+)", rest)]
        socks[(proto, ipaddress.ip_address(addr), int(port),
               min(pids) if pids else None)] += 1
    return socks


def fmt(keys):
    return ", ".join(f"{p} {f'[{a}]' if a.version == 6 else a}:{n} pid {pid}"
                     for p, a, n, pid in sorted(
        keys, key=lambda k: (k[0], k[2], str(k[1]), k[3] or 0))[:8])


def cmd_ss(report, before, after):
    rep = load_report(report)
    if rep is None:
        return
    cli = collections.Counter(
        (r["proto"], ipaddress.ip_address(r["ip"]), r["port"], r["pid"])
        for r in rep["ports"] if r.get("host_socket"))
    b, a = ss_parse(before), ss_parse(after)
    must, may = b & a, b | a
    missing = must - cli
    extra = cli - may
    what = (f"CLI sockets equal ss -Htulnp as (proto, address, port, pid) "
            f"({sum(cli.values())} sockets)")
    if b != a:
        what += " (sockets changed during the run: bounds check)"
    if missing or extra:
        bad(what, f"missing from CLI: [{fmt(missing)}]; not in ss: [{fmt(extra)}]")
    else:
        ok(what)


def cmd_docker(report, containers, matched, ghost):
    rep = load_report(report)
    if rep is None:
        return
    matched, ghost = int(matched), int(ghost)
    d = rep.get("docker") or {}
    if d.get("available") is True and d.get("error") is None:
        ok("docker.available true, error null")
    else:
        bad("docker.available true, error null",
            f"available={d.get('available')!r} error={d.get('error')!r}")
    running = [c for c in load_json(containers) if c.get("State", "running") == "running"]
    published = [c for c in running if any(p.get("PublicPort") for p in c.get("Ports", []))]
    got = (d.get("containers_total"), d.get("containers_with_published_ports"))
    if got == (len(running), len(published)):
        ok(f"docker counts: {got[0]} running containers, {got[1]} with published ports")
    else:
        bad("docker container counts",
            f"got {got}, expected {(len(running), len(published))}")

    def container_for(port):
        for c in running:
            for p in c.get("Ports", []):
                if p.get("PublicPort") == port:
                    return c, p
        return None, None

    for port, socket_expected in ((matched, True), (ghost, False)):
        c, p = container_for(port)
        recs = [r for r in rep["ports"] if r.get("proto") == "tcp" and r.get("port") == port]
        what = (f"tcp port {port} carries container {c['Names'][0][1:]}"
                + ("" if socket_expected else " as published-only"))
        if socket_expected:
            published_only = [r for r in recs if r.get("host_socket") is False]
            if published_only:  # the "::" entry of the same port included
                bad(f"tcp port {port} has no published-only record besides its socket",
                    json.dumps(published_only[0]))
            else:
                ok(f"tcp port {port} has no published-only record besides its socket")
            recs = [r for r in recs if r.get("host_socket") is True]
        want = {
            "docker_container_name": c["Names"][0][1:],
            "docker_container_id": c["Id"][:12],
            "docker_image": c["Image"],
            "docker_port_spec": f"{p['IP']}:{port}->{p['PrivatePort']}/tcp",
            "docker_container_port": p["PrivatePort"],
            "host_socket": socket_expected,
        }
        if not socket_expected:
            want.update(status="PUBLISHED", pid=None)
        if len(recs) != 1:
            bad(what, f"{len(recs)} records for the port")
            continue
        diff = {k: (recs[0].get(k), v) for k, v in want.items() if recs[0].get(k) != v}
        if diff:
            bad(what, "; ".join(f"{k}={g!r}, expected {w!r}" for k, (g, w) in diff.items()))
        else:
            ok(what)
    others = [r for r in rep["ports"] if r.get("docker_container_name")
              and r.get("port") not in (matched, ghost)]
    if others:
        bad("no other record carries a container", json.dumps(others[0]))
    else:
        ok("no other record carries a container")


def cmd_nodocker(report):
    rep = load_report(report)
    if rep is None:
        return
    d = rep.get("docker") or {}
    err = d.get("error")
    if d.get("available") is False and isinstance(err, str) and err.strip():
        ok(f"docker.available false with error text ({err})")
    else:
        bad("docker.available false with error text",
            f"available={d.get('available')!r} error={err!r}")
    if any(r.get("host_socket") for r in rep["ports"]):
        ok("sockets listed without Docker")
    else:
        bad("sockets listed without Docker", "ports[] has no socket")


def posted(sink, host):
    """[(time, plugin_instance, type, type_instance, value)] of homelab_ports."""
    out = []
    with open(sink, encoding="utf-8") as f:
        for line in f:
            _, _, body = line.partition(" ")
            try:
                batch = json.loads(body)
            except ValueError:
                continue
            for e in batch if isinstance(batch, list) else []:
                if e.get("plugin") != "homelab_ports":
                    continue
                if e.get("host") != host:
                    bad("values carry the host name", repr(e.get("host")))
                    continue
                out.append((e["time"], e.get("plugin_instance", ""), e["type"],
                            e.get("type_instance", ""), e["values"][0]))
    return sorted(out)


def report_counts(rep):
    c = collections.Counter()
    seen = set()
    for r in rep["ports"]:
        if not r.get("host_socket"):
            c["published_only"] += 1
            continue
        c[f"{r['proto']}_{r['family']}"] += 1
        seen.add((r["proto"], r["port"]))
        c["ephemeral"] += bool(r.get("in_ephemeral_range"))
        c["wildcard"] += bool(r.get("wildcard"))
    c["distinct_ports"] = len(seen)
    return c


def cmd_values(sink, host, report, *specs):
    vals = posted(sink, host)
    if not vals:
        bad("homelab_ports values posted", "none")
        return
    reads = sorted({v[0] for v in vals})
    ok(f"homelab_ports values posted ({len(reads)} reads)")
    counts = {}
    for t, pi, typ, ti, v in vals:
        if pi == "listeners" and typ == "count":
            counts.setdefault(ti, []).append((t, v))
    names = ["tcp_ipv4", "tcp_ipv6", "udp_ipv4", "udp_ipv6", "distinct_ports",
             "ephemeral", "wildcard", "published_only"]
    missing = [n for n in names if n not in counts]
    if missing:
        bad("listeners count-* values posted", f"missing {missing}")
    else:
        ok("listeners count-* values posted (" + ", ".join(names) + ")")
    rep = load_report(report)
    if rep is not None and not missing:
        want = report_counts(rep)
        last = {n: max(counts[n])[1] for n in names}
        diff = {n: (last[n], want[n]) for n in names if last[n] != want[n]}
        if diff:
            bad("last read's listener counts equal the plugin's last report",
                "; ".join(f"{n}={g}, report {w}" for n, (g, w) in diff.items()))
        else:
            ok("last read's listener counts equal the plugin's last report ("
               + ", ".join(f"{n}={last[n]:g}" for n in names) + ")")
    for spec in specs:
        kind, _, arg = spec.partition("=")
        if kind == "docker":
            got = [v for _, pi, typ, _, v in vals if pi == "docker" and typ == "homelab_available"]
            what = f"homelab_available of the Docker API is {arg}"
            if got and all(v == float(arg) for v in got):
                ok(what + f" ({len(got)} reads)")
            else:
                bad(what, f"values {got[-5:]}")
            continue
        if kind == "pid":
            port, _, pid = arg.partition(":")
            got = [v for _, pi, typ, _, v in vals if pi == f"tcp-{port}" and typ == "homelab_pid"]
            what = f"homelab_pid of tcp-{port} is {pid}"
            if got and all(v == int(pid) for v in got):
                ok(what + f" ({len(got)} reads)")
            else:
                bad(what, f"values {got[-5:]}")
            continue
        got = [v for _, pi, typ, _, v in vals if pi == f"tcp-{arg}" and typ == "homelab_listening"]
        if kind == "up":
            good, what = got and all(v == 1 for v in got), f"homelab_listening of tcp-{arg} is 1"
        elif kind == "down":
            good, what = got and all(v == 0 for v in got), f"homelab_listening of tcp-{arg} is 0"
        elif kind == "fell":
            good = got and got[0] == 1 and got[-1] == 0 and got == sorted(got, reverse=True)
            what = f"homelab_listening of tcp-{arg} goes from 1 to 0"
        else:
            good = got and got[0] == 0 and got[-1] == 1 and got == sorted(got)
            what = f"homelab_listening of tcp-{arg} goes from 0 to 1"
        if good:
            ok(what + f" ({len(got)} reads)")
        else:
            bad(what, f"values {got}")


def main(argv):
    cmds = {"meta": cmd_meta, "ours": cmd_ours, "ss": cmd_ss, "docker": cmd_docker,
            "nodocker": cmd_nodocker, "values": cmd_values}
    if len(argv) < 2 or argv[0] not in cmds:
        print("usage: ports_check.py meta|ours|ss|docker|nodocker|values ARGS...",
              file=sys.stderr)
        return 2
    try:
        cmds[argv[0]](*argv[1:])
    except (OSError, ValueError, KeyError, TypeError) as e:
        bad(f"ports_check.py {argv[0]}", f"{type(e).__name__}: {e}")
    print("\n".join(OUT))
    return 1 if any(line.startswith("bad ") for line in OUT) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
