"""Forged peer traffic: what a rogue process on the network can send a node.

Shared by tests/cluster/test_rogue_peer.py (fixed attacks, one of each) and
bench/rogue_peer.py (a seeded random mix for minutes on end), so that both
forge exactly the same messages.

A forgery is an Attack: a target node, the stream metadata it presents
(the identity, see /work/notes/identity.md: raft-cluster-id, raft-from,
raft-from-address, raft-to) and the PeerMessages it writes into
/raft.RaftPeer/Stream. Two families:

- wrong_identity_attacks(): the metadata is missing or wrong (cluster id,
  sender name, sender address, receiver name); the payload is what would
  hurt if it got through: higher terms, a forged Put over an acknowledged
  key, TimeoutNow. The stream must be refused when it opens.
- right_identity_attacks(): the metadata is a real member's, so the stream
  is accepted and every message must be refused by the validator
  (core/message_validator.h) or the snapshot image check. None of them
  carries a sane term above the cluster's: that is legal Raft from a
  member and would move the term.

The message and entry encodings mirror core/message.h and
core/kv/command.h; node ids mirror net/cluster_members.cc (FNV-1a of the
name).

Threading: an Attack is a plain value; a Rogue holds one gRPC channel and is
used by one thread.
"""

import struct

import grpc

import cluster

# core/message.h MessageType (wire types only).
APPEND = 3
APPEND_RESP = 4
VOTE = 5
VOTE_RESP = 6
PRE_VOTE = 7
PRE_VOTE_RESP = 8
HEARTBEAT = 9
HEARTBEAT_RESP = 10
SNAPSHOT = 11
SNAPSHOT_RESP = 12
TIMEOUT_NOW = 13
WIRE_TYPES = tuple(range(APPEND, TIMEOUT_NOW + 1))
TYPE_NAMES = {
    APPEND: "Append", APPEND_RESP: "AppendResp", VOTE: "Vote", VOTE_RESP: "VoteResp",
    PRE_VOTE: "PreVote", PRE_VOTE_RESP: "PreVoteResp", HEARTBEAT: "Heartbeat",
    HEARTBEAT_RESP: "HeartbeatResp", SNAPSHOT: "Snapshot", SNAPSHOT_RESP: "SnapshotResp",
    TIMEOUT_NOW: "TimeoutNow"
}
ENTRY_NORMAL = 0

# core/message_validator.h: terms and indexes above this are refused.
WIRE_NUMBER_MAX = 1 << 62
U64_MAX = (1 << 64) - 1
ABSURD_NUMBERS = (1 << 63, U64_MAX, WIRE_NUMBER_MAX + 1)
ABSURD_TERMS = (0,) + ABSURD_NUMBERS

# core/kv/command.h
OP_PUT = 1
OP_DELETE = 2
COMMAND_VERSION = 1

# Stream codes the contract prescribes for a refused identity.
DENIED = grpc.StatusCode.PERMISSION_DENIED  # wrong cluster, unknown sender
MISMATCH = grpc.StatusCode.FAILED_PRECONDITION  # wrong address, wrong receiver

STREAM_TIMEOUT_S = 5.0

# Forged Puts write this value; no honest client ever does.
FORGED_VALUE = "forged-by-rogue"
# A key no honest client writes, overwritten when no acknowledged key is known.
CANARY_KEY = "rogue-canary"


def encode_command(key, value=b"", op=OP_PUT, client_id=0, sequence=0, expected=b"",
                   expect_absent=False):
    """core/kv/command.h: u8 version, u8 op, u64 client_id, u64 sequence,
    u32-prefixed key, value, expected, u8 flags; little-endian."""

    def chunk(b):
        b = b.encode() if isinstance(b, str) else b
        return struct.pack("<I", len(b)) + b

    return (struct.pack("<BBQQ", COMMAND_VERSION, op, client_id, sequence) + chunk(key) +
            chunk(value) + chunk(expected) + struct.pack("<B", 1 if expect_absent else 0))


def forged_put(view, rng):
    """A well-formed Put of FORGED_VALUE over an acknowledged key."""
    return encode_command(rng.choice(view.acked_keys), FORGED_VALUE)


def garbage_command(rng):
    """Bytes that never decode as a command (the version byte is not 1)."""
    return bytes([0xFF]) + rng.randbytes(rng.randrange(0, 40))


def node_id_for_name(name):
    """net/cluster_members.cc NodeIdForName: FNV-1a 64 of the name, 0 -> 1."""
    h = 1469598103934665603
    for c in name.encode():
        h = ((h ^ c) * 1099511628211) & U64_MAX
    return h or 1


