#!/usr/bin/python3
"""Check a run of fleet.yml host by host.

check.py LOG HOSTS FETCH_DIR FLEET_ROOT USER SHA256

LOG: ansible-playbook's output; HOSTS: the inventory names, one a line.
Every host must appear once in the PLAY RECAP with ok=TASKS, failed=0,
unreachable=0 (and no other host); its fetched report must be exactly the
text the template makes; the payload it was copied must hash to SHA256.
Prints one line per problem; exit 0 when there is none.
"""
import hashlib
import os
import re
import sys

TASKS = 8	# Gathering Facts and the seven tasks of fleet.yml: all ok
RECAP = re.compile(r"^(\S+)\s*:\s*((?:\w+=\d+\s*)+)$")


def recap(log):
    out, on = {}, False
    for line in open(log, errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("PLAY RECAP"):
            on = True
            continue
        m = RECAP.match(line) if on else None
        if m:
            c = dict((k, int(v)) for k, v in
                     (kv.split("=") for kv in m.group(2).split()))
            out.setdefault(m.group(1), []).append(c)
    return out


def main(log, hosts_file, fetch_dir, root, user, sha):
    hosts = [h.strip() for h in open(hosts_file) if h.strip()]
    R = recap(log)
    bad = []
    for h in sorted(set(R) - set(hosts)):
        bad.append("%s: in the recap, not in the inventory" % h)
    for h in hosts:
        c = R.get(h)
        if not c:
            bad.append("%s: not in the play recap" % h)
            continue
        if len(c) != 1:
            bad.append("%s: %d recap lines" % (h, len(c)))
        c = c[0]
        if (c.get("ok"), c.get("failed"), c.get("unreachable")) != \
                (TASKS, 0, 0):
            bad.append("%s: ok=%s failed=%s unreachable=%s, want ok=%d "
                       "failed=0 unreachable=0" % (
                           h, c.get("ok"), c.get("failed"),
                           c.get("unreachable"), TASKS))
        want = "host %s\nuser %s\npayload %s\ncommand %s:42\n" % (
            h, user, sha, h)
        try:
            with open(os.path.join(fetch_dir, h + ".txt")) as f:
                got = f.read()
        except OSError as e:
            got = "(%s)" % e.strerror
        if got != want:
            bad.append("%s: fetched report %r, want %r" % (h, got, want))
        try:
            with open(os.path.join(root, h, "payload.bin"), "rb") as f:
                got = hashlib.sha256(f.read()).hexdigest()
        except OSError as e:
            got = "(%s)" % e.strerror
        if got != sha:
            bad.append("%s: payload on the host hashes to %s" % (h, got))
    for b in bad:
        print("  " + b)
    print("  %d hosts checked: %d problems" % (len(hosts), len(bad)))
    return 1 if bad or not hosts else 0


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
