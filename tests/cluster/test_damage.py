#!/usr/bin/python3
"""Damage to one node's data directory in a running cluster (issue 15, item
5): a deleted segment (the newer or the older of two, or the only one; 70
1 MB writes make the WAL roll its 64 MiB segment, which raft-server has no
flag to shrink), the log cut mid-record or at a record boundary below what
the node acknowledged, a byte flipped in a record in the middle, the WAL's
metadata file deleted, the node_id file deleted, the whole data directory
deleted.

For the log and metadata damage the node starts, logs a line naming the
damage, and repairs itself: GetClusterStatus says `repairing` until it has
fetched what it lost from a leader, then stops saying it on its own; while
repairing it neither votes nor becomes leader, and its term never goes below
the term it had before the crash. (An older segment whose entries a
snapshot covers is what compaction deletes anyway: the node need not notice,
only lose nothing.) To see that state for certain, the leader is frozen
(SIGSTOP) while the damaged node starts, so the repair cannot finish; the
healthy follower, which would win an election with the damaged node's vote,
must not become leader meanwhile. The leader is then resumed
and the other two take writes while the damaged node repairs.

A deleted node_id file or data directory is refused: the node exits non-zero
saying what is wrong (for a lost directory, how to recover); restoring the
files brings it back.

In every case the other two keep serving, and at the end every acknowledged
write reads back (stale Get: the node's own copy) from every node.

Run: /usr/bin/python3 tests/cluster/test_damage.py [-k pattern]
"""

import os
import re
import shutil
import signal
import struct
import sys
import time

sys.dont_write_bytecode = True

import cluster  # noqa: E402
from cluster import NotYet, wait_until  # noqa: E402

WRITES = 120  # acknowledged before the crash
DOWN_WRITES = 30  # while the damaged node is down: it must fetch these too
REPAIR_WRITES = 30  # while it repairs
# 1 MB values before the small writes: the WAL rolls its 64 MiB segment.
BIG_WRITES = 70
# Frozen-leader window: three election timeouts, time for the healthy
# follower to campaign (and win, were the damaged node voting).
FROZEN_HOLD_S = 3 * cluster.ELECTION_MS / 1000.0
REPAIR_TIMEOUT_S = 20.0
REFUSAL_TIMEOUT_S = 10.0
# Starts a member whose data directory was lost, repairing (net/node_server).
REJOIN_FLAG = "--rejoin-after-data-loss"

# core/storage/wal_record.h: length u32, crc32c u32, type u8, payload.
RECORD_HEADER_BYTES = 9
RECORD_ENTRY = 2
SEGMENT_NAME = re.compile(r"^wal-([0-9a-f]{16})-([0-9a-f]{16})\.log$")
DAMAGE_WORDS = r"damage|corrupt|missing|lost|truncat|checksum|crc|gap|deleted|repair"


class Record:
    """One framed WAL record: [offset, end) in its segment, type, entry index."""

    def __init__(self, offset, end, kind, term=None, index=None):
        self.offset = offset
        self.end = end
        self.kind = kind
        self.term = term
        self.index = index


def segment_paths(data_dir):
    """The WAL's segment files, oldest first."""
    wal = os.path.join(data_dir, "wal")
    names = sorted((n for n in os.listdir(wal) if SEGMENT_NAME.match(n)),
                   key=lambda n: int(SEGMENT_NAME.match(n).group(1), 16))
    return [os.path.join(wal, n) for n in names]


def read_records(path):
    """Every record of a segment up to its preallocated zeros or its end."""
    with open(path, "rb") as f:
        data = f.read()
    records = []
    offset = 0
    while offset + RECORD_HEADER_BYTES <= len(data):
        length, _crc = struct.unpack_from("<II", data, offset)
        kind = data[offset + 8]
        if kind == 0:  # unwritten zeros: a record's type byte is never 0
            break
        end = offset + RECORD_HEADER_BYTES + length
        if end > len(data):
            raise AssertionError("%s: record at %d runs past the end (%d)" %
                                 (path, offset, len(data)))
        term = index = None
        if kind == RECORD_ENTRY:
            term, index = struct.unpack_from("<QQ", data, offset + RECORD_HEADER_BYTES)
        records.append(Record(offset, end, kind, term, index))
        offset = end
    return records