def random_cluster_id(rng):
    return "%016x" % rng.getrandbits(64)


class View:
    """What the rogue knows of the cluster: its id, members, term, leader.

    Built from GetClusterStatus answers (the rogue is as well informed as a
    member: the worst case).
    """

    def __init__(self, cluster_id, members, term, leader, last_index, acked_keys=()):
        self.cluster_id = cluster_id  # 16 hex digits
        self.members = dict(members)  # name -> recorded address
        self.term = term
        self.leader = leader
        self.last_index = last_index  # the highest commit index seen
        # Keys whose acknowledged values forged Puts try to overwrite.
        self.acked_keys = list(acked_keys) or [CANARY_KEY]

    @staticmethod
    def from_statuses(statuses):
        sts = [st for st in statuses.values() if not isinstance(st, str)]
        if not sts:
            raise AssertionError("no node answered GetClusterStatus")
        first = sts[0]
        if not hasattr(first, "cluster_id"):
            raise AssertionError("GetClusterStatusResponse has no cluster_id: the identity "
                                 "contract (issue 14) has not landed in proto/raft.proto")
        members = {m.id: m.address for m in first.members}
        return View(first.cluster_id, members, max(st.term for st in sts), first.leader_id,
                    max(st.commit_index for st in sts))

    def names(self):
        return sorted(self.members)

    def followers(self):
        return [n for n in self.names() if n != self.leader]

    def others(self, name):
        return [n for n in self.names() if n != name]


class Identity:
    """Stream metadata; a None field is left out."""

    def __init__(self, cluster_id, sender, sender_address, receiver):
        self.cluster_id = cluster_id
        self.sender = sender
        self.sender_address = sender_address
        self.receiver = receiver

    def metadata(self):
        pairs = (("raft-cluster-id", self.cluster_id), ("raft-from", self.sender),
                 ("raft-from-address", self.sender_address), ("raft-to", self.receiver))
        return tuple((k, v) for k, v in pairs if v is not None)

    @staticmethod
    def of_member(view, sender, receiver):
        return Identity(view.cluster_id, sender, view.members[sender], receiver)


class Attack:
    """One forged stream: target node, identity, messages, expected codes.

    expect_codes: the stream codes the contract allows (a refused identity),
    or None when the identity is right (the stream is accepted and the
    messages are refused one by one, which only rejected_inputs shows).
    """

    def __init__(self, name, target, identity, messages, expect_codes=None):
        self.name = name
        self.target = target
        self.identity = identity
        self.messages = messages
        self.expect_codes = expect_codes

    def describe(self):
        kinds = ",".join(TYPE_NAMES.get(m.type, str(m.type)) for m in self.messages)
        return "%s -> %s [%s] metadata=%s" % (self.name, self.target, kinds,
                                              dict(self.identity.metadata()))


def message(type_, sender, receiver, term, **fields):
    """A PeerMessage; sender and receiver are names (ids are derived) or ints."""
    pb = cluster.stubs().pb
    from_id = sender if isinstance(sender, int) else node_id_for_name(sender)
    to_id = receiver if isinstance(receiver, int) else node_id_for_name(receiver)
    entries = fields.pop("entries", ())
    m = pb.PeerMessage(type=type_, to=to_id, term=term, **fields)
    setattr(m, "from", from_id)  # `from` is a Python keyword
    for term_, index, data in entries:
        m.entries.add(term=term_, index=index, type=ENTRY_NORMAL, data=data)
    return m


class Rogue:
    """A gRPC client of one node's RaftPeer service."""

    def __init__(self, port):
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % port,
                                             options=cluster.CHANNEL_OPTIONS)
        pb = cluster.stubs().pb
        self._stream = self.channel.stream_unary(
            "/raft.RaftPeer/Stream", request_serializer=pb.PeerBatch.SerializeToString,
            response_deserializer=pb.PeerStreamEnd.FromString)
        self._hello = self.channel.unary_unary(
            "/raft.RaftPeer/Hello", request_serializer=pb.HelloRequest.SerializeToString,
            response_deserializer=pb.HelloResponse.FromString)

    def close(self):
        self.channel.close()

    def send(self, identity, messages, batch_size=4, timeout_s=STREAM_TIMEOUT_S):
        """Writes messages in batches into one stream; returns (code, details)."""
        return outcome(self.send_async(identity, messages, batch_size, timeout_s))

    def send_async(self, identity, messages, batch_size=4, timeout_s=STREAM_TIMEOUT_S):
        """Like send, without waiting: a grpc future for outcome()."""
        pb = cluster.stubs().pb
        batches = [
            pb.PeerBatch(messages=messages[i:i + batch_size])
            for i in range(0, len(messages), batch_size)
        ]
        return self._stream.future(iter(batches), metadata=identity.metadata(),
                                   timeout=timeout_s, wait_for_ready=True)

    def hello(self, timeout_s=STREAM_TIMEOUT_S, **fields):
        """Hello with the fields this proto knows (others are left out)."""
        pb = cluster.stubs().pb
        known = pb.HelloRequest.DESCRIPTOR.fields_by_name
        req = pb.HelloRequest(**{k: v for k, v in fields.items() if k in known})
        try:
            return grpc.StatusCode.OK, self._hello(req, timeout=timeout_s, wait_for_ready=True)
        except grpc.RpcError as e:
            return e.code(), e.details() or ""


