#!/usr/bin/python3
"""Start-up failures: a port already in use, an unwritable data directory
and a data directory created by another node id make raft-server exit 1 with
a message on stderr naming the cause (for a port in use, exactly one line)
and leave no files behind that the failed start created; malformed flags
exit 2. A node whose
peers are not up yet answers ("starting", not serving) until they are, and
stops promptly meanwhile.

Run: /usr/bin/python3 tests/cluster/test_startup.py [-k pattern]
"""

import os
import re
import signal
import socket
import sys

sys.dont_write_bytecode = True

import cluster  # noqa: E402
import grpc  # noqa: E402

EXIT_TIMEOUT_S = 10.0


def tree(root):
    """{relative path: size or "dir"} of everything under root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            path = os.path.join(dirpath, f)
            out[os.path.relpath(path, root)] = os.path.getsize(path)
    return out


class StartupTest(cluster.ClusterTestCase):

    def setUp(self):
        self.binary = cluster.server_binary()
        if not os.access(self.binary, os.X_OK):
            self.fail("raft-server binary not found at %s (build it or set RAFT_SERVER)" %
                      self.binary)
        self.dir = cluster.make_temp_dir("raft-cluster-startup-")
        self.addCleanup(cluster.remove_temp_dir, self.dir)

    def server_args(self, port, data_dir, node_id="node1", extra=()):
        peers = ",".join("localhost:%d" % p for p in cluster.free_ports(2))
        return [self.binary, "--node-id", node_id, "--port", str(port), "--peers", peers,
                "--data-dir", data_dir, "--heartbeat-ms", "50", "--election-ms", "500",
                "--log-level", "info"] + list(extra)

    def run_server(self, args):
        run = cluster.run_once(args, timeout_s=EXIT_TIMEOUT_S, cwd=self.dir)
        self.attach_text("raft-server run", run.describe())
        return run

    def assert_startup_failure(self, run, cause_pattern, what, redact=None):
        """Exit 1 and stderr matching cause_pattern (with `redact`, e.g. a
        path that would match by itself, replaced first)."""
        self.assertIsNotNone(run.returncode, "%s: expected exit 1, but the server was still "
                             "running after %.0f s\n%s" % (what, EXIT_TIMEOUT_S, run.describe()))
        self.assertEqual(run.returncode, 1, "%s: expected exit code 1\n%s" %
                         (what, run.describe()))
        stderr = run.stderr.replace(redact, "<redacted>") if redact else run.stderr
        self.assertRegex(stderr, re.compile(cause_pattern, re.IGNORECASE),
                         "%s: stderr should name the cause (/%s/)\n%s" %
                         (what, cause_pattern, run.describe()))
        last_line = (run.stderr.strip().splitlines() or [""])[-1]
        sys.stderr.write("[cluster] %s -> exit 1: %s\n" % (what, last_line))

    def test_port_in_use_exits_1(self):
        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(holder.close)
        holder.bind(("0.0.0.0", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        data_dir = os.path.join(self.dir, "data", "node1")
        run = self.run_server(self.server_args(port, data_dir))
        what = "port %d held by another socket" % port
        self.assert_startup_failure(run, r"in use|eaddrinuse|bind|listen", what)
        self.assertIn(str(port), run.stderr, "%s: the message should name the port" % what)
        # One clear line, not gRPC's error dump.
        self.assertRegex(run.stderr, r"\Araft-server: cannot start: cannot listen on "
                         r"0\.0\.0\.0:%d: address already in use\n\Z" % port,
                         "%s: stderr should be exactly one line\n%s" % (what, run.describe()))
        # The failed start removed the data directory it created (lock, node
        # id, a preallocated WAL segment and its spare), and its new parent.
        self.assertFalse(os.path.exists(os.path.join(self.dir, "data")),
                         "%s: the failed start left %s behind: %s" %
                         (what, data_dir, sorted(tree(os.path.join(self.dir, "data")))))

    def test_failed_start_leaves_an_existing_data_dir_as_it_was(self):
        holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(holder.close)
        holder.bind(("0.0.0.0", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        # An empty directory made for the node, and one holding a file.
        empty = os.path.join(self.dir, "empty")
        os.mkdir(empty)
        occupied = os.path.join(self.dir, "occupied")
        os.makedirs(os.path.join(occupied, "notes"))
        with open(os.path.join(occupied, "notes", "keep.txt"), "w") as f:
            f.write("the user's\n")
        for data_dir in (empty, occupied):
            before = tree(data_dir)
            run = self.run_server(self.server_args(port, data_dir))
            self.assert_startup_failure(run, r"address already in use", "port %d in use" % port)
            self.assertEqual(tree(data_dir), before,
                             "a failed start on the existing %s should leave it as it was" %
                             data_dir)
        # A node that did start keeps its files when a later start fails.
        c = self.new_cluster()
        c.put_retry("node1", "startup/kept", "yes")
        c.stop("node1")
        data_dir = c.node("node1").data_dir
        before = tree(data_dir)
        squatter = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("0.0.0.0", c.node("node1").port))
        squatter.listen(1)
        run = self.run_server(c.args("node1"))
        squatter.close()
        self.assert_startup_failure(run, r"address already in use", "node1 restarted while "
                                    "another socket holds its port")
        self.assertEqual(tree(data_dir), before, "node1's data directory after a failed restart")
        c.restart("node1")
        self.assertEqual(c.get_retry("node1", "startup/kept").value, "yes")

    def test_data_dir_under_a_regular_file_exits_1(self):
        blocker = os.path.join(self.dir, "a-regular-file")
        with open(blocker, "w") as f:
            f.write("not a directory\n")
        data_dir = os.path.join(blocker, "data")
        run = self.run_server(self.server_args(cluster.free_port(), data_dir))
        self.assert_startup_failure(run, re.escape(data_dir) + r"|" + re.escape(blocker) +
                                    r"|not a directory|data.?dir",
                                    "data dir %s under a regular file" % data_dir)

    def test_data_dir_of_another_node_id_exits_1(self):
        c = self.new_cluster()
        c.stop("node1")
        run = self.run_server(c.args("node1", node_id="node2"))
        data_dir = c.node("node1").data_dir
        self.assert_startup_failure(run, r"\bnode1\b|node.?id|another node|belongs",
                                    "node2 started on node1's data dir %s" % data_dir,
                                    redact=data_dir)
        # The refused start left node1's data intact.
        c.restart("node1")
        c.wait_for_leader()
        c.put_retry("node1", "startup/after", "ok")
        self.assertEqual(c.get_retry("node1", "startup/after").value, "ok")

    def test_malformed_flags_exit_2(self):
        port = str(cluster.free_port())
        data_dir = os.path.join(self.dir, "data")
        base = ["--port", port, "--data-dir", data_dir]
        # (label, flags, what the error - the text before the usage - names)
        cases = [
            ("--port notanumber", ["--node-id", "node1", "--port", "notanumber",
                                   "--data-dir", data_dir], r"notanumber"),
            ("no --node-id", base, r"node.?id"),
            ("unknown flag --bogus", ["--node-id", "node1", "--bogus", "1"] + base, r"bogus"),
            ("--log-level loud", ["--node-id", "node1", "--log-level", "loud"] + base, r"loud"),
            ("--heartbeat-ms abc", ["--node-id", "node1", "--heartbeat-ms", "abc"] + base,
             r"abc"),
            ("--peers localhost (no port)", ["--node-id", "node1", "--peers", "localhost"] + base,
             r"peers|localhost"),
        ]
        for label, args, cause in cases:
            with self.subTest(label):
                run = cluster.run_once([self.binary] + args, timeout_s=EXIT_TIMEOUT_S,
                                       cwd=self.dir)
                self.assertEqual(run.returncode, 2, "%s: expected exit code 2\n%s" %
                                 (label, run.describe()))
                output = run.stdout + run.stderr
                usage = re.search(r"usage", output, re.IGNORECASE)
                self.assertIsNotNone(usage, "%s: expected the usage to be printed\n%s" %
                                     (label, run.describe()))
                self.assertRegex(output[:usage.start()], re.compile(cause, re.IGNORECASE),
                                 "%s: the error before the usage should name the flag or value"
                                 "\n%s" % (label, run.describe()))

    def test_node_waiting_for_its_peers_answers_until_they_come(self):
        c = self.new_cluster(start=False)
        first, *others = c.names
        # Alone at its first start: it cannot learn its peers' ids yet.
        c.start(first)
        status = c.wait_serving(first)
        self.assertEqual(status.role, "starting", "GetClusterStatus before the peers are up")
        with self.assertRaises(grpc.RpcError) as put:
            c.put(first, "k", "v", timeout_s=2.0)
        self.assertEqual(put.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertIn("starting", put.exception.details())
        not_serving = cluster.stubs().health.HealthCheckResponse.NOT_SERVING
        self.assertEqual(c.health(first).status, not_serving)
        early = c.health_watch(first)
        self.assertEqual(next(early).status, not_serving)
        early.cancel()
        with self.assertRaises(grpc.RpcError) as unknown:
            c.health(first, service="no.such.Service")
        self.assertEqual(unknown.exception.code(), grpc.StatusCode.NOT_FOUND)
        # Stops promptly while waiting, and starts again.
        self.assertLess(c.stop(first, timeout_s=10.0, sig=signal.SIGTERM), 5.0)
        c.start(first)
        c.wait_serving(first)
        # The peers arrive: a leader is elected and the first node serves; a
        # watch opened before sees the change.
        serving = cluster.stubs().health.HealthCheckResponse.SERVING
        watch = c.health_watch(first, timeout_s=30.0)
        self.assertEqual(next(watch).status, not_serving)
        for name in others:
            c.start(name)
        c.wait_for_leader()
        self.assertEqual(next(watch).status, serving, "Health/Watch after Raft started")
        watch.cancel()
        cluster.wait_until(lambda: c.health(first).status == serving,
                           10.0, "%s to report SERVING" % first)
        c.put(first, "k", "v")
        self.assertEqual(c.get(first, "k").value, "v")


if __name__ == "__main__":
    cluster.main()
