#!/usr/bin/python3
"""Helpers for tests/bench/bench.sh (standard library only,
/usr/bin/python3).

    bench_helper.py sample EXE ROOTPID INTERVAL_MS OUT.json
        Print "ready", then every INTERVAL_MS look at every process running
        EXE that descends from ROOTPID: VmRSS, VmHWM and Private_Dirty (from
        /proc/PID/smaps_rollup).  On SIGTERM write the peaks to OUT.json.
        ssm-proxy makes itself not dumpable (no core files): only root may
        then read its /proc/PID/exe and smaps_rollup.  Run as another user,
        processes are recognised by their command line instead, and
        Private_Dirty is left out with the reason in "private_dirty_note".
    bench_helper.py wrap OUT -- COMMAND...
        ProxyCommand wrapper: COMMAND's rusage ("wall user sys maxrss_kib")
        to OUT, signals from ssh passed on; OUT.lock held until written.
    bench_helper.py rawdl SIZE_BYTES OUT.json -- COMMAND... TARGET
        Serve SIZE random bytes on a loopback TCP port, run COMMAND TARGET
        PORT (ssm-proxy: the agent dials that port, no ssh), hash what comes
        out of its stdout, keep its stdin open until its stdout ends.
    bench_helper.py agentrate REQUESTS.jsonl PORT
        Agent-side figures of the last session whose target was PORT: bytes
        sent, seconds from target_connected to target_eof, MiB/s.
    bench_helper.py rec RESULTS.jsonl NAME [k=v | @file.json]...
        Append one result line (derives MiB/s, CPU s/GiB, emulator CPU %).
    bench_helper.py hold
        Listen on a loopback TCP port, print it, then to every connection
        send "held" and a newline and keep it open, until SIGTERM.
    bench_helper.py pss OUT.json PID...
        Mean and maximum of Pss, Pss_Anon, Pss_File, Private_Dirty and Rss
        (KiB, /proc/PID/smaps_rollup) over the processes.
    bench_helper.py costtop OUT.json STRACE_C.txt PERF_REPORT.txt
        The top syscalls of an `strace -c` table and the top functions
        of a `perf report --stdio` listing, as JSON.
    bench_helper.py connstats < SECONDS...
        Median, p10, p90, stdev in ms.
    bench_helper.py report RESULTS.jsonl OUT.json
        Table with targets and PASS/MISS; the same figures as JSON.
"""

import datetime
import hashlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

MiB = 1 << 20
GiB = 1 << 30