def outcome(future):
    """(code, details) of a finished stream future."""
    try:
        future.result()
        return grpc.StatusCode.OK, ""
    except grpc.RpcError as e:
        return e.code(), e.details() or ""


# --------------------------------------------------------------------------
# Wrong identity: refused when the stream opens, whatever it carries.


def harmful_payload(view, target, claimed_sender, rng):
    """What would hurt if a stream got through: higher terms, a forged Put
    over an acknowledged key committed at once, votes that would win,
    TimeoutNow and a snapshot replacing everything."""
    t = view.term
    last = view.last_index
    put = forged_put(view, rng)
    voters = [node_id_for_name(n) for n in view.names()]
    return [
        message(APPEND, claimed_sender, target, t + 5, index=last, log_term=t,
                entries=[(t + 5, last + 1, put)], commit=last + 1),
        message(VOTE, claimed_sender, target, t + 6, index=last + 1000, log_term=t + 5),
        message(PRE_VOTE, claimed_sender, target, t + 7, index=last + 1000, log_term=t + 5),
        message(HEARTBEAT, claimed_sender, target, t + 8, commit=last),
        message(TIMEOUT_NOW, claimed_sender, target, t),
        message(SNAPSHOT, claimed_sender, target, t + 9, snapshot_index=last + 1000,
                snapshot_term=t + 9, snapshot_voters=voters, snapshot_data=b"\x00" * 16,
                snapshot_offset=0, snapshot_total_bytes=16),
    ]


def wrong_identities(view, target, rng):
    """(label, Identity, expected codes) for every way the metadata can lie."""
    sender = view.leader if view.leader != target else view.others(target)[0]
    other = [n for n in view.others(target) if n != sender]
    stranger_address = "localhost:%d" % cluster.free_port()
    cid = view.cluster_id
    wrong_cid = random_cluster_id(rng)
    while wrong_cid == cid:
        wrong_cid = random_cluster_id(rng)
    return [
        ("no metadata", Identity(None, None, None, None), (DENIED,)),
        ("no cluster id", Identity(None, sender, view.members[sender], target), (DENIED,)),
        ("malformed cluster id", Identity("not-hex!", sender, view.members[sender], target),
         (DENIED,)),
        ("wrong cluster id", Identity(wrong_cid, sender, view.members[sender], target), (DENIED,)),
        ("unknown sender", Identity(cid, "mallory", stranger_address, target), (DENIED,)),
        ("sender is the receiver", Identity(cid, target, view.members[target], target),
         (DENIED, MISMATCH)),
        ("wrong receiver", Identity(cid, sender, view.members[sender], other[0] if other else
                                    "mallory"), (MISMATCH,)),
        ("sender at another address", Identity(cid, sender, stranger_address, target),
         (MISMATCH,)),
        ("no sender address", Identity(cid, sender, None, target), (MISMATCH, DENIED)),
    ]


def wrong_identity_attacks(view, target, rng):
    attacks = []
    for label, identity, codes in wrong_identities(view, target, rng):
        claimed = identity.sender or view.leader
        attacks.append(
            Attack("wrong identity: " + label, target, identity,
                   harmful_payload(view, target, claimed, rng), codes))
    return attacks


# --------------------------------------------------------------------------
# Right identity: accepted streams whose every message must be refused.
#
# Each forger returns every variant it knows as (sender, [messages]); the
# test sends them all, the bench picks one at random.


def _member_other_than(view, target, rng, not_leader=False):
    choices = [n for n in view.others(target) if not (not_leader and n == view.leader)]
    return rng.choice(choices)


