#!/usr/bin/python3
"""raftctl's client commands against a real 3-node cluster: put, get (a
missing key exits 1), del, status (names the leader), and the exit codes for
a rejected argument (2) and an unreachable cluster (3), as documented at the
top of cmd/raftctl.cc.

Skipped when raftctl ($RAFTCTL, else build/cmd/raftctl) is missing or its
--help does not list `put` (the client commands are not built yet).

Run: /usr/bin/python3 tests/cluster/test_raftctl.py [-k pattern]
"""

import os
import re
import sys
import unittest

sys.dont_write_bytecode = True

import cluster  # noqa: E402

RAFTCTL_TIMEOUT_S = 30.0


def raftctl_skip_reason():
    binary = cluster.raftctl_binary()
    if not os.access(binary, os.X_OK):
        return "raftctl not found at %s" % binary
    run = cluster.run_once([binary, "--help"], timeout_s=10.0)
    if not re.search(r"^\s*put\b", run.stdout + run.stderr, re.MULTILINE):
        return "`raftctl --help` does not list put (client commands not built yet)"
    return None


class RaftctlTest(cluster.ClusterTestCase):

    @classmethod
    def setUpClass(cls):
        reason = raftctl_skip_reason()
        if reason:
            raise unittest.SkipTest(reason)
        cls.binary = cluster.raftctl_binary()
        cls.c = cls.start_class_cluster()
        cls.endpoints = ",".join(cls.c.node(n).address for n in cls.c.names)

    def raftctl(self, *args, endpoints=None):
        argv = [self.binary, "--endpoints", endpoints or self.endpoints] + list(args)
        run = cluster.run_once(argv, timeout_s=RAFTCTL_TIMEOUT_S)
        self.attach_text("raftctl %s" % " ".join(args), run.describe())
        return run

    def assert_exit(self, run, code, what):
        self.assertEqual(run.returncode, code, "%s: expected exit %d\n%s" %
                         (what, code, run.describe()))

    def test_put_then_get_prints_the_value(self):
        self.c.wait_for_leader()
        run = self.raftctl("put", "ctl/k", "v")
        self.assert_exit(run, 0, "raftctl put ctl/k v")
        run = self.raftctl("get", "ctl/k")
        self.assert_exit(run, 0, "raftctl get ctl/k")
        self.assertEqual(run.stdout, "v\n", "raftctl get prints the value and a newline")
        # The write went through Raft: every node has it.
        for name in self.c.names:
            got = self.c.get_retry(name, "ctl/k")
            self.assertEqual((got.found, got.value), (True, "v"), "Get on %s" % name)

    def test_get_of_a_missing_key_exits_1(self):
        run = self.raftctl("get", "ctl/never-written")
        self.assert_exit(run, 1, "raftctl get of a missing key")
        self.assertEqual(run.stdout, "", "nothing on stdout for a missing key")

    def test_del_prints_whether_the_key_existed(self):
        self.c.put_retry(None, "ctl/del", "x")
        run = self.raftctl("del", "ctl/del")
        self.assert_exit(run, 0, "raftctl del of an existing key")
        self.assertEqual(run.stdout.strip(), "1")
        run = self.raftctl("del", "ctl/del")
        self.assert_exit(run, 0, "raftctl del of a missing key")
        self.assertEqual(run.stdout.strip(), "0")
        self.assert_exit(self.raftctl("get", "ctl/del"), 1, "raftctl get after del")

    def test_status_shows_the_leader(self):
        leader = self.c.wait_for_leader()
        run = self.raftctl("status")
        self.assert_exit(run, 0, "raftctl status")
        self.assertIn(leader, run.stdout, "raftctl status should name the leader %s" % leader)

    def test_empty_key_exits_2(self):
        run = self.raftctl("put", "", "v")
        self.assert_exit(run, 2, "raftctl put with an empty key (INVALID_ARGUMENT)")

    def test_unreachable_cluster_exits_3(self):
        dead = ",".join("localhost:%d" % p for p in cluster.free_ports(2))
        run = self.raftctl("--timeout", "1000", "get", "ctl/k", endpoints=dead)
        self.assert_exit(run, 3, "raftctl get against endpoints nobody listens on")


if __name__ == "__main__":
    cluster.main()
