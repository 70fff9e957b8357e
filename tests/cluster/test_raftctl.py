#!/usr/bin/python3
"""raftctl's client commands against a real 3-node cluster: put, get (a
missing key exits 1), del, status (names the leader), and the exit codes for
a rejected argument (2) and an unreachable cluster (3), as documented at the
top of cmd/raftctl.cc.

`raftctl check` (and `dump`) on crafted data directories: each exit code of
its table (0 ok, 1 torn tail, 2 damaged or repairing, 3 missing / empty /
not a WAL, 4 unreadable, 5 refused, 64 usage) with the finding that names
the file and offset, on WALs written here in the on-disk format of
core/storage/wal_record.h and wal_meta.h, and on a real node's directory.
The directory is never modified.

Skipped when raftctl ($RAFTCTL, else build/cmd/raftctl) is missing or its
--help does not list `put` (the client commands are not built yet) or
`check`.

Run: /usr/bin/python3 tests/cluster/test_raftctl.py [-k pattern]
"""

import hashlib
import os
import re
import shutil
import struct
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


def check_skip_reason():
    reason = raftctl_skip_reason()
    if reason:
        return reason
    run = cluster.run_once([cluster.raftctl_binary(), "--help"], timeout_s=10.0)
    if not re.search(r"^\s*check\b", run.stdout + run.stderr, re.MULTILINE):
        return "`raftctl --help` does not list check"
    return None


# --------------------------------------------------------------------------
# The WAL's on-disk format (core/storage/wal_record.h, wal_meta.h), enough to
# write a healthy multi-segment log that tests then damage.


def _crc32c_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


WAL_MAGIC = 0x314C415754464152  # "RAFTWAL1"
META_MAGIC = 0x4154454D54464152  # "RAFTMETA"
SEGMENT_HEADER, ENTRY, HARD_STATE = 1, 2, 3


def record(kind, payload):
    """One framed record: length u32, crc32c u32 (of type + payload), type u8."""
    typed = bytes([kind]) + payload
    return struct.pack("<II", len(payload), crc32c(typed)) + typed


def segment_name(seq, first_index):
    return "wal-%016x-%016x.log" % (seq, first_index)


def write_wal(wal_dir, segments=3, entries_per_segment=4, term=2):
    """A healthy version-2 WAL: chained segments of entries, a hard state in
    each, and the metadata file. Returns [(name, [record offsets])]."""
    os.makedirs(wal_dir, exist_ok=True)
    written, prev_crc, index = [], 0, 1
    for seq in range(1, segments + 1):
        name = segment_name(seq, index)
        records = [record(SEGMENT_HEADER, struct.pack("<QIQQIQ", WAL_MAGIC, 2, seq, index,
                                                      prev_crc, 0))]
        for _ in range(entries_per_segment):
            records.append(record(ENTRY, struct.pack("<QQB", term, index, 0) +
                                  b"command-%d" % index))
            index += 1
        records.append(record(HARD_STATE, struct.pack("<QQQ", term, 1, index - 1)))
        offsets, data = [], b""
        for r in records:
            offsets.append(len(data))
            data += r
        with open(os.path.join(wal_dir, name), "wb") as f:
            f.write(data)
        prev_crc = struct.unpack_from("<I", records[-1], 4)[0]
        written.append((name, offsets))
    write_meta(wal_dir, term=term, acked_index=index - 1, last_segment=segments)
    return written


def write_meta(wal_dir, term, acked_index, last_segment, repair_target=None):
    body = struct.pack("<QIQ", META_MAGIC, 1, 0) + struct.pack("<I", 0)  # node 0, no cluster id
    body += struct.pack("<QQQQBQ", term, 1, acked_index, last_segment,
                        1 if repair_target is not None else 0, repair_target or 0)
    with open(os.path.join(wal_dir, "meta"), "wb") as f:
        f.write(body + struct.pack("<I", crc32c(body)))


