#!/usr/bin/python3
"""One healthy 3-node cluster, shared by every test here: election and
membership, reads and writes through any node, Delete and CompareAndSwap,
the README's grpcurl calls, input validation (sizes, invalid UTF-8 and
unparsable bytes answered INVALID_ARGUMENT without a log line each), health
and reflection, and exactly-once retries with a client session.

Run: /usr/bin/python3 tests/cluster/test_basic.py [-k pattern]
"""

import random
import sys
import time

sys.dont_write_bytecode = True

import grpc  # noqa: E402

import cluster  # noqa: E402
from cluster import NotYet, is_leader_role, wait_until  # noqa: E402

MAX_KEY_BYTES = 65536
MAX_VALUE_BYTES = 1048576
PROGRESS_STATES = ("probe", "replicate", "snapshot")


def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def wire(field, data):
    """One length-delimited protobuf field (a string, bytes or message)."""
    return varint(field << 3 | 2) + varint(len(data)) + data


class BasicClusterTest(cluster.ClusterTestCase):

    @classmethod
    def setUpClass(cls):
        cls.c = cls.start_class_cluster()

    def leader_and_followers(self):
        leader = self.c.wait_for_leader()
        return leader, self.c.followers(leader)

    # 1. Election and membership.
    def test_elects_exactly_one_leader_and_all_agree(self):
        c = self.c
        leader = c.wait_for_leader()
        # Several snapshots: never two leaders in one term (Election Safety);
        # the last one must be a settled cluster.
        # (A node that does not answer within the RPC deadline on a loaded
        # machine is left out of that snapshot; settled() below needs all.)
        for _ in range(10):
            sts = c.statuses(c.names)
            summary = c.summarize(sts)
            by_term = {}
            for name, st in sts.items():
                if isinstance(st, str):
                    continue
                self.assertEqual(st.node_id, name, "node_id must be the --node-id: " + summary)
                if is_leader_role(st.role):
                    by_term.setdefault(st.term, []).append(name)
            for term, names in by_term.items():
                self.assertEqual(len(names), 1,
                                 "two leaders in term %d: %s" % (term, summary))
            time.sleep(0.1)

        def settled():
            sts = c.statuses(c.names)
            summary = c.summarize(sts)
            if any(isinstance(st, str) for st in sts.values()):
                raise NotYet(summary)
            leaders = [n for n, st in sts.items() if is_leader_role(st.role)]
            terms = {st.term for st in sts.values()}
            agreed = {st.leader_id for st in sts.values()}
            if len(leaders) != 1 or len(terms) != 1 or agreed != set(leaders):
                raise NotYet(summary)
            return sts

        sts = wait_until(settled, 10.0, "one leader, one term, all agreeing")
        leader = next(n for n, st in sts.items() if is_leader_role(st.role))
        for name, st in sts.items():
            self.assertEqual(st.leader_address, c.node(leader).address,
                             "%s: leader_address of %s should be %s" %
                             (name, leader, c.node(leader).address))

        # The leader lists every member with its address and match index.
        expected = {n: c.node(n).address for n in c.names}

        def members_replicated():
            st = c.status(leader)
            got = {m.id: m.address for m in st.members}
            if len(st.members) != 3 or got != expected:
                raise NotYet("leader %s lists members %s, expected ids and addresses %s" %
                             (leader, [(m.id, m.address) for m in st.members], expected))
            lagging = [(m.id, m.match_index) for m in st.members if m.match_index == 0]
            if lagging:
                raise NotYet("members with match_index 0: %s" % lagging)
            bad_progress = [(m.id, m.progress) for m in st.members if m.id != leader and
                            not any(p in m.progress.lower() for p in PROGRESS_STATES)]
            if bad_progress:
                raise NotYet("followers' progress not probe/replicate/snapshot: %s" %
                             bad_progress)
            if st.commit_index < 1:
                raise NotYet("leader commit_index %d (its no-op not committed)" %
                             st.commit_index)
            return st

        wait_until(members_replicated, 10.0,
                   "leader %s to report every member with match_index > 0 and a commit "
                   "index >= 1" % leader)

    # 2. Writes through leader and follower, read from every node.
    def test_writes_via_leader_and_follower_are_read_back_on_every_node(self):
        c = self.c
        leader, followers = self.leader_and_followers()
        r1 = c.put_retry(leader, "basic/via-leader", "L1")
        r2 = c.put_retry(followers[0], "basic/via-follower", "F1")
        self.assertGreater(r1.index, 0, "PutResponse.index of a committed write")
        self.assertGreater(r2.index, r1.index, "a later write commits at a later index")
        expected = {"basic/via-leader": "L1", "basic/via-follower": "F1"}

        # Linearizable: every node must see both acknowledged writes at once.
        for name in c.names:
            for key, value in expected.items():
                got = c.get_retry(name, key)
                self.assertTrue(got.found, "linearizable Get %r on %s after an acknowledged Put: "
                                "expected found, got not found" % (key, name))
                self.assertEqual(got.value, value, "linearizable Get %r on %s" % (key, name))
                self.assertGreaterEqual(got.index, r1.index if key.endswith("leader")
                                        else r2.index,
                                        "Get on %s served at an applied index before the write "
                                        "it returns" % name)

        # Stale reads converge on every node.
        for name in c.names:
            def converged(name=name):
                for key, value in expected.items():
                    got = c.get(name, key, stale=True, timeout_s=1.0)
                    if not got.found or got.value != value:
                        raise NotYet("stale Get %r on %s: found=%s value=%r" %
                                     (key, name, got.found, got.value))
                return True
            wait_until(converged, 10.0, "stale reads on %s to show both writes" % name)

        # An overwrite through the other follower is seen by a linearizable
        # read on the leader immediately.
        c.put_retry(followers[1], "basic/via-leader", "L2")
        got = c.get_retry(leader, "basic/via-leader")
        self.assertEqual((got.found, got.value), (True, "L2"),
                         "linearizable Get on leader after overwrite via %s" % followers[1])

    def test_missing_key_and_empty_value(self):
        c = self.c
        leader, followers = self.leader_and_followers()
        for name in c.names:
            for stale in (False, True):
                got = c.get_retry(name, "basic/never-written", stale=stale)
                self.assertFalse(got.found, "Get of a missing key on %s (stale=%s) must be OK "
                                 "with found=false" % (name, stale))
                self.assertEqual(got.value, "")
        c.put_retry(followers[0], "basic/empty", "")
        for name in c.names:
            got = c.get_retry(name, "basic/empty")
            self.assertEqual((got.found, got.value), (True, ""),
                             "an empty value on %s: expected found=true value=''" % name)

    def test_delete_and_compare_and_swap(self):
        c = self.c
        leader, followers = self.leader_and_followers()
        c.put_retry(leader, "basic/del", "v")
        d = c.delete(followers[0], "basic/del")
        self.assertTrue(d.deleted, "Delete of an existing key via a follower: deleted=true")
        for name in c.names:
            self.assertFalse(c.get_retry(name, "basic/del").found,
                             "linearizable Get on %s after Delete" % name)
        d = c.delete(leader, "basic/del")
        self.assertFalse(d.deleted, "Delete of a missing key: OK with deleted=false")

        key = "basic/cas-%d" % random.getrandbits(32)
        r = c.cas(followers[1], key, "x", expected=None)
        self.assertEqual((r.swapped, r.found), (True, False), "CAS expect_absent on a new key")
        r = c.cas(leader, key, "z", expected=None)
        self.assertEqual((r.swapped, r.found, r.current_value), (False, True, "x"),
                         "CAS expect_absent on an existing key must not swap")
        r = c.cas(followers[0], key, "z", expected="wrong")
        self.assertEqual((r.swapped, r.found, r.current_value), (False, True, "x"),
                         "CAS with a wrong expected value must not swap")
        r = c.cas(followers[0], key, "y", expected="x")
        self.assertEqual((r.swapped, r.found, r.current_value), (True, True, "x"),
                         "CAS with the right expected value")
        for name in c.names:
            got = c.get_retry(name, key)
            self.assertEqual((got.found, got.value), (True, "y"), "Get after CAS on %s" % name)

    # 6. The README's three calls, against each node.
    def test_readme_calls_on_each_node(self):
        c = self.c
        pb = cluster.stubs().pb
        c.wait_for_leader()
        for name in c.names:
            stub = c.stub(name)
            st = stub.GetClusterStatus(pb.GetClusterStatusRequest(), timeout=5)
            self.assertEqual(st.node_id, name)
            self.assertIn(st.leader_id, c.names, "GetClusterStatus on %s names a leader" % name)
            stub.Put(pb.PutRequest(key="foo", value="bar"), timeout=5)
            got = stub.Get(pb.GetRequest(key="foo"), timeout=5)
            self.assertEqual((got.found, got.value), (True, "bar"), "Get foo on %s" % name)

    # 7. Bad input, unknown methods, health, reflection.
    def test_empty_key_is_invalid_argument(self):
        c = self.c
        leader, followers = self.leader_and_followers()
        invalid = grpc.StatusCode.INVALID_ARGUMENT
        for name in (leader, followers[0]):
            self.assertRpcCode(invalid, lambda: c.put(name, "", "v"), "Put empty key on " + name)
            self.assertRpcCode(invalid, lambda: c.get(name, ""), "Get empty key on " + name)
            self.assertRpcCode(invalid, lambda: c.get(name, "", stale=True),
                               "stale Get empty key on " + name)
            self.assertRpcCode(invalid, lambda: c.delete(name, ""), "Delete empty key on " + name)
            self.assertRpcCode(invalid, lambda: c.cas(name, "", "v"), "CAS empty key on " + name)

    def test_size_limits_and_still_serving_after(self):
        c = self.c
        leader, followers = self.leader_and_followers()
        invalid = grpc.StatusCode.INVALID_ARGUMENT
        big_value = "v" * (MAX_VALUE_BYTES + 1)
        big_key = "k" * (MAX_KEY_BYTES + 1)
        for name in (followers[0], leader):
            e = self.assertRpcCode(invalid, lambda: c.put(name, "basic/big", big_value),
                                   "Put of a %d-byte value on %s" % (len(big_value), name))
            # README: "the message names the limit and its flag".
            self.assertIn("max-value-bytes", e.details(), "INVALID_ARGUMENT message")
            e = self.assertRpcCode(invalid, lambda: c.put(name, big_key, "v"),
                                   "Put of a %d-byte key on %s" % (len(big_key), name))
            self.assertIn("max-key-bytes", e.details(), "INVALID_ARGUMENT message")
            self.assertRpcCode(invalid, lambda: c.get(name, big_key),
                               "Get of a %d-byte key on %s" % (len(big_key), name))
            self.assertRpcCode(invalid, lambda: c.cas(name, "basic/big", big_value, "x"),
                               "CAS to a %d-byte value on %s" % (len(big_value), name))
        self.assertEqual(c.get_retry(leader, "basic/big").found, False,
                         "a rejected Put must not be applied")
        # Exactly at the limits is accepted.
        c.put_retry(followers[1], "basic/max-value", "m" * MAX_VALUE_BYTES, timeout_s=30.0)
        c.put_retry(leader, "k" * MAX_KEY_BYTES, "max-key", timeout_s=30.0)
        got = c.get_retry(followers[0], "basic/max-value")
        self.assertEqual((got.found, len(got.value)), (True, MAX_VALUE_BYTES),
                         "Get of a value of exactly --max-value-bytes")
        # Every node still serves.
        for name in c.names:
            c.put_retry(name, "basic/after-limits", name)
            got = c.get_retry(name, "basic/after-limits")
            self.assertEqual(got.value, name, "read back on %s after rejected requests" % name)

    # Hand-made request bytes: what a generated client cannot send.
    def raw_call(self, name, method, payload):
        call = self.c.channel(name).unary_unary("/raft.KeyValueService/" + method,
                                                request_serializer=None,
                                                response_deserializer=None)
        return call(payload, timeout=cluster.RPC_TIMEOUT_S, wait_for_ready=True)

    def test_invalid_utf8_is_invalid_argument_naming_the_field(self):
        c = self.c
        leader, followers = self.leader_and_followers()
        bad, good = b"ab\xffcd", "basic/utf8".encode()
        # (method, request bytes, the field the message must name)
        cases = [
            ("Put", wire(1, bad) + wire(2, b"v"), "key"),
            ("Put", wire(1, good) + wire(2, b"\xc0\xaf"), "value"),  # overlong "/"
            ("Get", wire(1, bad), "key"),
            ("Delete", wire(1, b"\xed\xa0\x80"), "key"),  # a UTF-16 surrogate
            ("CompareAndSwap", wire(1, good) + wire(2, bad) + wire(4, b"v"), "expected_value"),
            ("CompareAndSwap", wire(1, good) + wire(4, b"v\xf4\x90\x80\x80"), "value"),
        ]
        for name in (leader, followers[0]):
            for method, payload, field in cases:
                what = "%s with invalid UTF-8 in %s on %s" % (method, field, name)
                e = self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT,
                                       lambda: self.raw_call(name, method, payload), what)
                self.assertRegex(e.details(), r"^%s is not valid UTF-8" % field, what)
        self.assertFalse(c.get_retry(leader, "basic/utf8").found,
                         "a refused Put must not be applied")
        # Valid UTF-8 of every length goes through, by stub and by hand.
        key, value = "basic/utf8-ключ-\u00fc-\u20ac", "\U0001f600 \u00e9t\u00e9"
        c.put_retry(followers[1], key, value)
        self.assertEqual(c.get_retry(leader, key).value, value)
        reply = cluster.stubs().pb.GetResponse.FromString(
            self.raw_call(followers[0], "Get", wire(1, key.encode())))
        self.assertEqual((reply.found, reply.value), (True, value), "raw Get via a follower")

    def test_unparsable_request_is_invalid_argument(self):
        c = self.c
        leader, followers = self.leader_and_followers()
        garbage = [b"\xff\xff\xff\xff", b"\x0a\x05ab", b"\x0a"]  # bad tag; truncated fields
        for name in (leader, followers[0]):
            for method in ("Put", "Get", "Delete", "CompareAndSwap", "GetClusterStatus"):
                for payload in garbage:
                    what = "%s with request bytes %r on %s" % (method, payload, name)
                    e = self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT,
                                           lambda: self.raw_call(name, method, payload), what)
                    self.assertEqual(e.details(), "request does not parse as raft.%sRequest" %
                                     method, what)

    def test_bad_requests_do_not_log_a_line_each(self):
        c = self.c
        leader = c.wait_for_leader()
        log_path = c.node(leader).log_path
        c.put_retry(leader, "basic/before-flood", "x")  # the log settles
        with open(log_path, "rb") as f:
            before = f.read().count(b"\n")
        for i in range(200):
            payload = wire(1, b"\xfe%d" % i) if i % 2 else b"\xff\xff\xff"
            method = ("Put", "Get", "Delete", "CompareAndSwap")[i % 4]
            self.assertRpcCode(grpc.StatusCode.INVALID_ARGUMENT,
                               lambda: self.raw_call(leader, method, payload), "bad request %d" % i)
        # A service the node does not parse itself: libprotobuf complains
        # about each request, and the node's log takes a line per 10 s.
        check = c.channel(leader).unary_unary("/grpc.health.v1.Health/Check",
                                              request_serializer=None,
                                              response_deserializer=None)
        for i in range(100):
            with self.assertRaises(grpc.RpcError, msg="Health/Check with invalid UTF-8"):
                check(wire(1, b"svc\xff%d" % i), timeout=cluster.RPC_TIMEOUT_S)
        c.put_retry(leader, "basic/after-flood", "x")
        with open(log_path, "rb") as f:
            grown = f.read().count(b"\n") - before
        self.assertLessEqual(grown, 5, "%s's log grew by %d lines for 300 bad requests" %
                             (leader, grown))

    def test_unknown_method_and_service_are_unimplemented(self):
        c = self.c
        for name in c.names:
            for path in ("/raft.KeyValueService/Nope", "/raft.NoSuchService/Put"):
                call = c.channel(name).unary_unary(path)
                self.assertRpcCode(grpc.StatusCode.UNIMPLEMENTED, lambda: call(b"", timeout=5),
                                   "%s on %s" % (path, name))

    def test_health_check_serving_on_every_node(self):
        c = self.c
        serving = cluster.stubs().health.HealthCheckResponse.SERVING
        for name in c.names:
            r = c.health(name)
            self.assertEqual(r.status, serving,
                             "grpc.health.v1.Health/Check(\"\") on %s: expected SERVING, got %s" %
                             (name, r.status))

    def test_health_watch_sends_the_status_and_unknown_services(self):
        c = self.c
        health = cluster.stubs().health.HealthCheckResponse
        name = c.names[0]
        for service, expected in (("", health.SERVING),
                                  ("raft.KeyValueService", health.SERVING),
                                  ("no.such.Service", health.SERVICE_UNKNOWN)):
            watch = c.health_watch(name, service=service)
            first = next(watch)
            watch.cancel()
            self.assertEqual(first.status, expected,
                             "Health/Watch(%r) on %s: first status" % (service, name))

    def test_reflection_lists_the_services(self):
        c = self.c
        for name in c.names:
            services = c.list_services(name)
            for expected in ("raft.KeyValueService", "grpc.health.v1.Health"):
                self.assertIn(expected, services, "server reflection on %s" % name)

    def test_reflection_describes_the_requests_as_raft_proto_does(self):
        # grpcurl encodes JSON by what reflection says: the requests must be
        # raft.proto's, with string keys and values (the node reads them as
        # bytes internally; clients never see that).
        from google.protobuf import descriptor_pb2
        string = descriptor_pb2.FieldDescriptorProto.TYPE_STRING
        c = self.c
        files = c.describe_symbol(c.names[0], "raft.KeyValueService")
        self.assertIn("raft.proto", files, "reflection returned %s" % sorted(files))
        raft_proto = files["raft.proto"]
        service = next(sv for sv in raft_proto.service if sv.name == "KeyValueService")
        inputs = {m.name: m.input_type for m in service.method}
        self.assertEqual(inputs["Put"], ".raft.PutRequest")
        self.assertEqual(inputs["CompareAndSwap"], ".raft.CompareAndSwapRequest")
        messages = {m.name: {f.name: f.type for f in m.field} for m in raft_proto.message_type}
        for message, field in (("PutRequest", "key"), ("PutRequest", "value"),
                               ("GetRequest", "key"), ("DeleteRequest", "key"),
                               ("CompareAndSwapRequest", "expected_value"),
                               ("GetResponse", "value")):
            self.assertEqual(messages[message][field], string,
                             "raft.%s.%s over reflection" % (message, field))

    # 8. A retried write with the same session is applied once.
    def test_session_retry_is_applied_once(self):
        c = self.c
        leader, followers = self.leader_and_followers()
        cid = random.getrandbits(62) + 1
        key = "basic/session-%d" % cid
        first = c.put(followers[0], key, "a", session=(cid, 1))
        c.put(leader, key, "b")
        retry = c.put(followers[1], key, "a", session=(cid, 1))
        for name in c.names:
            got = c.get_retry(name, key)
            self.assertEqual(got.value, "b", "on %s: retried Put (client %d, seq 1) was applied "
                             "again over a later Put" % (name, cid))
        self.assertEqual(retry.index, first.index,
                         "the retried Put is answered with the original's index")
        c.put(leader, key, "c", session=(cid, 2))
        self.assertEqual(c.get_retry(leader, key).value, "c", "the next sequence applies")

        d1 = c.delete(followers[1], key, session=(cid, 3))
        self.assertTrue(d1.deleted)
        c.put(followers[0], key, "d")
        d2 = c.delete(leader, key, session=(cid, 3))
        self.assertTrue(d2.deleted, "a retried Delete returns the first attempt's deleted=true")
        got = c.get_retry(followers[0], key)
        self.assertEqual((got.found, got.value), (True, "d"),
                         "retried Delete (client %d, seq 3) was applied again" % cid)

    def test_session_sequence_reused_for_another_command_is_refused(self):
        c = self.c
        leader, followers = self.leader_and_followers()
        cid = random.getrandbits(62) + 1
        key = "basic/session-reuse-%d" % cid
        c.put(followers[0], key, "a", session=(cid, 1))
        for name in (leader, followers[1]):
            e = self.assertRpcCode(grpc.StatusCode.FAILED_PRECONDITION,
                                   lambda: c.delete(name, key, session=(cid, 1)),
                                   "Delete reusing the (client, sequence) of a Put, via " + name)
            self.assertIn("already used for a different command", e.details())
        for name in c.names:
            got = c.get_retry(name, key)
            self.assertEqual((got.found, got.value), (True, "a"),
                             "on %s: the refused Delete must leave the key" % name)
        retry = c.put(leader, key, "a", session=(cid, 1))
        self.assertGreater(retry.index, 0, "the same Put retried is still answered")

    def test_session_sequence_ahead_of_the_log_is_refused(self):
        c = self.c
        leader, _ = self.leader_and_followers()
        cid = random.getrandbits(62) + 1
        key = "basic/session-ahead-%d" % cid
        e = self.assertRpcCode(grpc.StatusCode.FAILED_PRECONDITION,
                               lambda: c.put(leader, key, "a", session=(cid, 1 << 60)),
                               "Put with a sequence far above the log index")
        self.assertIn("above the log index", e.details())
        self.assertFalse(c.get_retry(leader, key).found, "the refused Put was not applied")


if __name__ == "__main__":
    cluster.main()
