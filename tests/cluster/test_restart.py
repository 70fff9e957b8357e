#!/usr/bin/python3
"""Whole-cluster restarts and signals: every acknowledged write survives all
three nodes stopping (SIGTERM, exit 0) or crashing (SIGKILL) and starting
again from their data directories; SIGTERM and SIGINT drain and exit 0 in
under 5 s, with client traffic in flight and on a node without a quorum.

Run: /usr/bin/python3 tests/cluster/test_restart.py [-k pattern]
"""

import signal
import sys
import threading
import time

sys.dont_write_bytecode = True

import grpc  # noqa: E402

import cluster  # noqa: E402
from cluster import NotYet, wait_until  # noqa: E402

KEYS = 200
PROMPT_EXIT_S = 5.0


class RestartTest(cluster.ClusterTestCase):

    def write_workload(self, c):
        """~200 keys, a third via each node, then overwrites and deletes.

        Returns ({key: value or None}, highest acknowledged index).
        """
        expected = {}
        top_index = 0
        for i in range(KEYS):
            key, value = "rs/key-%03d" % i, "value-%03d" % i
            r = c.put_retry(c.names[i % 3], key, value)
            top_index = max(top_index, r.index)
            expected[key] = value
        for i in range(0, 20):
            key = "rs/key-%03d" % i
            r = c.put_retry(c.names[(i + 1) % 3], key, "overwritten-%03d" % i)
            top_index = max(top_index, r.index)
            expected[key] = "overwritten-%03d" % i
        for i in range(20, 30):
            key = "rs/key-%03d" % i
            session = c.next_session()
            via = c.names[(i + 2) % 3]
            r = c.call_with_retry(lambda t: c.delete(via, key, timeout_s=t, session=session),
                                  15.0, "Delete %r via %s" % (key, via))
            top_index = max(top_index, r.index)
            expected[key] = None
        return expected, top_index

    def check_everything_readable(self, c, expected, top_index):
        leader = c.wait_for_leader(timeout_s=15.0)

        def committed():
            st = c.status(leader)
            if st.commit_index < top_index:
                raise NotYet("%s commit_index %d" % (leader, st.commit_index))
            return True

        # A new leader commits everything before it with its first entry.
        wait_until(committed, 10.0, "the leader's commit index to reach the last acknowledged "
                   "write's index %d after the restart" % top_index)
        lost = []
        for i, (key, value) in enumerate(sorted(expected.items())):
            name = c.names[i % 3]
            got = c.get_retry(name, key)
            if (got.found, got.value) != ((value is not None), value or ""):
                lost.append("%s on %s: found=%s value=%r, expected %r" %
                            (key, name, got.found, got.value, value))
        self.assertEqual(lost, [], "%d of %d acknowledged writes wrong after restart:\n%s" %
                         (len(lost), len(expected), "\n".join(lost[:20])))
        for name in c.names:
            self.assert_stale_reads(c, name, expected)

    # 4. SIGTERM all, restart all.
    def test_all_stopped_with_sigterm_and_restarted_keep_every_write(self):
        c = self.new_cluster()
        leader = c.wait_for_leader()
        started = time.monotonic()
        expected, top_index = self.write_workload(c)
        sys.stderr.write("[cluster] %d writes in %.1f s\n" %
                         (KEYS + 30, time.monotonic() - started))
        # Followers first, then the leader; each must exit 0 promptly.
        for name in c.followers(leader) + [leader]:
            elapsed = c.stop(name)
            self.assertLess(elapsed, PROMPT_EXIT_S, "%s took %.2f s to exit after SIGTERM" %
                            (name, elapsed))
        for name in c.names:
            c.start(name)
        self.check_everything_readable(c, expected, top_index)

    def test_all_killed_with_sigkill_and_restarted_keep_every_write(self):
        c = self.new_cluster()
        c.wait_for_leader()
        expected, top_index = self.write_workload(c)
        for name in c.names:
            c.kill9(name)
        for name in c.names:
            c.start(name)
        self.check_everything_readable(c, expected, top_index)

    # 10. SIGTERM / SIGINT exit 0 promptly.
    def test_sigterm_and_sigint_exit_zero_promptly(self):
        c = self.new_cluster()
        leader = c.wait_for_leader()
        follower, last = c.followers(leader)
        pb = cluster.stubs().pb

        # Client traffic in flight through the last node while others stop.
        stop_writer = threading.Event()
        outcomes = {"ok": 0, "failed": 0}

        def writer():
            channel = grpc.insecure_channel("127.0.0.1:%d" % c.node(last).port,
                                            options=cluster.CHANNEL_OPTIONS)
            stub = cluster.stubs().pb_grpc.KeyValueServiceStub(channel)
            i = 0
            while not stop_writer.is_set():
                i += 1
                try:
                    stub.Put(pb.PutRequest(key="rs/bg-%d" % i, value="x"), timeout=1.0)
                    outcomes["ok"] += 1
                except grpc.RpcError:
                    outcomes["failed"] += 1
            channel.close()

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        try:
            wait_until(lambda: outcomes["ok"] >= 5, 10.0, "background writes to succeed")
            elapsed = c.stop(leader, timeout_s=10.0, sig=signal.SIGTERM)
            self.assertLess(elapsed, PROMPT_EXIT_S,
                            "leader %s exit after SIGTERM with writes in flight" % leader)
            c.wait_for_leader(timeout_s=10.0)
            elapsed = c.stop(follower, timeout_s=10.0, sig=signal.SIGINT)
            self.assertLess(elapsed, PROMPT_EXIT_S, "%s exit after SIGINT" % follower)
        finally:
            stop_writer.set()
            thread.join(10.0)
        self.assertFalse(thread.is_alive(), "background writer did not finish")

        # The last node has no quorum: a write with a long deadline may be
        # pending in it when SIGTERM arrives; it must still exit 0 promptly
        # and the write must not report success.
        # (Its own channel: stop() closes the harness's channel to the node.)
        channel = grpc.insecure_channel("127.0.0.1:%d" % c.node(last).port,
                                        options=cluster.CHANNEL_OPTIONS)
        self.addCleanup(channel.close)
        pending = cluster.stubs().pb_grpc.KeyValueServiceStub(channel).Put.future(
            pb.PutRequest(key="rs/pending", value="p"), timeout=30)
        time.sleep(0.5)
        elapsed = c.stop(last, timeout_s=10.0, sig=signal.SIGTERM)
        self.assertLess(elapsed, PROMPT_EXIT_S, "%s (no quorum, a write pending) exit after "
                        "SIGTERM" % last)
        try:
            response = pending.result(timeout=10)
        except grpc.RpcError as e:
            sys.stderr.write("[cluster] pending write on %s ended with %s\n" %
                             (last, cluster.rpc_error_text(e)))
        except grpc.FutureTimeoutError:
            self.fail("the pending write did not end within 10 s of %s exiting" % last)
        else:
            self.fail("a write on %s without a quorum returned OK: %r" % (last, response))


if __name__ == "__main__":
    cluster.main()
