#!/usr/bin/python3
"""The trust boundary on real processes (issue 14, item 8).

A rogue gRPC client (tests/cluster/rogue.py) forges peer traffic to every
node of a running 3-node cluster:

- with a wrong identity (no metadata, a wrong cluster id, an unknown sender,
  a wrong receiver, a member's name at another address): each stream must
  be refused when it opens, with the contract's status code, whatever it
  carries (higher terms, a forged Put over an acknowledged key committed at
  once, TimeoutNow, a snapshot);
- with a member's real identity: absurd terms and indexes, undecodable or
  non-contiguous entries, acknowledgements past the leader's log, leader
  messages from a non-leader, impossible snapshot chunks, a garbage snapshot
  image, messages whose sender or receiver differs from the stream's. No
  sane higher term is ever sent this way: that is legal Raft.

Throughout, the cluster must go on serving Puts and linearizable Gets
through every node; afterwards no term has moved, every acknowledged write
reads back unchanged from every node (locally, too), no process has exited
or asserted, and rejected_inputs in GetClusterStatus grew on every node.

Then identity at start-up: two clusters whose --peers overlap stay apart and
both say so; a fresh node named like a live member is refused; a node
restarted on another port than the recorded one refuses to start and says
what to do.

Run: /usr/bin/python3 tests/cluster/test_rogue_peer.py [-k pattern]
     RAFT_ROGUE_SEED=N replays the random choices of a failed run.
"""

import os
import random
import re
import sys
import time

sys.dont_write_bytecode = True

import cluster  # noqa: E402
import grpc  # noqa: E402
import rogue  # noqa: E402

ACKED_WRITES = 30
EXIT_TIMEOUT_S = 15.0
CRASH_PATTERN = re.compile(r"assert|abort", re.IGNORECASE)
# "2026-12-06T02:10:39.742 [node1] critical: ": a node's own name proves nothing.
LOG_PREFIX = re.compile(r"^\S+ \[[^\]]*\] \w+: ")


def log_messages(text):
    """The messages of a node's log lines, without the harness's own lines
    and without the prefix that names the node itself."""
    return [
        LOG_PREFIX.sub("", line)
        for line in text.splitlines()
        if not line.startswith("=== [cluster]")
    ]


def seed_from_env():
    """The forgeries' seed: $RAFT_ROGUE_SEED replays one, else a fresh one."""
    seed = int(os.environ.get("RAFT_ROGUE_SEED") or random.getrandbits(32))
    sys.stderr.write("[rogue] seed %d (replay: RAFT_ROGUE_SEED=%d)\n" % (seed, seed))
    return seed