def tree_digest(path):
    """Names, sizes and contents of everything under path."""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(dirs + files):
            full = os.path.join(root, name)
            h.update(full.encode())
            if os.path.isfile(full):
                with open(full, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()


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


class RaftctlCheckTest(cluster.ClusterTestCase):
    """`raftctl check --data-dir` on crafted directories, one per exit code."""

    @classmethod
    def setUpClass(cls):
        reason = check_skip_reason()
        if reason:
            raise unittest.SkipTest(reason)
        cls.binary = cluster.raftctl_binary()

    def setUp(self):
        self.base = cluster.make_temp_dir("raftctl-check-")
        self.addCleanup(cluster.remove_temp_dir, self.base)

    def data_dir(self, node_id="node1", **kwargs):
        """A raft-server data directory: node_id and a healthy wal/."""
        path = os.path.join(self.base, "node")
        os.makedirs(path)
        if node_id is not None:
            with open(os.path.join(path, "node_id"), "w") as f:
                f.write(node_id + "\n")
        self.segments = write_wal(os.path.join(path, "wal"), **kwargs)
        return path

    def check(self, path, *extra, command="check"):
        """Runs raftctl check and asserts it left the directory as it was."""
        before = tree_digest(path) if os.path.exists(path) else None
        run = cluster.run_once([self.binary, command, "--data-dir", path] + list(extra),
                               timeout_s=30.0)
        self.attach_text("raftctl %s %s" % (command, path), run.describe())
        if before is not None:
            self.assertEqual(tree_digest(path), before, "raftctl %s modified %s" % (command, path))
        return run

    def assert_verdict(self, run, code, status, line=None):
        self.assertEqual(run.returncode, code, "expected exit %d\n%s" % (code, run.describe()))
        last = run.stdout.strip().splitlines()[-1]
        self.assertTrue(last.startswith("check: status=%s " % status),
                        "summary line %r, expected status=%s" % (last, status))
        if line is not None:
            self.assertRegex(run.stdout, line)

    def wal_path(self, d, name):
        return os.path.join(d, "wal", name)

    def test_healthy_directory_exits_0(self):
        d = self.data_dir()
        run = self.check(d)
        self.assert_verdict(run, 0, "ok", r"(?m)^check: data directory .*: node_id=node1$")
        self.assertIn("check: meta: node=0 cluster=- term=2 vote=1 acked_index=12 last_segment=3 "
                      "repair_target=none\n", run.stdout)
        self.assertIn("check: segment %s: version=2 seq=1 first_index=1 " % self.segments[0][0],
                      run.stdout)
        self.assertIn(" segments=3 records=18 snapshot_index=0 last_index=12 acked_index=12 "
                      "torn_bytes=0 damage=0 ", run.stdout)

    def test_missing_directory_exits_3(self):
        run = self.check(os.path.join(self.base, "nowhere"))
        self.assert_verdict(run, 3, "missing", r"(?m)^check: missing: .*nowhere: no such directory$")

    def test_empty_directory_exits_3(self):
        # Until this change, `raftctl dump` called an empty directory "ok".
        run = self.check(self.base)
        self.assert_verdict(run, 3, "empty", r"(?m)^check: empty: .* holds no WAL file")
        run = self.check(self.base, command="dump")
        self.assertEqual(run.returncode, 3, run.describe())
        self.assertIn("raftctl dump: status=empty ", run.stdout)

    def test_garbage_is_not_a_wal_and_exits_3(self):
        junk = os.path.join(self.base, "junk.bin")
        with open(junk, "wb") as f:
            f.write(os.urandom(300))
        self.assert_verdict(self.check(junk), 3, "not-a-wal",
                            r"(?m)^check: not-a-wal: .*junk.bin: not a directory$")
        self.assert_verdict(self.check(self.base), 3, "not-a-wal",
                            r"(?m)^check: other junk.bin: ignored$")

    def test_torn_tail_exits_1_and_names_file_and_offset(self):
        d = self.data_dir()
        name = self.segments[-1][0]
        path = self.wal_path(d, name)
        end = os.path.getsize(path)
        with open(path, "ab") as f:
            f.write(record(ENTRY, struct.pack("<QQB", 2, 13, 0) + b"torn")[:11])
        run = self.check(d)
        self.assert_verdict(run, 1, "torn-tail",
                            r"(?m)^check: torn-tail: %s:%d: torn tail of 11 bytes " %
                            (re.escape(name), end))
        self.assertIn(" torn_bytes=11 ", run.stdout)

    def test_flipped_byte_mid_log_exits_2_and_names_file_and_offset(self):
        d = self.data_dir()
        name, offsets = self.segments[1]
        path = self.wal_path(d, name)
        with open(path, "r+b") as f:
            f.seek(offsets[2] + 20)  # inside the second entry's payload
            b = f.read(1)
            f.seek(offsets[2] + 20)
            f.write(bytes([b[0] ^ 0x40]))
        run = self.check(d)
        self.assert_verdict(run, 2, "damaged",
                            r"(?m)^check: damage: %s:%d: corrupt record: checksum mismatch .*"
                            r"in a segment that is not the last$" % (re.escape(name), offsets[2]))
        self.assertIn(" last_index=5 acked_index=12 ", run.stdout)  # the intact prefix
        self.assertIn(" repair_target=12", run.stdout)
        # dump tells the same, with the same exit code.
        run = self.check(d, "--records", command="dump")
        self.assertEqual(run.returncode, 2, run.describe())
        self.assertIn("raftctl dump: status=damaged ", run.stdout)
        self.assertIn("@%d entry term=2 index=5" % offsets[1], run.stdout)

    def test_deleted_middle_segment_exits_2(self):
        d = self.data_dir()
        os.remove(self.wal_path(d, self.segments[1][0]))
        run = self.check(d)
        self.assert_verdict(run, 2, "damaged",
                            r"(?m)^check: damage: %s: missing segment: sequence 2 \(between %s "
                            r"and %s\)$" % (re.escape(self.segments[0][0]),
                                             re.escape(self.segments[0][0]),
                                             re.escape(self.segments[2][0])))

    def test_broken_chain_exits_2_and_names_both_segments(self):
        d = self.data_dir()
        first, offsets = self.segments[0]
        os.truncate(self.wal_path(d, first), offsets[-1])  # whole records lost at its end
        run = self.check(d)
        self.assert_verdict(run, 2, "damaged",
                            r"(?m)^check: damage: %s:0: chain broken between %s and %s: " %
                            (re.escape(self.segments[1][0]), re.escape(first),
                             re.escape(self.segments[1][0])))

    def test_deleted_meta_exits_2(self):
        d = self.data_dir()
        os.remove(self.wal_path(d, "meta"))
        run = self.check(d)
        self.assert_verdict(run, 2, "damaged", r"(?m)^check: meta: missing$")
        self.assertIn("check: damage: meta: metadata missing in an initialized WAL", run.stdout)

    def test_log_below_the_acknowledged_index_exits_2(self):
        d = self.data_dir()
        os.remove(self.wal_path(d, self.segments[-1][0]))
        run = self.check(d)
        self.assert_verdict(run, 2, "damaged",
                            r"(?m)^check: damage: the log ends at index 8, below index 12 this "
                            r"node acknowledged$")
        self.assertRegex(run.stdout, r"(?m)^check: damage: missing segment: the newest segment "
                                     r"is .* but the metadata records segment 3$")

    def test_unfinished_repair_exits_2(self):
        d = self.data_dir()
        write_meta(os.path.join(d, "wal"), term=2, acked_index=12, last_segment=3,
                   repair_target=12)
        quarantined = self.wal_path(d, self.segments[0][0] + ".damaged-3")
        with open(quarantined, "wb") as f:
            f.write(b"evidence")
        run = self.check(d)
        self.assert_verdict(run, 2, "repairing", r"(?m)^check: repairing: meta: unfinished repair")
        self.assertIn("check: note: %s: quarantined" % os.path.basename(quarantined), run.stdout)
        self.assertIn(" quarantined=1 repair_target=12", run.stdout)

    def test_unreadable_segment_exits_4(self):
        d = self.data_dir()
        name = self.segments[-1][0]
        os.remove(self.wal_path(d, name))
        os.mkdir(self.wal_path(d, name))  # reading it fails with EISDIR, even as root
        self.assert_verdict(self.check(d), 4, "unreadable", r"(?m)^check: unreadable: ")

    def test_deleted_node_id_exits_5(self):
        d = self.data_dir(node_id=None)
        run = self.check(d)
        self.assert_verdict(run, 5, "refused",
                            r"(?m)^check: refused: node_id: missing next to wal/: raft-server "
                            r"refuses to start")

    def test_corrupt_newest_snapshot_exits_5(self):
        d = self.data_dir()
        with open(self.wal_path(d, "snap-%016x-%016x.snap" % (10, 2)), "wb") as f:
            f.write(b"not a snapshot")
        self.assert_verdict(self.check(d), 5, "refused",
                            r"(?m)^check: refused: snap-.*: newest snapshot: ")

    def test_usage_errors_exit_64(self):
        for args in (["check"], ["check", "--data-dir"], ["check", "--bogus", "--data-dir", "x"],
                     ["dump"]):
            run = cluster.run_once([self.binary] + args, timeout_s=10.0)
            self.attach_text("raftctl %s" % " ".join(args), run.describe())
            self.assertEqual(run.returncode, 64, "raftctl %s\n%s" % (" ".join(args),
                                                                    run.describe()))

    def test_help_documents_the_exit_codes(self):
        run = cluster.run_once([self.binary, "check", "--help"], timeout_s=10.0)
        self.assertEqual(run.returncode, 0, run.describe())
        for code, status in ((0, "ok"), (1, "torn-tail"), (2, "damaged"), (3, "missing"),
                             (4, "unreadable"), (5, "refused"), (64, "usage")):
            self.assertRegex(run.stdout, r"(?m)^  %-2d %s\b" % (code, status))

    def test_a_real_nodes_directory_is_ok_after_a_clean_stop(self):
        c = self.new_cluster()
        for i in range(20):
            c.put_retry(None, "k%d" % i, "v")
        c.stop("node3")
        data_dir = c.node("node3").data_dir
        run = self.check(data_dir)
        self.assert_verdict(run, 0, "ok", r"(?m)^check: data directory .*: node_id=node3$")
        self.assertRegex(run.stdout, r"(?m)^check: segment wal-\S+: version=2 seq=1 ")
        # Its node_id deleted, the server refuses the directory, and check says so.
        os.remove(os.path.join(data_dir, "node_id"))
        self.assert_verdict(self.check(data_dir), 5, "refused")
        with open(os.path.join(data_dir, "node_id"), "w") as f:
            f.write("node3\n")
        c.start("node3")
        c.wait_serving("node3")


if __name__ == "__main__":
    cluster.main()