# -- sample ----------------------------------------------------------------
def _ancestors(pid):
    seen = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        try:
            with open("/proc/%d/stat" % pid) as f:
                s = f.read()
            pid = int(s[s.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            break
    return seen


def _kb(text, key):
    for line in text.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def _is_exe(pid, exe):
    """pid runs exe: its /proc/PID/exe, or, when that is not readable (a
    process that is not dumpable, and we are not root), argv[0]."""
    try:
        return os.readlink("/proc/%d/exe" % pid) == exe
    except PermissionError:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv0 = f.read().split(b"\0")[0].decode(errors="replace")
        return os.path.realpath(argv0) == exe


def sample(exe, root, interval_ms, out):
    exe = os.path.realpath(exe)
    root = int(root)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    per = {}            # pid -> peaks
    known = {}          # pid -> is one of ours
    peak_sum_rss = peak_sum_pd = peak_count = ticks = 0
    pd_denied = False
    print("ready", flush=True)
    sys.stdout = open(os.devnull, "w")
    while not stop.is_set():
        ticks += 1
        sum_rss = sum_pd = count = 0
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            pid = int(d)
            try:
                ours = known.get(pid)
                if ours is None:    # decided once per process
                    ours = known[pid] = (_is_exe(pid, exe) and
                                         root in _ancestors(pid))
                if not ours:
                    continue
                with open("/proc/%d/status" % pid) as f:
                    st = f.read()
                try:
                    with open("/proc/%d/smaps_rollup" % pid) as f:
                        sm = f.read()
                except PermissionError:
                    sm, pd_denied = "", True
            except OSError:
                continue
            rss, hwm = _kb(st, "VmRSS:"), _kb(st, "VmHWM:")
            pd = _kb(sm, "Private_Dirty:")
            if rss == 0:
                continue        # exiting
            p = per.setdefault(pid, {"rss": 0, "hwm": 0, "pd": 0})
            p["rss"] = max(p["rss"], rss)
            p["hwm"] = max(p["hwm"], hwm)
            p["pd"] = max(p["pd"], pd)
            sum_rss += rss
            sum_pd += pd
            count += 1
        peak_sum_rss = max(peak_sum_rss, sum_rss)
        peak_sum_pd = max(peak_sum_pd, sum_pd)
        peak_count = max(peak_count, count)
        stop.wait(interval_ms / 1000.0)
    res = {
        "processes": len(per), "ticks": ticks,
        "peak_concurrent": peak_count,
        "max_hwm_kib": max((p["hwm"] for p in per.values()), default=0),
        "max_rss_kib": max((p["rss"] for p in per.values()), default=0),
        "max_private_dirty_kib": max((p["pd"] for p in per.values()),
                                     default=0),
        "peak_sum_rss_kib": peak_sum_rss,
        "sum_max_rss_kib": sum(p["rss"] for p in per.values()),
        "peak_sum_private_dirty_kib": peak_sum_pd,
    }
    if pd_denied:
        for k in ("max_private_dirty_kib", "peak_sum_private_dirty_kib"):
            del res[k]
        res["private_dirty_note"] = (
            "smaps_rollup not readable: ssm-proxy is not dumpable "
            "(PR_SET_DUMPABLE 0, no core files); run the bench as root")
    with open(out + ".tmp", "w") as f:
        json.dump(res, f)
    os.rename(out + ".tmp", out)


# -- hold, pss, costtop ------------------------------------------------------
def hold():
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(256)
    ls.settimeout(0.2)
    print(ls.getsockname()[1], flush=True)
    conns = []
    while not stop.is_set():
        try:
            c, _ = ls.accept()
        except socket.timeout:
            continue
        c.sendall(b"held\n")
        conns.append(c)
    return 0


def pss(out, pids):
    keys = ("Pss", "Pss_Anon", "Pss_File", "Private_Dirty", "Rss")
    v = {k: [] for k in keys}
    for p in pids:
        with open("/proc/%s/smaps_rollup" % p) as f:
            sm = f.read()
        for k in keys:
            v[k].append(_kb(sm, k + ":"))
    res = {"processes": len(pids)}
    for k in keys:
        n = k.lower()
        res["mean_%s_kib" % n] = sum(v[k]) / len(pids) if pids else 0
        res["max_%s_kib" % n] = max(v[k], default=0)
    with open(out, "w") as f:
        json.dump(res, f)
    return 0


def costtop(out, strace_txt, perf_txt, n=12):
    sys_rows, fn_rows, total = [], [], None
    with open(strace_txt) as f:
        for line in f:
            w = line.split()
            if len(w) >= 5 and w[-1] == "total":
                total = int(w[3])
            elif len(w) >= 5 and w[0][0].isdigit() and w[3].isdigit():
                sys_rows.append({"syscall": w[-1], "calls": int(w[3]),
                                 "errors": int(w[4]) if len(w) == 6
                                 else 0, "time_pct": float(w[0])})
    sys_rows.sort(key=lambda r: -r["calls"])
    with open(perf_txt) as f:
        for line in f:
            w = line.split()
            if len(w) >= 4 and w[0].endswith("%") and not \
                    line.startswith("#"):
                fn_rows.append({"pct": float(w[0][:-1]), "dso": w[1],
                                "symbol": " ".join(w[3:])})
    with open(out, "w") as f:
        json.dump({"syscalls_total": total, "syscalls": sys_rows[:n],
                   "functions": fn_rows[:n]}, f)
    return 0


# -- wrap --------------------------------------------------------------------
def wrap(out, cmd):
    """ProxyCommand wrapper: run cmd with our stdin/stdout, pass on the
    signals ssh sends (it SIGHUPs its ProxyCommand on exit), and write the
    child's wait4() rusage as "%e %U %S %M" to out.  A lock on out.lock is
    held until out is written, so the bench can wait for it."""
    import fcntl
    lk = os.open(out + ".lock", os.O_WRONLY | os.O_CREAT, 0o600)
    fcntl.flock(lk, fcntl.LOCK_EX)
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(lk)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda n, f: os.kill(pid, n))
    while True:
        try:
            _, status, ru = os.wait4(pid, 0)
            break
        except InterruptedError:
            continue
    wall = time.monotonic() - t0
    with open(out + ".tmp", "w") as f:
        f.write("%.3f %.3f %.3f %d\n" % (wall, ru.ru_utime, ru.ru_stime,
                                         ru.ru_maxrss))
    os.rename(out + ".tmp", out)
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code


# -- rawdl -------------------------------------------------------------------
def rawdl(size, out, cmd):
    size = int(size)
    data = os.urandom(size)
    want = hashlib.sha256(data).hexdigest()
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    port = ls.getsockname()[1]

    def serve():
        c, _ = ls.accept()
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass
        c.close()
    threading.Thread(target=serve, daemon=True).start()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd + [str(port)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    h = hashlib.sha256()
    n = 0
    first = None
    while True:
        b = p.stdout.read1(1 << 20)
        if not b:
            break
        if first is None:
            first = time.monotonic()
        n += len(b)
        h.update(b)
    t1 = time.monotonic()
    p.stdin.close()
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    res = {"port": port, "bytes": n, "wall_s": t1 - t0,
           "data_s": (t1 - first) if first else None, "rc": rc,
           "intact": n == size and h.hexdigest() == want}
    with open(out, "w") as f:
        json.dump(res, f)
    return 0 if res["intact"] else 1


# -- agentrate ---------------------------------------------------------------
def _t(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")) \
        .timestamp()


def agentrate(log, port):
    port = int(port)
    sid = None
    ev = {}
    with open(log) as f:
        for line in f:
            e = json.loads(line)
            if e.get("kind") != "session":
                continue
            if e.get("event") == "target_connected" and \
                    e.get("port") == port:
                sid = e.get("session_id")
                ev = {"connected": _t(e["time"])}
            elif sid is not None and e.get("session_id") == sid:
                if e.get("event") == "target_eof":
                    ev["eof"] = _t(e["time"])
                elif e.get("event") == "closed":
                    ev["bytes"] = (e.get("stats") or {}).get("output_bytes")
    if sid is None or "eof" not in ev or not ev.get("bytes"):
        print(json.dumps({"error": "session not found"}))
        return 1
    s = ev["eof"] - ev["connected"]
    print(json.dumps({"session_id": sid, "agent_bytes": ev["bytes"],
                      "agent_s": s, "agent_mib_s": ev["bytes"] / MiB / s}))
    return 0


# -- report ------------------------------------------------------------------
def report(results, out):
    R = {}
    meta = {}
    with open(results) as f:
        for line in f:
            e = json.loads(line)
            if e.get("kind") == "meta":
                meta.update(e)
                continue
            R[e["name"]] = e
    fails = [k for k, e in R.items() if e.get("intact") is False]
    # Rate without scp's fixed cost (median wall time of a 1-byte scp with
    # the same client and pause), comparable with the agent's own rate.
    for k, e in R.items():
        c = R.get("setup/%s %s" % (e.get("client"), e.get("pause")))
        if k.startswith("xfer/") and c and c.get("median_ms") and \
                e["wall_s"] > c["median_ms"] / 1e3:
            e["scp_setup_s"] = c["median_ms"] / 1e3
            e["net_mib_s"] = e["bytes"] / MiB / (e["wall_s"] -
                                                 e["scp_setup_s"])

    def g(name, key):
        return R.get(name, {}).get(key)

    def f1(v, fmt="%.1f"):
        return "-" if v is None else fmt % v

    lines = []
    w = lines.append
    w("ssm-proxy bench  %s  (%s)" % (meta.get("date", ""),
                                     meta.get("mode", "")))
    w("  %s; commit %s; load average %s at start, %s at end" % (
        meta.get("host", ""), meta.get("commit", "?"),
        meta.get("load_start", "?"), meta.get("load_end", "?")))
    w("")
    # connect
    w("connect: wall time of `ssh ... true`, %s runs (ms)"
      % meta.get("connect_runs", "?"))
    w("  %-22s %8s %8s %8s %8s" % ("client", "median", "p10", "p90",
                                   "stdev"))
    for c in ("direct", "ssm-proxy", "name-cold", "name-warm", "eice",
              "plugin", "via", "via-share"):
        e = R.get("connect/" + c)
        if e:
            w("  %-22s %8.1f %8.1f %8.1f %8.1f" % (
                c, e["median_ms"], e["p10_ms"], e["p90_ms"],
                e["stdev_ms"]))
    w("")
    if R.get("presession/id"):
        w("to StartSession: ms from ssm-proxy's start to the StartSession "
          "request, no ssh (--trace)")
        w("  %-22s %8s %8s %8s %8s" % ("target", "median", "p10", "p90",
                                       "stdev"))
        for c in ("id", "name-cold", "name-warm"):
            e = R.get("presession/" + c)
            if e:
                w("  %-22s %8.1f %8.1f %8.1f %8.1f" % (
                    c, e["median_ms"], e["p10_ms"], e["p90_ms"],
                    e["stdev_ms"]))
        w("")
    w("transfers (scp; MiB/s over the whole scp wall time; net = less scp's "
      "fixed cost, a 1-byte scp:")
    for k, e in R.items():
        if k.startswith("setup/") and e.get("median_ms"):
            w("  %s %.0f ms;" % (k[6:], e["median_ms"]))
    w("  cpu s (user+sys), maxRSS and PrivDrt (peak Private_Dirty) are the "
      "ProxyCommand's; emu% = emulator CPU)")
    notes = {e["private_dirty_note"] for e in R.values()
             if e.get("private_dirty_note")}
    for n in sorted(notes):
        w("  PrivDrt missing: %s" % n)
    w("  %-26s %5s %7s %7s %7s %7s %9s %7s %7s %5s %s" % (
        "phase", "MiB", "wall s", "MiB/s", "net", "cpu s", "cpu s/GiB",
        "maxRSS", "PrivDrt", "emu%", "sha256"))
    order = [k for k in R if k.startswith("xfer/")]
    for k in order:
        e = R[k]
        w("  %-26s %5.0f %7.2f %7.2f %7s %7s %9s %7s %7s %5s %s" % (
            k[5:], e["bytes"] / MiB, e["wall_s"], e["mib_s"],
            f1(e.get("net_mib_s"), "%.2f"),
            f1(e.get("cpu_s"), "%.2f"), f1(e.get("cpu_s_per_gib"), "%.2f"),
            f1(e.get("maxrss_kib") and e["maxrss_kib"] / 1024, "%.1fM"),
            f1(e.get("private_dirty_kib") and
               e["private_dirty_kib"] / 1024, "%.1fM"),
            f1(e.get("emu_cpu_pct"), "%.0f"),
            "ok" if e.get("intact") else "BAD"))
    for k in [k for k in R if k.startswith("agent/")]:
        e = R[k]
        w("  %-26s %5.0f %7.2f %7.2f %7s %7s %9s %7s %7s %5s %s" % (
            k, e["agent_bytes"] / MiB, e["agent_s"], e["agent_mib_s"], "",
            f1(e.get("cpu_s"), "%.2f"), f1(e.get("cpu_s_per_gib"), "%.2f"),
            f1(e.get("maxrss_kib") and e["maxrss_kib"] / 1024, "%.1fM"),
            "-", f1(e.get("emu_cpu_pct"), "%.0f"),
            "ok" if e.get("intact") else "BAD"))
    if any(k.startswith("xfer/eice") for k in R):
        w("  (eice: --transport eice through the emulator's EC2 Instance "
          "Connect Endpoint, whose relay")
        w("   is Python: its rows measure that relay as much as "
          "ssm-proxy; no agent pause there)")
    w("  (agent/*: no ssh; a TCP source behind the agent, ssm-proxy's "
      "stdout hashed; MiB/s from the agent's own")
    w("   target_connected..target_eof: what the emulator's agent can "
      "send)")
    for c in ("ssm-proxy", "plugin"):
        e = R.get("concurrent/" + c)
        if e:
            w("")
            w("concurrent (%s): %d sessions x %.0f MiB echoed through "
              "`cat` (up and back): %d intact, %.2f s total," % (
                  c, e["sessions"], e["bytes_each"] / MiB, e["intact_n"],
                  e["wall_s"]))
            w("  summed RSS: %.1f MiB peak at once (%d alive), %.1f MiB "
              "sum of per-process maxima; emu CPU %.0f%%;" % (
                  e["peak_sum_rss_kib"] / 1024, e["peak_concurrent"],
                  e["sum_max_rss_kib"] / 1024, e.get("emu_cpu_pct") or 0))
            w("  reconnects (ResumeSession) seen by the emulator: %s" %
              e.get("resumes", "?"))
    fleet_report(R, w)
    report_cost(R, w)
    # targets
    T = []

    def target(desc, fig, ok):
        T.append({"target": desc, "figure": fig,
                  "result": None if ok is None else
                  ("PASS" if ok else "MISS")})

    ceil = g("agent/pause-on", "agent_mib_s")
    dl = g("xfer/ssm-proxy down pause-on", "net_mib_s")
    target("download (net), pause on >= 95% of agent",
           "%s of %s MiB/s = %s" % (f1(dl, "%.2f"), f1(ceil, "%.2f"),
                                    f1(dl and ceil and 100 * dl / ceil,
                                       "%.1f%%")),
           None if not (dl and ceil) else dl >= 0.95 * ceil)
    up = g("xfer/ssm-proxy up pause-on", "net_mib_s")
    target("upload (net), pause on >= 9.0 MiB/s (10x0.9)",
           "%s MiB/s" % f1(up, "%.2f"), None if up is None else up >= 9.0)
    for d in ("up", "down"):
        c = g("xfer/ssm-proxy %s pause-off" % d, "cpu_s_per_gib")
        target("CPU, pause off, %s <= 4 s/GiB" % d,
               "%s s/GiB" % f1(c, "%.2f"), None if c is None else c <= 4.0)
    p = R.get("pss/ssm-proxy")
    target("PSS per session, %s sessions <= 5 MiB" %
           (p["processes"] if p else "?"),
           "%s MiB" % f1(p and p["mean_pss_kib"] / 1024, "%.2f"),
           None if not p else p["mean_pss_kib"] <= 5 * 1024)
    pm = g("connect/ssm-proxy", "median_ms")
    dm = g("connect/direct", "median_ms")
    target("connect median <= direct + 40 ms",
           "%s vs %s ms (+%s)" % (f1(pm), f1(dm),
                                  f1(pm is not None and dm is not None and
                                     pm - dm)),
           None if pm is None or dm is None else pm - dm <= 40)
    vm = g("connect/via", "median_ms")
    sm = g("connect/via-share", "median_ms")
    target("--via --share: later connects >= 3x faster",
           "%s vs %s ms (%sx)" % (f1(sm), f1(vm),
                                  f1(vm is not None and sm and vm / sm)),
           None if vm is None or not sm else vm / sm >= 3)
    # Judged on the time to StartSession: ssh's own spread (tens of ms)
    # hides 5 ms in the connect rows.
    wm = g("presession/name-warm", "median_ms")
    im = g("presession/id", "median_ms")
    target("by name, warm cache: StartSession <= by id + 5 ms",
           "%s vs %s ms (+%s)" % (f1(wm), f1(im),
                                  f1(wm is not None and im is not None and
                                     wm - im)),
           None if wm is None or im is None else wm - im <= 5)
    rss = [g("xfer/ssm-proxy %s pause-off" % d, "maxrss_kib")
           for d in ("up", "down")]
    pd = [g("xfer/ssm-proxy %s pause-off" % d, "private_dirty_kib")
          for d in ("up", "down")]
    rss = [v for v in rss if v is not None]
    pd = [v for v in pd if v is not None]
    target("peak RSS <= 12 MiB (big transfers)",
           "%s MiB" % f1(max(rss) / 1024 if rss else None, "%.2f"),
           None if not rss else max(rss) <= 12 * 1024)
    target("Private_Dirty <= 6 MiB (big transfers)",
           "%s MiB" % f1(max(pd) / 1024 if pd else None, "%.2f"),
           None if not pd else max(pd) <= 6 * 1024)
    fd, fp = g("fleet/direct", "wall_s"), g("fleet/ssm-proxy", "wall_s")
    target("fleet playbook wall <= 2x direct ssh",
           "%s vs %s s (%sx)" % (f1(fp, "%.1f"), f1(fd, "%.1f"),
                                 f1(fp and fd and fp / fd, "%.2f")),
           None if not (fp and fd) else fp <= 2 * fd)
    c = R.get("concurrent/ssm-proxy")
    target("%s concurrent sessions all intact" %
           (c["sessions"] if c else "?"),
           "%d/%d" % (c["intact_n"], c["sessions"]) if c else "-",
           None if not c else c["intact_n"] == c["sessions"])
    w("")
    w("targets (ssm-proxy)")
    for t in T:
        w("  %-4s  %-44s %s" % (t["result"] or "n/a", t["target"],
                                t["figure"]))
    if fails:
        w("")
        w("INTEGRITY FAILURES: " + ", ".join(fails))
    print("\n".join(lines))
    doc = {"meta": meta, "results": R, "targets": T,
           "integrity_failures": fails}
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    return 1 if fails else 0


def fleet_report(R, w):
    """The fleet section: tests/ansible/fleet.yml over each client."""
    d = R.get("fleet/direct")
    rows = [(c, R["fleet/" + c]) for c in
            ("direct", "ssm-proxy", "ssm-proxy-throttled")
            if "fleet/" + c in R]
    if not rows:
        return
    w("")
    w("fleet: tests/ansible/fleet.yml (facts, 1 MiB copy, command, "
      "template, fetch), ansible.cfg as")
    w("  shipped, %d hosts x %d forks; +/host = (wall - direct wall) / "
      "hosts; emu%% = emulator CPU / wall;" % (rows[0][1]["hosts"],
                                              rows[0][1]["forks"]))
    w("  throttled: the emulator's throttle knob, 5 StartSession/s, "
      "burst 10")
    w("  %-22s %8s %8s %5s %12s %9s %s" % (
        "client", "wall s", "+/host s", "emu%", "StartSession",
        "throttled", "every host ok"))
    for c, e in rows:
        extra = None
        if d and c != "direct":
            extra = (e["wall_s"] - d["wall_s"]) / e["hosts"]
        w("  %-22s %8.2f %8s %5.0f %12d %9d %s" % (
            c, e["wall_s"], "-" if extra is None else "%+.3f" % extra,
            e.get("emu_cpu_pct") or 0, e["start_sessions"],
            e["throttled"], "yes" if e.get("intact") else "NO"))


def report_cost(R, w):
    """What a session costs: PSS at scale, where the CPU goes."""
    p = R.get("pss/ssm-proxy")
    if p:
        w("")
        w("memory at scale: %d ssm-proxy processes, each with an open "
          "tunnel, idle (smaps_rollup, mean / max):" % p["processes"])
        w("  PSS %.2f / %.2f MiB (anon %.2f, file %.2f); Private_Dirty "
          "%.2f MiB; RSS %.2f MiB" % (
              p["mean_pss_kib"] / 1024, p["max_pss_kib"] / 1024,
              p["mean_pss_anon_kib"] / 1024, p["mean_pss_file_kib"] / 1024,
              p["mean_private_dirty_kib"] / 1024, p["mean_rss_kib"] / 1024))
    for d in ("up", "down"):
        b = R.get("cost/ssm-proxy %s" % d)
        if not b:
            continue
        w("")
        w("where the CPU goes, %s, pause off, %.0f MiB: %s syscalls "
          "(%.0f per MiB; strace -c)" % (
              d, b["bytes"] / MiB, b.get("syscalls_total"),
              (b.get("syscalls_total") or 0) / (b["bytes"] / MiB)))
        w("  " + ", ".join("%s %d%s" % (r["syscall"], r["calls"],
                                        " (%d failed)" % r["errors"]
                                        if r["errors"] else "")
                           for r in b["syscalls"][:8]))
        if b.get("functions"):
            w("  functions (perf, share of ssm-proxy's samples):")
            for r in b["functions"]:
                w("    %5.1f%%  %-22s %s" % (r["pct"], r["dso"][:22],
                                             r["symbol"]))
        else:
            w("  functions: perf not available")


def stats_ms(values):
    """connect summary from wall times in seconds on stdin"""
    v = sorted(values)
    q = statistics.quantiles(v, n=10) if len(v) > 1 else [v[0]] * 9
    return {"runs": len(v), "median_ms": statistics.median(v) * 1000,
            "p10_ms": q[0] * 1000, "p90_ms": q[-1] * 1000,
            "min_ms": v[0] * 1000, "max_ms": v[-1] * 1000,
            "stdev_ms": (statistics.stdev(v) if len(v) > 1 else 0) * 1000}


def rec(results, name, args):
    """Append one result: k=v (JSON value if it parses) or @file.json."""
    e = {"name": name}
    for a in args:
        if a.startswith("@"):
            with open(a[1:]) as f:
                e.update(json.load(f))
            continue
        k, _, v = a.partition("=")
        try:
            e[k] = json.loads(v)
        except ValueError:
            e[k] = v
    if "max_private_dirty_kib" in e:
        e["private_dirty_kib"] = e["max_private_dirty_kib"]
    if e.get("bytes") and e.get("wall_s"):
        e["mib_s"] = e["bytes"] / MiB / e["wall_s"]
    if e.get("bytes") and e.get("cpu_s") is not None:
        e["cpu_s_per_gib"] = e["cpu_s"] * GiB / e["bytes"]
    if e.get("emu_cpu_s") is not None and (e.get("wall_s") or e.get("s")):
        e["emu_cpu_pct"] = 100 * e["emu_cpu_s"] / (e.get("wall_s") or
                                                   e.get("s"))
    with open(results, "a") as f:
        f.write(json.dumps(e) + "\n")
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "sample" and len(argv) == 6:
        sample(argv[2], argv[3], float(argv[4]), argv[5])
        return 0
    if cmd == "wrap" and len(argv) > 4 and argv[3] == "--":
        return wrap(argv[2], argv[4:])
    if cmd == "rawdl" and len(argv) > 5 and argv[4] == "--":
        return rawdl(argv[2], argv[3], argv[5:])
    if cmd == "agentrate" and len(argv) == 4:
        return agentrate(argv[2], argv[3])
    if cmd == "report" and len(argv) == 4:
        return report(argv[2], argv[3])
    if cmd == "rec" and len(argv) >= 4:
        return rec(argv[2], argv[3], argv[4:])
    if cmd == "hold" and len(argv) == 2:
        return hold()
    if cmd == "pss" and len(argv) >= 3:
        return pss(argv[2], argv[3:])
    if cmd == "costtop" and len(argv) == 5:
        return costtop(argv[2], argv[3], argv[4])
    if cmd == "connstats" and len(argv) == 2:
        vals = [float(x) for x in sys.stdin.read().split()]
        print(json.dumps(stats_ms(vals)))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