def forge_absurd_term(view, target, rng):
    """Every wire type at terms 0, 2^63, 2^64-1 and 2^62+1."""
    sender = _member_other_than(view, target, rng)
    return [(sender, [
        message(type_, sender, target, term, index=view.last_index,
                log_term=min(term, view.term), commit=view.last_index)
    ]) for type_ in WIRE_TYPES for term in ABSURD_TERMS]


def forge_absurd_index(view, target, rng):
    """Index, log term, commit or hint out of range, at our term (never higher)."""
    sender = _member_other_than(view, target, rng)
    t = view.term
    variants = [(sender, [message(VOTE, sender, target, t, index=view.last_index,
                                  log_term=t + 1)])]
    for n in ABSURD_NUMBERS:
        variants += [(sender, [m]) for m in (
            message(APPEND, sender, target, t, index=n, log_term=t),
            message(APPEND, sender, target, t, index=view.last_index, log_term=t, commit=n),
            message(VOTE, sender, target, t, index=n, log_term=t),
            message(PRE_VOTE, sender, target, t, index=n, log_term=t),
            message(HEARTBEAT, sender, target, t, commit=n),
            message(APPEND_RESP, sender, target, t, index=n),
            message(APPEND_RESP, sender, target, t, index=1, reject=True, hint_index=n,
                    hint_term=t),
            message(SNAPSHOT_RESP, sender, target, t, index=n),
        )]
    return variants


def forge_bad_entries(view, target, rng):
    """Appends in the leader's name at our term (to a follower) that must
    never enter a log: an undecodable command, a hole, a first entry not at
    index + 1, an entry term above the message's, entry terms decreasing,
    a previous-entry term above the message's."""
    t = view.term
    i = view.last_index
    put = forged_put(view, rng)
    entry_lists = [
        [(t, i + 1, put), (t, i + 2, garbage_command(rng))],
        [(t, i + 1, put), (t, i + 3, put)],
        [(t, i + 2, put)],
        [(t + 1, i + 1, put)],
        [(t, i + 1, put), (t - 1, i + 2, put)],
    ]
    variants = [(view.leader, [
        message(APPEND, view.leader, target, t, index=i, log_term=t, entries=e, commit=i)
    ]) for e in entry_lists]
    variants.append((view.leader, [
        message(APPEND, view.leader, target, t, index=i, log_term=t + 1,
                entries=[(t, i + 1, put)], commit=i)
    ]))
    return variants


def forge_ack_past_log(view, target, rng):
    """An AppendResp to the leader acknowledging far more than it has."""
    sender = _member_other_than(view, view.leader, rng)
    return [(sender, [message(APPEND_RESP, sender, view.leader, view.term,
                              index=view.last_index + far)])
            for far in (10**6, 10**12, WIRE_NUMBER_MAX)]


def forge_not_leader(view, target, rng):
    """Heartbeat, Append or TimeoutNow at our term from a member that is
    not its leader (to the leader too); TimeoutNow from the leader at a
    lower term."""
    sender = _member_other_than(view, target, rng, not_leader=True)
    t = view.term
    i = view.last_index
    variants = [
        (sender, [message(HEARTBEAT, sender, target, t, commit=i)]),
        (sender, [message(TIMEOUT_NOW, sender, target, t)]),
        (sender, [message(APPEND, sender, target, t, index=i, log_term=t,
                          entries=[(t, i + 1, forged_put(view, rng))], commit=i)]),
    ]
    if t > 1 and target != view.leader:
        variants.append((view.leader, [message(TIMEOUT_NOW, view.leader, target, t - 1)]))
    return variants


def forge_unsolicited_vote(view, target, rng):
    """A vote granted at our term to a follower that never stood."""
    sender = _member_other_than(view, target, rng)
    return [(sender, [message(VOTE_RESP, sender, target, view.term)])]


def forge_absurd_snapshot(view, target, rng):
    """Snapshot chunks at our term whose metadata or byte range is impossible."""
    sender = _member_other_than(view, target, rng)
    t = view.term
    voters = [node_id_for_name(n) for n in view.names()]
    data = rng.randbytes(32)
    base = dict(snapshot_index=view.last_index + 100, snapshot_term=t, snapshot_voters=voters,
                snapshot_data=data, snapshot_offset=0, snapshot_total_bytes=len(data))
    changes = [dict(snapshot_index=n) for n in ABSURD_NUMBERS] + [
        dict(snapshot_index=0),
        dict(snapshot_term=t + 1),
        dict(snapshot_term=0),
        dict(snapshot_voters=[]),
        dict(snapshot_voters=voters + [0]),
        dict(snapshot_offset=len(data) + 1),
        dict(snapshot_total_bytes=len(data) - 1),
        dict(snapshot_offset=U64_MAX - 8),
        dict(snapshot_total_bytes=U64_MAX, snapshot_offset=U64_MAX - 4),
        dict(snapshot_total_bytes=(16 << 30) + 1),
    ]
    variants = []
    for change in changes:
        fields = dict(base)
        fields.update(change)
        variants.append((sender, [message(SNAPSHOT, sender, target, t, **fields)]))
    return variants