def middle_entry(path):
    entries = [r for r in read_records(path) if r.kind == RECORD_ENTRY]
    if len(entries) < 10:
        raise AssertionError("%s holds %d entry records; expected a log to damage" %
                             (path, len(entries)))
    return entries[len(entries) // 2]


def only_segment(data_dir):
    paths = segment_paths(data_dir)
    if len(paths) != 1:
        raise AssertionError("expected one WAL segment in %s, found %s" %
                             (data_dir, [os.path.basename(p) for p in paths]))
    return paths[0]


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


# ---- damage: each takes the data directory, damages it and returns
# (what was done, a regex the node's log line about it must match).


SNAPSHOT_NAME = re.compile(r"^snap-([0-9a-f]{16})-([0-9a-f]{16})\.snap$")


def snapshot_indexes(data_dir):
    wal = os.path.join(data_dir, "wal")
    return [int(m.group(1), 16) for m in map(SNAPSHOT_NAME.match, os.listdir(wal)) if m]


def two_segments(data_dir):
    paths = segment_paths(data_dir)
    if len(paths) != 2:
        raise AssertionError("expected two WAL segments in %s, found %s" %
                             (data_dir, [os.path.basename(p) for p in paths]))
    return paths


def delete_last_of_two_segments(data_dir):
    paths = two_segments(data_dir)
    entries = [r.index for r in read_records(paths[1]) if r.kind == RECORD_ENTRY]
    os.remove(paths[1])
    name = os.path.basename(paths[1])
    return ("deleted %s, the newer of two segments (entries %d..%d)" %
            (name, entries[0], entries[-1]), re.escape(name) + r"|segment")


def delete_first_of_two_segments(data_dir):
    """Returns a third value: whether the deletion lost entries no snapshot
    covers. A segment whose entries a snapshot covers is what compaction
    deletes anyway, so a node cannot tell that deletion from compaction."""
    paths = two_segments(data_dir)
    last_index = max(r.index for r in read_records(paths[0]) if r.kind == RECORD_ENTRY)
    covered = any(i >= last_index for i in snapshot_indexes(data_dir))
    os.remove(paths[0])
    name = os.path.basename(paths[0])
    return ("deleted %s, the older of two segments (entries up to %d; %s)" %
            (name, last_index, "a snapshot covers them" if covered else "no snapshot covers "
             "them"), re.escape(name) + r"|segment", not covered)


def delete_only_segment(data_dir):
    path = only_segment(data_dir)
    records = read_records(path)
    os.remove(path)
    name = os.path.basename(path)
    return ("deleted %s, the only segment (%d records)" % (name, len(records)),
            re.escape(name) + r"|segment")


def truncate_mid_record(data_dir):
    path = only_segment(data_dir)
    record = middle_entry(path)
    cut = record.offset + (record.end - record.offset) // 2
    os.truncate(path, cut)
    name = os.path.basename(path)
    return ("cut %s at byte %d, inside entry %d's record [%d, %d)" %
            (name, cut, record.index, record.offset, record.end), re.escape(name))


def truncate_at_record_boundary(data_dir):
    path = only_segment(data_dir)
    record = middle_entry(path)
    os.truncate(path, record.offset)
    name = os.path.basename(path)
    return ("cut %s at byte %d, where entry %d's record starts" %
            (name, record.offset, record.index), re.escape(name))


def flip_middle_byte(data_dir):
    path = only_segment(data_dir)
    record = middle_entry(path)
    # A byte of the entry's data (after term, index and entry type).
    at = record.offset + RECORD_HEADER_BYTES + 17 + (record.end - record.offset -
                                                     RECORD_HEADER_BYTES - 17) // 2
    with open(path, "r+b") as f:
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0xFF]))
    name = os.path.basename(path)
    return ("flipped byte %d of %s, inside entry %d's record [%d, %d)" %
            (at, name, record.index, record.offset, record.end), re.escape(name))


def delete_meta(data_dir):
    path = os.path.join(data_dir, "wal", "meta")
    if not os.path.exists(path):
        raise AssertionError("%s does not exist: the WAL metadata file is not written yet "
                             "(issue 15's repair has not landed)" % path)
    os.remove(path)
    return "deleted wal/meta", r"meta"


