"""Sorts the samples of `perf script -F comm,tid,ip,sym` (with call stacks) of yim-server into
categories of work, by the functions on each sample's stack (first rule that matches), and
prints the share of each. Used by profile.sh."""
import collections
import sys

RULES = [
    ("store: SQLite (a commit per send, a WAL sync per group)", lambda s: "SqliteStore" in s),
    ("socket: writes (one per batch of queued frames)",
     lambda s: "run_connection" in s and ("__libc_send" in s or "sendto" in s or "__libc_write" in s
                                          or "write_bytes" in s)),
    ("socket: reads",
     lambda s: "run_connection" in s and ("__libc_recv" in s or "recvfrom" in s or "__libc_read" in s)),
    ("connection task: decode, batching, wake-ups, other", lambda s: "run_connection" in s),
    ("core: fan-out receiver list (collect members to connections)",
     lambda s: "deliver_to_room" in s and "SpecFromIterNested" in s),
    ("core: fan-out Message clone per receiver",
     lambda s: "deliver_to_room" in s and ("fan_out" in s or "Clone" in s)),
    ("core: deliver_to_room other", lambda s: "deliver_to_room" in s),
    ("core: handle_send other (dedupe, checks, reply)", lambda s: "handle_send" in s),
    ("core: route_outputs (a channel push per frame)", lambda s: "route_outputs" in s),
    ("core: other (login, acks, select, timers)", lambda s: "driver::serve" in s),
    ("runtime / kernel other", lambda s: True),
]


def main(path):
    counts = collections.Counter()
    total = 0
    stack = []

    def flush():
        nonlocal total
        if not stack:
            return
        text = "\n".join(stack)
        for name, rule in RULES:
            if rule(text):
                counts[name] += 1
                break
        total += 1

    with open(path) as lines:
        for line in lines:
            if line.startswith(("\t", " ")) and line.strip():
                stack.append(line.strip())
            else:
                flush()
                stack = []
    flush()
    for name, _ in RULES:
        print(f"{100 * counts[name] / max(total, 1):5.1f}%  {name}")
    print(f"{total} samples")


if __name__ == "__main__":
    main(sys.argv[1])