class RoguePeerTest(cluster.ClusterTestCase):
    """Forged peer streams against a live cluster."""

    def setUp(self):
        self.rng = random.Random(seed_from_env())
        self.c = self.new_cluster()
        self.rogues = {}
        self.acked = {}
        self.round = 0

    def tearDown(self):
        for r in self.rogues.values():
            r.close()

    def rogue(self, name):
        if name not in self.rogues:
            self.rogues[name] = rogue.Rogue(self.c.node(name).port)
        return self.rogues[name]

    # ---- the cluster before, during and after

    def write_acked(self, count):
        for i in range(count):
            key = "acked-%d" % i
            value = "value-%d-%08x" % (i, self.rng.getrandbits(32))
            self.c.put_retry(None, key, value)
            self.acked[key] = value

    def snapshot_state(self):
        """Waits until every node has applied the last write; returns the
        View and the per-node terms and refusal totals."""
        c = self.c
        leader = c.wait_for_leader()

        def caught_up():
            sts = c.statuses(c.names)
            if any(isinstance(st, str) for st in sts.values()):
                raise cluster.NotYet(c.summarize(sts))
            commit = sts[leader].commit_index
            if any(st.applied_index < commit for st in sts.values()):
                raise cluster.NotYet(c.summarize(sts))
            return sts

        sts = cluster.wait_until(caught_up, 10.0, "every node to apply the acknowledged writes")
        view = rogue.View.from_statuses(sts)
        view.acked_keys = list(self.acked)
        self.assertEqual(view.leader, leader)
        self.assertRegex(view.cluster_id, r"^[0-9a-f]{16}$", "GetClusterStatus cluster_id")
        for name, st in sts.items():
            self.assertEqual(st.cluster_id, view.cluster_id, "%s reports another cluster id" %
                             name)
        terms = {n: st.term for n, st in sts.items()}
        rejected = {n: rogue.rejected_total(st) for n, st in sts.items()}
        return view, terms, rejected

    def serve_round(self):
        """A Put and a linearizable Get through every node."""
        self.round += 1
        for name in self.c.names:
            key = "during-%d-%s" % (self.round, name)
            value = "v%08x" % self.rng.getrandbits(32)
            self.c.put_retry(name, key, value, timeout_s=10.0)
            got = self.c.get_retry(name, key, timeout_s=10.0)
            self.assertTrue(got.found and got.value == value,
                            "round %d: Get %r via %s returned found=%s value=%r, expected %r" %
                            (self.round, key, name, got.found, got.value, value))
            self.acked[key] = value

    def check_after(self, terms_before, rejected_before, attacked, log):
        c = self.c
        c.check_running(c.names)
        self.serve_round()
        sts = c.statuses(c.names)
        for name in c.names:
            st = sts[name]
            self.assertNotIsInstance(st, str, "%s stopped answering: %s" % (name, st))
            self.assertEqual(st.term, terms_before[name],
                             "%s's term moved from %d to %d under forged traffic" %
                             (name, terms_before[name], st.term))
        # Every acknowledged write, linearizably through every node, then
        # each node's own copy (a divergent follower shows only locally).
        for name in c.names:
            for key, value in self.acked.items():
                got = c.get_retry(name, key)
                self.assertEqual((got.found, got.value), (True, value),
                                 "acknowledged %r reads back wrong via %s" % (key, name))
        expected_local = dict(self.acked)
        expected_local[rogue.CANARY_KEY] = None
        for name in c.names:
            self.assert_stale_reads(c, name, expected_local)
        for name in c.names:
            with open(c.node(name).log_path, "rb") as f:
                text = f.read().decode("utf-8", errors="replace")
            crashes = [
                line for line in text.splitlines()
                if CRASH_PATTERN.search(line) and not line.startswith("=== [cluster]")
            ]
            self.assertEqual(crashes, [], "%s's log has assertion/abort lines" % name)
        sts = c.statuses(c.names)
        for name in attacked:
            after = rogue.rejected_total(sts[name])
            self.assertGreater(after, rejected_before[name],
                               "rejected_inputs did not grow on %s (before %d, after %d): %s" %
                               (name, rejected_before[name], after,
                                dict(sts[name].rejected_inputs)))
            sys.stderr.write("[rogue] %s rejected_inputs %s\n" %
                             (name, dict(sorted(sts[name].rejected_inputs.items()))))
        self.attach_text("attacks sent", "\n".join(log))

    # ---- the tests

    def test_wrong_identity_streams_are_refused_at_open(self):
        """Every way the stream metadata can lie, against every node, with a
        payload that would move terms and overwrite an acknowledged key."""
        self.write_acked(ACKED_WRITES)
        view, terms, rejected = self.snapshot_state()
        log = []
        wrong = []
        for target in view.names():
            for attack in rogue.wrong_identity_attacks(view, target, self.rng):
                code, details = self.rogue(target).send(attack.identity, attack.messages)
                log.append("%s => %s %s" % (attack.describe(), code.name, details))
                if code not in attack.expect_codes:
                    wrong.append("%s: got %s (%s), expected %s" %
                                 (attack.describe(), code.name, details,
                                  "/".join(x.name for x in attack.expect_codes)))
                elif not details:
                    wrong.append("%s: refused with %s but no message naming the sides" %
                                 (attack.describe(), code.name))
            self.serve_round()
        self.check_after(terms, rejected, view.names(), log)
        self.assertEqual(wrong, [], "streams not refused as the contract says:\n" +
                         "\n".join(wrong))

    def test_member_identity_with_refusable_content(self):
        """A member's real identity, content every node must refuse: every
        variant of every forgery in rogue.py, aimed at every node."""
        self.write_acked(ACKED_WRITES)
        view, terms, rejected = self.snapshot_state()
        log = []
        not_accepted = []
        attacked = set()
        not_counted = []
        for target in view.names():
            for attack in rogue.right_identity_attacks(view, target, self.rng):
                before = self.rejected_on(attack.target)
                code, details = self.rogue(attack.target).send(attack.identity, attack.messages)
                attacked.add(attack.target)
                log.append("%s => %s %s" % (attack.describe(), code.name, details))
                if code != grpc.StatusCode.OK:
                    not_accepted.append("%s => %s %s" % (attack.describe(), code.name, details))
                # Each message refused is counted.
                if not self.counted(attack.target, before + len(attack.messages)):
                    not_counted.append(attack.describe())
            self.serve_round()
        self.check_after(terms, rejected, sorted(attacked), log)
        # The right identity opens the stream; only content is refused.
        self.assertEqual(not_accepted, [], "streams with a member's identity were not accepted "
                         "(expected OK and per-message refusal):\n" + "\n".join(not_accepted))
        self.assertEqual(not_counted, [], "forged messages not counted as refused (accepted, or "
                         "dropped silently):\n" + "\n".join(not_counted))

    def rejected_on(self, name):
        return rogue.rejected_total(self.c.status(name))

    def counted(self, name, total, timeout_s=2.0):
        """Whether the node's refusals reach total (they are counted on its
        loop thread, shortly after the stream ends)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.rejected_on(name) >= total:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def test_garbage_snapshot_image_is_not_installed(self):
        """A complete snapshot in the leader's name, far ahead, whose image
        is garbage: the follower keeps its state and its applied index."""
        self.write_acked(10)
        view, terms, rejected = self.snapshot_state()
        log = []
        for follower in view.followers():
            for _ in range(3):
                attack = rogue.right_identity_attack(view, "garbage snapshot image", follower,
                                                     self.rng)
                code, details = self.rogue(follower).send(attack.identity, attack.messages)
                log.append("%s => %s %s" % (attack.describe(), code.name, details))
        self.serve_round()
        sts = self.c.statuses(self.c.names)
        for follower in view.followers():
            self.assertLess(sts[follower].applied_index, view.last_index + 1000,
                            "%s applied the forged snapshot's index: %s" %
                            (follower, self.c.summarize(sts)))
        # The contract counts a refused image like any refused input.
        self.check_after(terms, rejected, view.followers(), log)

    def test_forged_hellos_change_nothing(self):
        """Hello is answered or refused; it never changes membership or term."""
        self.write_acked(5)
        view, terms, rejected = self.snapshot_state()
        log = []
        stranger = "localhost:%d" % cluster.free_port()
        for target in view.names():
            other = view.others(target)[0]
            for fields in (
                    dict(),
                    dict(node_id="mallory", address=stranger,
                         cluster_id=rogue.random_cluster_id(self.rng),
                         to_address=view.members[target]),
                    dict(node_id=other, address=stranger, cluster_id=view.cluster_id,
                         to_address=view.members[target]),
                    dict(node_id=target, address=view.members[target], cluster_id="zz"),
                    dict(node_id="x" * 5000, address="not an address"),
            ):
                code, resp = self.rogue(target).hello(**fields)
                log.append("Hello %r -> %s => %s %s" % ({k: str(v)[:40]
                                                         for k, v in fields.items()}, target,
                                                        code.name, resp))
        sts = self.c.statuses(self.c.names)
        for name in view.names():
            self.assertEqual({m.id: m.address for m in sts[name].members}, view.members,
                             "%s's members changed after forged Hellos" % name)
        self.check_after(terms, rejected, [], log)


class ClusterIdentityTest(cluster.ClusterTestCase):
    """Identity at start-up: clusters do not mix, names and ports are bound."""

    def status_or_none(self, c, name):
        try:
            return c.status(name, timeout_s=1.0)
        except grpc.RpcError:
            return None

    def start_cluster_a(self):
        a = self.new_cluster()
        acked = {}
        for i in range(10):
            key, value = "a-%d" % i, "a-value-%d" % i
            a.put_retry(None, key, value)
            acked[key] = value
        sts = a.statuses(a.names)
        members = {m.id: m.address for m in sts[a.names[0]].members}
        cluster_id = sts[a.names[0]].cluster_id
        terms = {n: st.term for n, st in sts.items()}
        return a, acked, members, cluster_id, terms

    def check_a_intact(self, a, acked, members, cluster_id):
        a.check_running(a.names)
        a.wait_for_leader()
        sts = a.statuses(a.names)
        for name in a.names:
            self.assertEqual({m.id: m.address for m in sts[name].members}, members,
                             "cluster A's members changed on %s" % name)
            self.assertEqual(sts[name].cluster_id, cluster_id)
        for key, value in acked.items():
            got = a.get_retry(a.names[0], key)
            self.assertEqual((got.found, got.value), (True, value), "cluster A lost %r" % key)
        a.put_retry(None, "a-after", "still-serving")

    def read_log(self, path):
        with open(path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def mix_up_lines(self, text, others):
        """Lines that mention a cluster and one of `others` (names, addresses, ids)."""
        return [
            line for line in log_messages(text)
            if re.search(r"cluster", line, re.IGNORECASE) and any(o in line for o in others)
        ]

    def check_b_apart(self, a, b, a_cluster_id, a_members, a_target):
        """Each of B's nodes exited 1 or stays outside A; both sides logged it."""
        deadline = time.monotonic() + EXIT_TIMEOUT_S
        for name in b.names:
            node = b.node(name)
            while node.alive() and time.monotonic() < deadline:
                time.sleep(0.2)
        # Names both clusters use prove nothing.
        a_marks = [n for n in a_members if n not in b.names] + list(a_members.values()) + [
            a_cluster_id
        ]
        b_marks = [n for n in b.names if n not in a_members] + [b.node(n).address for n in b.names]
        for name in b.names:
            node = b.node(name)
            text = self.read_log(node.log_path)
            if node.alive():
                st = self.status_or_none(b, name)
                if st is not None:
                    self.assertNotEqual(st.cluster_id, a_cluster_id,
                                        "B's %s adopted A's cluster id" % name)
                    self.assertNotIn(a_target, [m.id for m in st.members])
                with self.assertRaises(grpc.RpcError, msg="B's %s accepted a write" % name):
                    b.put(name, "b-write", "must-not-land", timeout_s=2.0)
            else:
                self.assertEqual(node.proc.returncode, 1, "B's %s: %s\n%s" %
                                 (name, node.state(), text[-2000:]))
            lines = self.mix_up_lines(text, a_marks)
            self.assertTrue(lines, "B's %s logs no line naming cluster A (%s):\n%s" %
                            (name, a_marks, text[-3000:]))
            sys.stderr.write("[rogue] B's %s: %s\n" % (name, lines[0]))
        got = a.get_retry(a.names[0], "b-write")
        self.assertFalse(got.found, "a write through B landed in A")
        a_text = "\n".join(self.read_log(a.node(n).log_path) for n in a.names)
        lines = self.mix_up_lines(a_text, b_marks)
        self.assertTrue(lines, "no node of A logs a line naming B's nodes %s and the word "
                        "cluster" % b_marks)
        sys.stderr.write("[rogue] A: %s\n" % lines[0])

    def start_cluster_b(self, a, names, a_target):
        """B's fresh nodes: --peers lists each other plus A's a_target."""
        b = self.new_cluster(start=False, size=len(names), names=names)
        for name in b.names:
            b.node(name).extra_peers = [a.node(a_target).address]
        for name in b.names:
            b.start(name)
        return b

    def test_overlapping_clusters_stay_apart(self):
        a, acked, members, cid, terms = self.start_cluster_a()
        b = self.start_cluster_b(a, ["b1", "b2"], "node1")
        self.check_b_apart(a, b, cid, members, "node1")
        self.check_a_intact(a, acked, members, cid)

    def test_overlapping_clusters_with_the_same_names_stay_apart(self):
        """B's nodes are named node1 and node2 too, but live elsewhere."""
        a, acked, members, cid, terms = self.start_cluster_a()
        b = self.start_cluster_b(a, ["node1", "node2"], "node3")
        self.check_b_apart(a, b, cid, members, "node3")
        self.check_a_intact(a, acked, members, cid)

    def test_foreign_cluster_is_refused_while_another_peer_is_down(self):
        """A fresh node whose first peer never answers still asks the others
        (the contract: Hello is asked of every peer at first start), so an
        established foreign cluster among them is refused, not waited out."""
        a, acked, members, cid, terms = self.start_cluster_a()
        data_dir = cluster.make_temp_dir("raft-rogue-lone-")
        self.addCleanup(cluster.remove_temp_dir, data_dir)
        down = "localhost:%d" % cluster.free_port()
        args = [
            a.binary, "--node-id", "c1", "--port", str(cluster.free_port()), "--peers",
            down + "," + members["node1"], "--data-dir", data_dir + "/c1", "--heartbeat-ms", "50",
            "--election-ms", "500", "--log-level", "info"
        ]
        run = cluster.run_once(args, timeout_s=EXIT_TIMEOUT_S)
        self.attach_text("fresh c1 with a dead peer and A's node1", run.describe())
        self.assertEqual(run.returncode, 1, "c1 must refuse cluster %s (exit 1) although %s is "
                         "down\n%s" % (cid, down, run.describe()))
        lines = self.mix_up_lines(run.stdout + run.stderr, [cid, members["node1"], "node1"])
        self.assertTrue(lines, "c1's refusal should name cluster A\n" + run.describe())
        self.check_a_intact(a, acked, members, cid)

    def test_name_of_a_live_member_is_refused(self):
        """A fresh node named node2 while A's node2 lives: refused at once
        whichever peer answers first (node2 itself: "a peer with my own
        name"; node1: "an established cluster that has node2 elsewhere")."""
        a, acked, members, cid, terms = self.start_cluster_a()
        taken = re.compile(r"node2.*(already|another|belongs|cluster|own name)|"
                           r"(already|another|belongs|cluster|own name).*node2", re.IGNORECASE)
        for first in ("node2", "node1"):
            data_dir = cluster.make_temp_dir("raft-rogue-dup-")
            self.addCleanup(cluster.remove_temp_dir, data_dir)
            peers = [members[first]] + [members[n] for n in sorted(members) if n != first]
            args = [
                a.binary, "--node-id", "node2", "--port", str(cluster.free_port()), "--peers",
                ",".join(peers), "--data-dir", data_dir + "/node2", "--heartbeat-ms", "50",
                "--election-ms", "500", "--log-level", "info"
            ]
            run = cluster.run_once(args, timeout_s=EXIT_TIMEOUT_S)
            self.attach_text("second node2, %s's address first" % first, run.describe())
            self.assertEqual(run.returncode, 1, "a second node2 (%s first in --peers) must exit "
                             "1\n%s" % (first, run.describe()))
            lines = [line for line in log_messages(run.stdout + run.stderr) if taken.search(line)]
            self.assertTrue(lines, "the refusal should say node2 is taken\n" + run.describe())
            sys.stderr.write("[rogue] second node2, %s first: %s (%.1f s)\n" %
                             (first, lines[0], run.elapsed_s))
        self.check_a_intact(a, acked, members, cid)

    def test_restart_on_another_port_is_refused(self):
        a, acked, members, cid, terms = self.start_cluster_a()
        a.stop("node3")
        node = a.node("node3")
        args = a.args("node3")
        new_port = cluster.free_port()
        args[args.index("--port") + 1] = str(new_port)
        run = cluster.run_once(args, timeout_s=EXIT_TIMEOUT_S)
        self.attach_text("node3 on another port", run.describe())
        self.assertEqual(run.returncode, 1, "node3 on port %d (recorded %s) must exit 1\n%s" %
                         (new_port, node.address, run.describe()))
        output = run.stdout + run.stderr
        sys.stderr.write("[rogue] node3 on another port: %s\n" % output.strip().splitlines()[-1:])
        self.assertIn(str(node.port), output, "the refusal should name the recorded port")
        self.assertRegex(output, r"--port|--advertise-host|--data-dir",
                         "the refusal should say which flag to change\n" + run.describe())
        a.restart("node3")
        self.check_a_intact(a, acked, members, cid)


if __name__ == "__main__":
    cluster.main()
