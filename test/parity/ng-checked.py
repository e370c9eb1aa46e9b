#!/usr/bin/env python3
"""Parity harness (guest): when did ldirectord-ng's oldest current check verdict start?

    ng-checked.py SOCKET  ->  prints epoch milliseconds, or "none" (no answer) / "unchecked" (a real
    that will be checked has no verdict yet).

Asks the daemon's control socket for its status (one "status" line, one JSON answer) and, over
the reals whose health comes from checks, takes the start (lastCheck.at - durationMs) of each last
check: the earliest of them. run.sh counts a round of checks as complete once this is later than
the round's start. Python, not node: it is polled every second in an emulated CPU.
"""
import datetime
import json
import socket
import sys

try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sys.argv[1])
    s.sendall(b"status\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    snap = json.loads(data)
except (OSError, ValueError):
    print("none")
    sys.exit(0)

starts = []
for v in snap.get("virtuals", []):
    for r in v.get("reals", []):
        c = r.get("lastCheck")
        if c is None:
            if r.get("health") == "unchecked":
                print("unchecked")
                sys.exit(0)
            continue  # checktype=on/off: no checks
        at = datetime.datetime.fromisoformat(c["at"].replace("Z", "+00:00")).timestamp() * 1000
        starts.append(int(at - c.get("durationMs", 0)))
print(min(starts) if starts else 2**62)