def forge_garbage_snapshot(view, target, rng):
    """A complete, well-formed snapshot in the leader's name at our term
    whose image is garbage: it must be refused before it replaces state."""
    t = view.term
    data = b"\xff" + rng.randbytes(rng.randrange(16, 256))
    voters = [node_id_for_name(n) for n in view.names()]
    return [(view.leader, [message(SNAPSHOT, view.leader, target, t,
                                   snapshot_index=view.last_index + 1000, snapshot_term=t,
                                   snapshot_voters=voters, snapshot_data=data, snapshot_offset=0,
                                   snapshot_total_bytes=len(data))])]


def forge_spoofed_sender(view, target, rng):
    """The stream is a follower's, the message claims to be the leader's (a
    sane Append with a forged Put): dropped because from != raft-from."""
    t = view.term
    i = view.last_index
    sender = _member_other_than(view, target, rng, not_leader=True)
    return [(sender, [message(APPEND, view.leader, target, t, index=i, log_term=t,
                              entries=[(t, i + 1, forged_put(view, rng))], commit=i)])]


def forge_spoofed_receiver(view, target, rng):
    """A message on a stream to target, addressed to someone else."""
    sender = _member_other_than(view, target, rng)
    return [(sender, [message(HEARTBEAT_RESP, sender, to, view.term)])
            for to in (node_id_for_name("mallory"), node_id_for_name(sender))]


# name -> (forger, whether the target must be a follower)
RIGHT_IDENTITY_FORGERS = {
    "absurd term": (forge_absurd_term, False),
    "absurd index": (forge_absurd_index, False),
    "bad entries": (forge_bad_entries, True),
    "ack past the leader's log": (forge_ack_past_log, False),
    "leader message from a non-leader": (forge_not_leader, False),
    "unsolicited vote grant": (forge_unsolicited_vote, True),
    "absurd snapshot chunk": (forge_absurd_snapshot, False),
    "garbage snapshot image": (forge_garbage_snapshot, True),
    "spoofed message sender": (forge_spoofed_sender, True),
    "spoofed message receiver": (forge_spoofed_receiver, False),
}


def _forgeries(view, kind, target, rng):
    forger, follower_only = RIGHT_IDENTITY_FORGERS[kind]
    if kind == "ack past the leader's log":
        target = view.leader
    if follower_only and target == view.leader:
        target = rng.choice(view.followers())
    return target, forger(view, target, rng)


def right_identity_attack(view, kind, target, rng):
    """One variant, drawn at random, of one kind of forgery."""
    target, variants = _forgeries(view, kind, target, rng)
    sender, messages = rng.choice(variants)
    return Attack("right identity: " + kind, target, Identity.of_member(view, sender, target),
                  messages)


def right_identity_attacks(view, target, rng):
    """Every variant of every right-identity forgery aimed at target (or,
    for those that need one, at the leader or a follower)."""
    attacks = []
    for kind in RIGHT_IDENTITY_FORGERS:
        kind_target, variants = _forgeries(view, kind, target, rng)
        attacks += [
            Attack("right identity: " + kind, kind_target,
                   Identity.of_member(view, sender, kind_target), messages)
            for sender, messages in variants
        ]
    return attacks


def random_attack(view, rng):
    """One random forgery of either family (for the bench)."""
    target = rng.choice(view.names())
    if rng.random() < 0.5:
        label, identity, codes = rng.choice(wrong_identities(view, target, rng))
        claimed = identity.sender or view.leader
        payload = harmful_payload(view, target, claimed, rng)
        rng.shuffle(payload)
        return Attack("wrong identity: " + label, target, identity,
                      payload[:rng.randrange(1, len(payload) + 1)], codes)
    return right_identity_attack(view, rng.choice(list(RIGHT_IDENTITY_FORGERS)), target, rng)


def rejected_total(status):
    """Sum of GetClusterStatus rejected_inputs (fails clearly before the
    contract's field exists)."""
    if not hasattr(status, "rejected_inputs"):
        raise AssertionError("GetClusterStatusResponse has no rejected_inputs: the identity "
                             "contract (issue 14) has not landed in proto/raft.proto")
    return sum(status.rejected_inputs.values())