class DamageTest(cluster.ClusterTestCase):

    # ---- writes and reads

    def write(self, c, expected, prefix, count, via):
        """count acknowledged Puts spread over the nodes in via; returns the
        highest index acknowledged."""
        top_index = 0
        for i in range(count):
            key, value = "dmg/%s-%03d" % (prefix, i), "%s-value-%03d" % (prefix, i)
            r = c.put_retry(via[i % len(via)], key, value)
            top_index = max(top_index, r.index)
            expected[key] = value
        return top_index

    def wait_applied(self, c, name, index):
        def probe():
            st = c.status(name)
            if st.applied_index < index:
                raise NotYet("%s applied %d" % (name, st.applied_index))
            return True

        wait_until(probe, 10.0, "%s to apply index %d" % (name, index))

    def check_everything_readable(self, c, expected):
        for name in c.names:
            self.assert_stale_reads(c, name, expected, timeout_s=REPAIR_TIMEOUT_S)

    # ---- the damaged node's status

    @staticmethod
    def repairing(status):
        if "repairing" not in status.DESCRIPTOR.fields_by_name:
            raise AssertionError("GetClusterStatusResponse has no `repairing` field yet "
                                 "(proto/raft.proto; issue 15's repair has not landed)")
        return status.repairing

    def check_term(self, name, status, pre_crash_term):
        if pre_crash_term is None:  # its data is gone: no term to keep
            return
        self.assertGreaterEqual(status.term, pre_crash_term,
                                "%s's term went below the %d it had before the crash: %s" %
                                (name, pre_crash_term, cluster.Cluster.summarize(
                                    {name: status})))

    def wait_raft_started(self, c, name):
        """The node's first status past "starting" (its peers' ids known)."""

        def probe():
            c.check_running([name])
            st = c.status(name)
            if st.role == "starting":
                raise NotYet(c.summarize({name: st}))
            return st

        return wait_until(probe, cluster.LEADER_TIMEOUT_S, "%s to start Raft" % name)

    def log_since(self, c, name, offset):
        with open(c.node(name).log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", errors="replace")

    def freeze(self, c, name):
        """SIGSTOP; returns the function that resumes it (also a cleanup)."""
        pid = c.node(name).proc.pid
        os.kill(pid, signal.SIGSTOP)
        resumed = [False]

        def resume():
            if not resumed[0]:
                resumed[0] = True
                if c.node(name).alive():
                    os.kill(pid, signal.SIGCONT)

        self.addCleanup(resume)
        return resume

    def hold_repair_without_leader(self, c, victim, leader, others, what, log_pattern,
                                   pre_crash_term):
        """Starts the damaged victim with the leader frozen, so the repair
        cannot finish: the victim must report repairing, keep its term, log
        the damage, and not vote (the healthy follower, which its vote would
        elect, stays a follower). Returns the function resuming the leader."""
        healthy = next(n for n in others if n != leader)
        resume = self.freeze(c, leader)
        log_offset = os.path.getsize(c.node(victim).log_path)
        c.start(victim)
        first = self.wait_raft_started(c, victim)
        self.check_term(victim, first, pre_crash_term)
        self.assertTrue(self.repairing(first),
                        "%s after %s, leader frozen: expected repairing=true: %s" %
                        (victim, what, c.summarize({victim: first})))
        deadline = time.monotonic() + FROZEN_HOLD_S
        while time.monotonic() < deadline:
            c.check_running([victim, healthy])
            sts = c.statuses([victim, healthy])
            for name, st in sts.items():
                if isinstance(st, str):
                    continue
                self.assertFalse(cluster.is_leader_role(st.role),
                                 "%s became leader while %s was repairing and %s frozen: %s" %
                                 (name, victim, leader, c.summarize(sts)))
            if not isinstance(sts[victim], str):
                self.check_term(victim, sts[victim], pre_crash_term)
                self.assertTrue(self.repairing(sts[victim]),
                                "%s stopped repairing with no leader to repair from: %s" %
                                (victim, c.summarize(sts)))
            time.sleep(0.1)
        self.check_damage_logged(c, victim, log_offset, log_pattern, what)
        return resume

    def check_damage_logged(self, c, victim, log_offset, log_pattern, what):
        # The node's lines only: the harness's "=== [cluster]" lines hold
        # the command line (and the binary's path).
        lines = [line for line in self.log_since(c, victim, log_offset).splitlines()
                 if not line.startswith("===") and re.search(log_pattern, line) and
                 re.search(DAMAGE_WORDS, line, re.I)]
        self.assertTrue(lines, "%s's log names no damage (/%s/ and /%s/) after: %s" %
                        (victim, log_pattern, DAMAGE_WORDS, what))
        sys.stderr.write("[cluster] %s logged: %s\n" % (victim, lines[0].strip()))

    # ---- the scenario

    def damage_and_repair(self, victim_role, damage, big_writes=0):
        """Writes, stops one node (the leader or a follower) with SIGTERM,
        damages its data directory, and checks that it repairs itself while
        the other two keep serving. big_writes 1 MB values first make the
        WAL roll to a second segment. A damage function returns what it did,
        a regex the node's log line about it must match and, optionally,
        False when the node cannot know it lost anything."""
        c = self.new_cluster()
        leader = c.wait_for_leader()
        expected = {}
        big = "B" * 1000000
        for i in range(big_writes):
            key = "dmg/big-%03d" % i
            c.put_retry(c.names[i % 3], key, big, timeout_s=30.0)
            expected[key] = big
        top_index = self.write(c, expected, "before", WRITES, c.names)
        leader = c.wait_for_leader()
        victim = leader if victim_role == "leader" else c.followers(leader)[0]
        self.wait_applied(c, victim, top_index)
        pre_crash_term = c.status(victim).term
        c.stop(victim)
        others = [n for n in c.names if n != victim]

        # The other two serve on (after an election when the leader stopped).
        new_leader = c.wait_for_leader(among=others)
        self.write(c, expected, "down", DOWN_WRITES, others)
        done = damage(c.node(victim).data_dir)
        what, log_pattern = done[0], done[1]
        detectable = done[2] if len(done) > 2 else True
        sys.stderr.write("[cluster] %s (%s, term %d): %s\n" %
                         (victim, victim_role, pre_crash_term, what))
        self.attach_text("damage", "%s: %s" % (victim, what))
        if detectable:
            resume = self.hold_repair_without_leader(c, victim, new_leader, others, what,
                                                     log_pattern, pre_crash_term)
        else:
            # Nothing lost that the node could miss: it starts, and any
            # repair it reports ends as below.
            c.start(victim)
            self.check_term(victim, self.wait_raft_started(c, victim), pre_crash_term)
            resume = lambda: None  # noqa: E731

        self.finish_repair(c, victim, others, expected, resume, pre_crash_term)

    def finish_repair(self, c, victim, others, expected, resume, pre_crash_term):
        """Resumes the leader; the other two take writes while the victim
        repairs; the victim stops repairing on its own, takes writes as a
        voter, and every acknowledged write reads back from every node."""
        resume()
        self.write(c, expected, "repair", REPAIR_WRITES, others)

        def repaired():
            st = c.status(victim)
            self.check_term(victim, st, pre_crash_term)
            if self.repairing(st):
                raise NotYet(c.summarize({victim: st}))
            return st

        wait_until(repaired, REPAIR_TIMEOUT_S, "%s to finish repairing" % victim)
        self.write(c, expected, "after", 10, [victim])
        c.wait_for_leader()
        self.check_term(victim, c.status(victim), pre_crash_term)
        self.check_everything_readable(c, expected)

    # ---- damage the node repairs

    def test_newer_of_two_segments_deleted_on_a_follower(self):
        self.damage_and_repair("follower", delete_last_of_two_segments, big_writes=BIG_WRITES)

    def test_older_of_two_segments_deleted_on_the_old_leader(self):
        self.damage_and_repair("leader", delete_first_of_two_segments, big_writes=BIG_WRITES)

    def test_only_segment_deleted_on_the_old_leader(self):
        self.damage_and_repair("leader", delete_only_segment)

    def test_log_cut_mid_record_on_a_follower(self):
        self.damage_and_repair("follower", truncate_mid_record)

    def test_log_cut_at_a_record_boundary_on_the_old_leader(self):
        self.damage_and_repair("leader", truncate_at_record_boundary)

    def test_byte_flipped_in_a_middle_record_on_a_follower(self):
        self.damage_and_repair("follower", flip_middle_byte)

    def test_meta_file_deleted_on_the_old_leader(self):
        self.damage_and_repair("leader", delete_meta)

    # ---- damage the node refuses

    def refused_start(self, c, victim):
        run = cluster.run_once(c.args(victim), timeout_s=REFUSAL_TIMEOUT_S)
        self.attach_text("refused start of %s" % victim, run.describe())
        self.assertIsNotNone(run.returncode, "%s: expected a refusal, but it was still running "
                             "after %.0f s\n%s" % (victim, REFUSAL_TIMEOUT_S, run.describe()))
        self.assertNotEqual(run.returncode, 0, "%s: expected a non-zero exit\n%s" %
                            (victim, run.describe()))
        return run

    def refusal_scenario(self, damage, check_refusal, recover):
        """Writes, stops a follower, damages it, requires a refused start
        (checked by check_refusal(run, victim, data_dir)), twice, while the
        other two serve; then recover(c, victim, leader, others, expected,
        saved) brings the node back (saved: a copy of its directory)."""
        c = self.new_cluster()
        leader = c.wait_for_leader()
        expected = {}
        top_index = self.write(c, expected, "before", WRITES, c.names)
        victim = c.followers(leader)[0]
        others = [n for n in c.names if n != victim]
        self.wait_applied(c, victim, top_index)
        c.stop(victim)
        data_dir = c.node(victim).data_dir
        saved = os.path.join(c.base_dir, victim + "-saved")
        shutil.copytree(data_dir, saved)
        damage(data_dir)
        damaged = tree(data_dir) if os.path.exists(data_dir) else {}
        self.write(c, expected, "down", DOWN_WRITES, others)
        # Refused again the second time: the first refusal must leave
        # nothing that makes the damage look like a fresh start.
        for attempt in (1, 2):
            run = self.refused_start(c, victim)
            check_refusal(run, victim, data_dir)
            lines = [line for line in (run.stderr + run.stdout).splitlines()
                     if victim in line and not re.search(r"\binfo\b", line)]
            sys.stderr.write("[cluster] %s refused (start %d): %s\n" %
                             (victim, attempt, (lines or ["<no message>"])[0]))
        after = tree(data_dir) if os.path.exists(data_dir) else {}
        self.assertEqual(after, damaged, "the refused starts changed %s's data directory" %
                         victim)
        self.write(c, expected, "refused", REPAIR_WRITES, others)
        c.wait_for_leader(among=others)
        recover(c, victim, leader, others, expected, saved)

    def test_node_id_file_deleted_is_restored_from_the_wal_metadata(self):
        # The WAL metadata names the node its log belongs to, so the node
        # proves the directory is its own and writes node_id back (another
        # name is still refused: tests/net/data_dir_test.cc).
        c = self.new_cluster()
        leader = c.wait_for_leader()
        expected = {}
        top_index = self.write(c, expected, "before", WRITES, c.names)
        victim = c.followers(leader)[0]
        others = [n for n in c.names if n != victim]
        self.wait_applied(c, victim, top_index)
        c.stop(victim)
        node_id = os.path.join(c.node(victim).data_dir, "node_id")
        os.remove(node_id)
        self.write(c, expected, "down", DOWN_WRITES, others)
        log_offset = os.path.getsize(c.node(victim).log_path)
        c.start(victim)
        c.wait_serving(victim)
        self.check_damage_logged(c, victim, log_offset, r"node_id is missing", "node_id restored")
        with open(node_id) as f:
            self.assertEqual(f.read().strip(), victim)
        c.wait_for_leader()
        self.write(c, expected, "after", 10, [victim])
        self.check_everything_readable(c, expected)

    def test_data_dir_deleted_is_refused_then_rejoins_with_the_override(self):
        def damage(data_dir):
            shutil.rmtree(data_dir)

        def check(run, victim, data_dir):
            # The refusal is logged (stdout) or printed (stderr).
            output = (run.stdout + run.stderr).replace(data_dir, "<data-dir>")
            self.assertRegex(output, r"\b%s\b" % re.escape(victim),
                             "the refusal should name the node the cluster lists\n" +
                             run.describe())
            self.assertIn(REJOIN_FLAG, output, "the refusal should say how to recover\n" +
                          run.describe())

        def recover(c, victim, leader, others, expected, saved):
            # With the override it starts empty and repairs. (Not with the
            # leader frozen: a node without a members file waits for every
            # peer's Hello before Raft starts.)
            c.node(victim).extra_args = [REJOIN_FLAG]
            log_offset = os.path.getsize(c.node(victim).log_path)
            try:
                c.start(victim)
            finally:
                c.node(victim).extra_args = []
            first = self.wait_raft_started(c, victim)
            sys.stderr.write("[cluster] %s rejoining, first status: repairing=%s\n" %
                             (victim, self.repairing(first)))
            self.check_damage_logged(c, victim, log_offset, re.escape(REJOIN_FLAG),
                                     "data directory deleted, " + REJOIN_FLAG)
            self.finish_repair(c, victim, others, expected, lambda: None, None)

        self.refusal_scenario(damage, check, recover)


if __name__ == "__main__":
    cluster.main()
