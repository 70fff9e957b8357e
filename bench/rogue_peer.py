#!/usr/bin/python3
"""A 3-node cluster under forged peer traffic while a client writes and reads.

The load half of issue 14's trust-boundary checks (the fixed cases are
tests/cluster/test_rogue_peer.py; both forge through tests/cluster/rogue.py).
For `minutes`, a rogue sends about `rate` forged peer messages per second,
a seeded random mix of wrong-identity streams (refused when they open) and
member-identity content every node must refuse, spread over the three
nodes. Meanwhile one client thread writes unique keys (a Put through each
node in turn, then a linearizable Get of an earlier key through the next).

At the end it checks that every acknowledged write reads back unchanged
through every node and from every node's own copy, that no term moved, that
no process exited or asserted, and that no wrong-identity stream was
accepted; then prints one line:

  bench-rogue summary: minutes=.. messages=.. rejected=.. writes_acked=.. lost=0 \
term_moves=0 exits=0 availability=..%

availability is the share of client operations (each one try with a 2 s
deadline) that succeeded. On a failure it prints what failed and the command
that reruns it with the same seed, and exits 1.

Usage: /usr/bin/python3 bench/rogue_peer.py [--minutes M] [--rate R] [--seed S]
(scripts/bench-rogue.sh wraps it).

Threading: the main thread forges and watches; one client thread owns its
own channels and its results until joined.
"""

import argparse
import os
import pathlib
import random
import re
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "cluster"))

import cluster  # noqa: E402
import grpc  # noqa: E402
import rogue  # noqa: E402

TICK_S = 0.05  # the forger sends one tick's share of the rate at a time
PROGRESS_EVERY_S = 60.0  # one progress line a minute
VIEW_REFRESH_S = 1.0
CLIENT_DEADLINE_S = 2.0
CHECK_IN_FLIGHT_MAX = 64
CRASH_PATTERN = re.compile(r"assert|abort", re.IGNORECASE)


class Client(threading.Thread):
    """Writes unique keys and reads earlier ones back, one try per call."""

    def __init__(self, c, seed, write_interval_s):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.rng = random.Random(seed ^ 0x5eed)
        self.write_interval_s = write_interval_s
        pb_grpc = cluster.stubs().pb_grpc
        self.names = c.names
        self.stubs = {
            n: pb_grpc.KeyValueServiceStub(
                grpc.insecure_channel("127.0.0.1:%d" % c.node(n).port,
                                      options=cluster.CHANNEL_OPTIONS)) for n in c.names
        }
        self.client_id = random.getrandbits(62) + 1
        self.acked = {}  # key -> value; read by others only after join()
        self.acked_keys = []  # the same keys in order (appends are atomic: others may slice)
        self.ops = 0
        self.ops_ok = 0
        self.bad_reads = []  # (key, node, got, expected)

    def run(self):
        pb = cluster.stubs().pb
        n = 0
        while not self.stop.is_set():
            started = time.monotonic()
            n += 1
            node = self.names[n % len(self.names)]
            key, value = "w-%d" % n, "v-%d-%08x" % (n, self.rng.getrandbits(32))
            req = pb.PutRequest(key=key, value=value)
            req.session.client_id, req.session.sequence = self.client_id, n
            self.ops += 1
            try:
                self.stubs[node].Put(req, timeout=CLIENT_DEADLINE_S, wait_for_ready=True)
                self.acked[key] = value
                self.acked_keys.append(key)
                self.ops_ok += 1
            except grpc.RpcError:
                pass
            if self.acked:
                key = self.rng.choice(self.acked_keys) if n % 8 else key
                reader = self.names[(n + 1) % len(self.names)]
                self.ops += 1
                try:
                    got = self.stubs[reader].Get(pb.GetRequest(key=key), timeout=CLIENT_DEADLINE_S,
                                                 wait_for_ready=True)
                    self.ops_ok += 1
                    if key in self.acked and (not got.found or got.value != self.acked[key]):
                        self.bad_reads.append((key, reader, got.value, self.acked[key]))
                except grpc.RpcError:
                    pass
            self.stop.wait(max(0.0, self.write_interval_s - (time.monotonic() - started)))


def statuses(c):
    sts = c.statuses(c.names, timeout_s=2.0)
    return {n: st for n, st in sts.items() if not isinstance(st, str)}


def forge(c, args, rng, client, report):
    """Sends forged traffic until the time is up; fills report."""
    rogues = {n: rogue.Rogue(c.node(n).port) for n in c.names}
    end = time.monotonic() + args.minutes * 60.0
    view = None
    refreshed = 0.0
    per_tick = max(1, round(args.rate * TICK_S))
    next_progress = time.monotonic() + PROGRESS_EVERY_S
    while time.monotonic() < end:
        tick = time.monotonic()
        if tick >= next_progress:
            print("bench-rogue: %.1f/%g min messages=%d writes_acked=%d ops_ok=%d/%d term=%s" %
                  ((tick - report["started"]) / 60.0, args.minutes, report["messages"],
                   len(client.acked_keys), client.ops_ok, client.ops, view.term if view else "?"),
                  flush=True)
            next_progress += PROGRESS_EVERY_S
        if tick - refreshed >= VIEW_REFRESH_S:
            sts = statuses(c)
            if len(sts) == len(c.names):
                fresh = rogue.View.from_statuses(sts)
                fresh.acked_keys = client.acked_keys[-200:] or [rogue.CANARY_KEY]
                if view is not None and fresh.term != view.term:
                    report["term_moves"] += 1
                    report["notes"].append("term %d -> %d at %.0f s" %
                                           (view.term, fresh.term, tick - report["started"]))
                view = fresh
            refreshed = tick
        if view is None or not view.leader:
            time.sleep(TICK_S)
            continue
        sent = 0
        inflight = []
        while sent < per_tick:
            attack = rogue.random_attack(view, rng)
            inflight.append((attack, rogues[attack.target].send_async(attack.identity,
                                                                       attack.messages)))
            sent += len(attack.messages)
        for attack, future in inflight:
            code, details = rogue.outcome(future)
            report["streams"] += 1
            if attack.expect_codes is not None and code not in attack.expect_codes:
                if code == grpc.StatusCode.OK:
                    report["identity_accepted"] += 1
                    report["notes"].append("accepted: " + attack.describe())
            elif attack.expect_codes is None and code in (rogue.DENIED, rogue.MISMATCH):
                report["notes"].append("member identity refused (%s %s): %s" %
                                       (code.name, details, attack.describe()))
        report["messages"] += sent
        time.sleep(max(0.0, TICK_S - (time.monotonic() - tick)))
    for r in rogues.values():
        r.close()


