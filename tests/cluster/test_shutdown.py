#!/usr/bin/python3
"""Calls cut off by shutdown: a client whose call is still in flight when a
node drains and stops hears UNAVAILABLE saying the node is shutting down
(retry elsewhere), never a bare CANCELLED, both for a write the node holds
itself (a leader that cannot commit) and for one it forwarded to a leader
that does not answer.

Run: /usr/bin/python3 tests/cluster/test_shutdown.py [-k pattern]
"""

import os
import signal
import sys
import time

sys.dont_write_bytecode = True

import grpc  # noqa: E402

import cluster  # noqa: E402

# Long enough that only the shutdown can end the calls (the node's own
# --request-timeout-ms is 5 s, its drain 3 s).
CALL_TIMEOUT_S = 30.0
# The node exits within its 3 s drain plus a margin for a loaded machine.
EXIT_TIMEOUT_S = 10.0
CALLS = 4


class ShutdownTest(cluster.ClusterTestCase):

    def freeze(self, c, name):
        """SIGSTOP: the node neither answers nor fails its connections."""
        os.kill(c.node(name).proc.pid, signal.SIGSTOP)
        self.addCleanup(self.thaw, c, name)

    @staticmethod
    def thaw(c, name):
        if c.node(name).alive():
            os.kill(c.node(name).proc.pid, signal.SIGCONT)

    def start_puts(self, c, name, prefix):
        """CALLS Puts to `name` on a connected channel, as futures."""
        channel = grpc.insecure_channel("127.0.0.1:%d" % c.node(name).port,
                                        options=cluster.CHANNEL_OPTIONS)
        self.addCleanup(channel.close)
        grpc.channel_ready_future(channel).result(timeout=cluster.RPC_TIMEOUT_S)
        stub = cluster.stubs().pb_grpc.KeyValueServiceStub(channel)
        pb = cluster.stubs().pb
        return [stub.Put.future(pb.PutRequest(key="%s-%d" % (prefix, i), value="v"),
                                timeout=CALL_TIMEOUT_S) for i in range(CALLS)]

    def assert_cut_off_by_shutdown(self, futures, what):
        for i, future in enumerate(futures):
            try:
                response = future.result(timeout=EXIT_TIMEOUT_S)
            except grpc.FutureTimeoutError:
                self.fail("%s: call %d did not end within %.0f s of the node's exit" %
                          (what, i, EXIT_TIMEOUT_S))
            except grpc.RpcError as e:
                self.assertEqual(e.code(), grpc.StatusCode.UNAVAILABLE,
                                 "%s: call %d ended with %s" % (what, i, cluster.rpc_error_text(e)))
                self.assertIn("shutting down", e.details(),
                              "%s: call %d: the message should say why" % (what, i))
                sys.stderr.write("[cluster] %s: %s\n" % (what, cluster.rpc_error_text(e)))
            else:
                self.fail("%s: call %d returned OK without a quorum: %r" % (what, i, response))

    def test_writes_pending_on_a_leader_without_quorum_get_unavailable(self):
        c = self.new_cluster()
        leader = c.wait_for_leader()
        c.put_retry(leader, "sd/warm-up", "x")
        for name in c.followers(leader):
            self.freeze(c, name)
        # Sent before the leader notices (an election timeout) that it lost
        # its quorum; an uncommitted proposal then stays pending.
        futures = self.start_puts(c, leader, "sd/pending")
        time.sleep(0.3)
        c.stop(leader, timeout_s=EXIT_TIMEOUT_S)
        self.assert_cut_off_by_shutdown(futures, "writes pending on %s at SIGTERM" % leader)

    def test_forwarded_writes_in_flight_get_unavailable(self):
        c = self.new_cluster()
        leader = c.wait_for_leader()
        follower = c.followers(leader)[0]
        c.put_retry(follower, "sd/warm-up-forward", "x")
        self.freeze(c, leader)
        # The follower still takes the frozen node for the leader (for an
        # election timeout) and forwards; the forwarded calls hang.
        futures = self.start_puts(c, follower, "sd/forwarded")
        time.sleep(0.3)
        started = time.monotonic()
        c.stop(follower, timeout_s=EXIT_TIMEOUT_S)
        self.assertLess(time.monotonic() - started, 5.0,
                        "%s should exit within its drain timeout with forwarded calls hanging" %
                        follower)
        self.assert_cut_off_by_shutdown(futures, "writes forwarded by %s to frozen %s at SIGTERM" %
                                        (follower, leader))


if __name__ == "__main__":
    cluster.main()
