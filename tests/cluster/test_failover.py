#!/usr/bin/python3
"""Crashes on real processes: kill -9 of the leader (a new leader, writes
go on, the old leader restarts and catches up), and kill -9 of two nodes (the
lone survivor never acknowledges a write; after a restart the write path
works again and every node agrees on what happened).

Run: /usr/bin/python3 tests/cluster/test_failover.py [-k pattern]
"""

import sys
import time

sys.dont_write_bytecode = True

import grpc  # noqa: E402

import cluster  # noqa: E402
from cluster import TRANSIENT_CODES, rpc_error_text  # noqa: E402


class FailoverTest(cluster.ClusterTestCase):

    # 3. kill -9 of the leader.
    def test_kill9_leader_new_leader_writes_continue_old_leader_catches_up(self):
        c = self.new_cluster()
        old = c.wait_for_leader()
        old_term = c.status(old).term
        expected = {}
        for i in range(5):
            key, value = "fo/before-%d" % i, "b%d" % i
            c.put_retry(c.names[i % 3], key, value)
            expected[key] = value

        c.kill9(old)
        killed_at = time.monotonic()
        new = c.wait_for_leader(timeout_s=10.0)
        sys.stderr.write("[cluster] new leader %s %.2f s after kill -9 of %s\n" %
                         (new, time.monotonic() - killed_at, old))
        self.assertNotEqual(new, old)
        new_status = c.status(new)
        self.assertGreater(new_status.term, old_term, "a new leader is elected in a later term")
        other = next(n for n in c.live_names() if n != new)

        for key, value, via in (("fo/after-1", "a1", new), ("fo/after-2", "a2", other)):
            c.put_retry(via, key, value)
            expected[key] = value
        for name in (new, other):
            for key, value in expected.items():
                got = c.get_retry(name, key)
                self.assertEqual((got.found, got.value), (True, value),
                                 "linearizable Get %r on %s after failover" % (key, name))

        c.restart(old)
        self.assert_stale_reads(c, old, expected)
        # All three agree on a leader again, and the old leader serves
        # writes and linearizable reads as a follower.
        c.wait_for_leader()
        c.put_retry(old, "fo/after-3", "a3")
        expected["fo/after-3"] = "a3"
        for name in c.names:
            got = c.get_retry(name, "fo/after-3")
            self.assertEqual((got.found, got.value), (True, "a3"),
                             "linearizable Get on %s after the old leader rejoined" % name)
        for name in c.names:
            self.assert_stale_reads(c, name, expected)

    # 5. kill -9 of two nodes.
    def test_lone_survivor_refuses_writes_then_recovers(self):
        c = self.new_cluster()
        survivor = c.wait_for_leader()
        first, second = c.followers(survivor)
        c.put_retry(survivor, "fo/kept", "k")
        c.put_retry(first, "fo/maybe-deleted", "d")

        c.kill9(first)
        c.kill9(second)
        # The survivor (the leader until CheckQuorum demotes it) must never
        # acknowledge a write: attempts right away and after an election
        # timeout, each with a short deadline.
        refused = []
        attempts = [
            ("Put", lambda t: c.put(survivor, "fo/refused", "r", timeout_s=t)),
            ("Delete", lambda t: c.delete(survivor, "fo/maybe-deleted", timeout_s=t)),
            ("CAS", lambda t: c.cas(survivor, "fo/refused-cas", "r", None, timeout_s=t)),
            ("Put", lambda t: c.put(survivor, "fo/refused", "r", timeout_s=t)),
        ]
        for what, attempt in attempts:
            started = time.monotonic()
            try:
                response = attempt(2.0)
            except grpc.RpcError as e:
                self.assertIn(e.code(), TRANSIENT_CODES,
                              "%s on the lone survivor %s: expected UNAVAILABLE or "
                              "DEADLINE_EXCEEDED, got %s" % (what, survivor, rpc_error_text(e)))
                refused.append("%s: %s after %.2f s" % (what, e.code().name,
                                                        time.monotonic() - started))
                continue
            self.fail("%s on the lone survivor %s (no quorum) returned OK: %r" %
                      (what, survivor, response))
        sys.stderr.write("[cluster] lone survivor %s refused: %s\n" %
                         (survivor, "; ".join(refused)))
        self.assertEqual(c.live_names(), [survivor])

        c.restart(first)
        c.wait_for_leader(timeout_s=15.0)
        c.put_retry(None, "fo/after", "a", timeout_s=15.0)

        def agreed_value(key):
            results = {}
            for name in c.live_names():
                got = c.get_retry(name, key)
                results[name] = (got.found, got.value)
            self.assertEqual(len(set(results.values())), 1,
                             "linearizable Gets of %r disagree across nodes: %s" % (key, results))
            return next(iter(results.values()))

        self.assertEqual(agreed_value("fo/kept"), (True, "k"), "a write acknowledged before")
        self.assertEqual(agreed_value("fo/after"), (True, "a"), "a write acknowledged after")
        refused_put = agreed_value("fo/refused")
        self.assertIn(refused_put, ((False, ""), (True, "r")),
                      "a refused Put is either applied or not, nothing else")
        maybe_deleted = agreed_value("fo/maybe-deleted")
        self.assertIn(maybe_deleted, ((False, ""), (True, "d")))
        refused_cas = agreed_value("fo/refused-cas")
        self.assertIn(refused_cas, ((False, ""), (True, "r")))

        # The third node rejoins and converges on the same values.
        c.restart(second)
        c.wait_for_leader()
        expected = {"fo/kept": "k", "fo/after": "a",
                    "fo/refused": refused_put[1] if refused_put[0] else None,
                    "fo/maybe-deleted": maybe_deleted[1] if maybe_deleted[0] else None,
                    "fo/refused-cas": refused_cas[1] if refused_cas[0] else None}
        for name in c.names:
            self.assert_stale_reads(c, name, expected)


if __name__ == "__main__":
    cluster.main()