def check_acked(c, acked):
    """Keys that do not read back: linearizably through every node, then
    each node's own copy (stale). Returns a list of descriptions."""
    pb = cluster.stubs().pb
    lost = []
    for name in c.names:
        stub = c.stub(name)
        for stale in (False, True):
            keys = list(acked)
            for i in range(0, len(keys), CHECK_IN_FLIGHT_MAX):
                chunk = keys[i:i + CHECK_IN_FLIGHT_MAX]
                futures = [(k, stub.Get.future(pb.GetRequest(key=k, stale=stale), timeout=30.0,
                                               wait_for_ready=True)) for k in chunk]
                for k, f in futures:
                    try:
                        got = f.result()
                        ok = got.found and got.value == acked[k]
                        detail = "found=%s value=%r" % (got.found, got.value)
                    except grpc.RpcError as e:
                        ok, detail = False, cluster.rpc_error_text(e)
                    if not ok:
                        lost.append("%s %s Get %r: %s, expected %r" %
                                    (name, "stale" if stale else "linearizable", k, detail,
                                     acked[k]))
    return lost


def wait_applied(c, timeout_s=30.0):
    def caught_up():
        sts = statuses(c)
        if len(sts) < len(c.names):
            raise cluster.NotYet("not every node answers")
        commit = max(st.commit_index for st in sts.values())
        if any(st.applied_index < commit for st in sts.values()):
            raise cluster.NotYet(c.summarize(sts))
        return True

    cluster.wait_until(caught_up, timeout_s, "every node to apply the last write")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=1000, help="forged messages per second")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--write-rate", type=float, default=100.0,
                        help="client writes per second (each followed by a read)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.getrandbits(32)
    reproduce = "scripts/bench-rogue.sh %g %d %d" % (args.minutes, args.rate, seed)
    print("bench-rogue: seed=%d minutes=%g rate=%d (rerun: %s)" %
          (seed, args.minutes, args.rate, reproduce), flush=True)
    rng = random.Random(seed)
    cluster.stubs()
    c = cluster.Cluster()
    failed = True
    try:
        c.start_all()
        before = statuses(c)
        terms_before = {n: st.term for n, st in before.items()}
        rejected_before = sum(rogue.rejected_total(st) for st in before.values())
        client = Client(c, seed, 1.0 / args.write_rate)
        client.start()
        report = dict(messages=0, streams=0, term_moves=0, identity_accepted=0, notes=[],
                      started=time.monotonic())
        try:
            forge(c, args, rng, client, report)
        finally:
            client.stop.set()
            client.join()
        exits = [n for n in c.names if not c.node(n).alive()]
        crashes = []
        for name in c.names:
            with open(c.node(name).log_path, "rb") as f:
                for line in f.read().decode("utf-8", errors="replace").splitlines():
                    if CRASH_PATTERN.search(line) and not line.startswith("=== [cluster]"):
                        crashes.append("%s: %s" % (name, line))
        exited_or_asserted = set(exits) | {line.split(":")[0] for line in crashes}
        lost = []
        if not exits:
            wait_applied(c)
            lost = check_acked(c, client.acked)
        after = statuses(c)
        term_moves = report["term_moves"] + sum(
            1 for n, st in after.items() if st.term != terms_before[n])
        rejected = sum(rogue.rejected_total(st) for st in after.values()) - rejected_before
        availability = 100.0 * client.ops_ok / max(1, client.ops)
        lost_count = len(lost) + len(client.bad_reads)
        for note in report["notes"][:20]:
            print("bench-rogue: " + note)
        for line in (lost + ["client read %r via %s: %r, expected %r" % b
                             for b in client.bad_reads])[:20]:
            print("bench-rogue: lost: " + line)
        for line in crashes[:20]:
            print("bench-rogue: crash: " + line)
        for per_node in after.items():
            print("bench-rogue: %s rejected_inputs %s" %
                  (per_node[0], dict(sorted(per_node[1].rejected_inputs.items()))))
        print("bench-rogue summary: minutes=%g messages=%d rejected=%d writes_acked=%d lost=%d "
              "term_moves=%d exits=%d availability=%.2f%%" %
              (args.minutes, report["messages"], rejected, len(client.acked), lost_count,
               term_moves, len(exited_or_asserted), availability), flush=True)
        failed = bool(lost_count or term_moves or exits or crashes or report["identity_accepted"]
                      or not client.acked)
    finally:
        if failed:
            print("bench-rogue: FAILED; node logs in %s; reproduce with: %s" %
                  (c.base_dir, reproduce), flush=True)
            os.environ["RAFT_CLUSTER_KEEP"] = "1"
        c.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
