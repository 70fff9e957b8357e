// Figure 2 of the Raft paper, one TEST per rule, named after the rule.
//
// Every test drives the core only through ticks, hand-made or relayed
// messages and the Ready/Advance loop of TestCluster, and asserts exact
// outcomes (terms, votes, roles, log contents, the messages sent).
//
// Most tests use PaperOptions(): PreVote and CheckQuorum off, so the rules
// are exercised exactly as the paper states them. Where the extensions change
// a rule (stale appends are answered only with them on; a leader lease
// ignores vote requests) the test says so and uses the defaults.
#include <gtest/gtest.h>

#include <optional>

#include "tests/support/test_cluster.h"

namespace raft::testing {
namespace {

ClusterOptions PaperOptions() { return ClusterOptions{.pre_vote = false, .check_quorum = false}; }

bool HasGrant(const std::vector<Message>& msgs, MessageType type) {
  for (const Message& m : msgs) {
    if (m.type == type && !m.reject) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Rules for Servers: All Servers

// "If commitIndex > lastApplied: increment lastApplied, apply
// log[lastApplied] to state machine." Entries reach the state machine once,
// in index order, never past the commit index, even when the per-Ready byte
// budget splits them over several Readies.
TEST(Figure2, AllServers_ApplyCommittedEntriesInOrder) {
  ClusterOptions opts;
  opts.committed_bytes_per_ready_max = 60;  // two small entries per Ready
  TestCluster c(3, opts);
  std::map<uint64_t, uint64_t> applied_last;  // per node, from the Readies
  c.ready_observer = [&](uint64_t id, const Ready& rd) {
    for (const Entry& e : rd.committed_entries) {
      EXPECT_EQ(e.index.value, applied_last[id] + 1) << "node " << id << " skipped or repeated";
      applied_last[id] = e.index.value;
    }
    if (!rd.committed_entries.empty()) {
      EXPECT_LE(rd.committed_entries.size(), 2u) << "byte budget ignored";
      const Index commit = rd.hard_state ? rd.hard_state->commit : c.raft(id).log().committed();
      EXPECT_LE(rd.committed_entries.back().index, commit) << "applied past commit";
    }
  };
  c.ElectLeader(1);
  for (int batch = 0; batch < 3; batch++) {
    for (int i = 0; i < 3 + batch; i++) {
      ASSERT_TRUE(c.Propose(1, "cmd" + std::to_string(batch) + "." + std::to_string(i)).ok());
    }
    c.Stabilize();
  }
  const std::vector<Entry> log = c.LogOf(1);
  ASSERT_EQ(log.size(), 13u);  // no-op + 3 + 4 + 5
  for (uint64_t id : c.ids()) {
    EXPECT_EQ(c.raft(id).log().committed(), Index{13}) << "node " << id;
    EXPECT_EQ(c.raft(id).log().applied(), Index{13}) << "node " << id;
    EXPECT_EQ(c.peer(id).applied, log) << "node " << id << " applied a different sequence";
  }
}

// "If RPC request or response contains term T > currentTerm: set
// currentTerm = T, convert to follower." Checked for every role and every
// wire message type.
TEST(Figure2, AllServers_HigherTermInAnyRpcConvertsToFollower) {
  enum class Start { kFollower, kPreCandidate, kCandidate, kLeader };
  const MessageType kTypes[] = {MessageType::kAppend,     MessageType::kHeartbeat,
                                MessageType::kVote,       MessageType::kAppendResp,
                                MessageType::kVoteResp,   MessageType::kHeartbeatResp,
                                MessageType::kPreVoteResp};
  for (bool paper : {true, false}) {
    for (Start start :
         {Start::kFollower, Start::kPreCandidate, Start::kCandidate, Start::kLeader}) {
      if (paper && start == Start::kPreCandidate) continue;  // no PreVote in the paper
      for (MessageType type : kTypes) {
        // Inside a leader lease (CheckQuorum on) a vote request is ignored on
        // purpose; elections_test covers that. Everything else converts.
        const bool leased = start == Start::kFollower || start == Start::kLeader;
        if (!paper && leased && type == MessageType::kVote) continue;
        SCOPED_TRACE(std::string(paper ? "paper" : "defaults") + " start=" +
                     std::to_string(static_cast<int>(start)) + " msg=" + MessageTypeName(type));
        TestCluster c(3, paper ? PaperOptions() : ClusterOptions{});
        switch (start) {
          case Start::kFollower:
            c.ElectLeader(2);
            break;
          case Start::kPreCandidate:
            c.Campaign(1);
            break;
          case Start::kCandidate:
            c.Campaign(1);
            if (!paper) {  // win the pre-vote only
              c.DeliverIf([](const Message& m) { return m.type == MessageType::kPreVote; });
              c.DeliverIf([](const Message& m) { return m.type == MessageType::kPreVoteResp; });
            }
            break;
          case Start::kLeader:
            c.ElectLeader(1);
            break;
        }
        (void)c.TakeQueued();
        const Role expected_start = start == Start::kFollower       ? Role::kFollower
                                    : start == Start::kPreCandidate ? Role::kPreCandidate
                                    : start == Start::kCandidate    ? Role::kCandidate
                                                                    : Role::kLeader;
        ASSERT_EQ(c.raft(1).role(), expected_start);
        ASSERT_LT(c.raft(1).term(), Term{5});

        Message m;
        switch (type) {
          case MessageType::kAppend:
            m = MakeAppend(3, 1, 5, 0, 0);
            break;
          case MessageType::kHeartbeat:
            m = MakeHeartbeat(3, 1, 5);
            break;
          case MessageType::kVote:
            m = MakeVote(type, 3, 1, 5, c.raft(1).log().LastIndex().value,
                         c.raft(1).log().LastTerm().value);
            break;
          default:  // responses; a higher-term vote answer is always a refusal
            m = MakeResponse(
                type, 3, 1, 5,
                /*reject=*/type == MessageType::kVoteResp || type == MessageType::kPreVoteResp);
            break;
        }
        c.Deliver(m);
        EXPECT_EQ(c.raft(1).term(), Term{5});
        EXPECT_EQ(c.raft(1).role(), Role::kFollower);
        const bool from_leader = type == MessageType::kAppend || type == MessageType::kHeartbeat;
        EXPECT_EQ(c.raft(1).leader(), from_leader ? NodeId{3} : kNoNode);
        // The vote of the old term is gone; only a vote request can set a new one.
        EXPECT_EQ(c.raft(1).vote(), type == MessageType::kVote ? NodeId{3} : kNoNode);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Rules for Servers: Followers

// "Respond to RPCs from candidates and leaders."
TEST(Figure2, Followers_RespondToRpcs) {
  TestCluster c(3, PaperOptions());
  c.ElectLeader(2);
  (void)c.TakeQueued();

  c.Deliver(MakeAppend(2, 1, 1, 1, 1, EntriesFrom(2, {1}), 1));
  std::vector<Message> out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kAppendResp);
  EXPECT_EQ(out[0].to, NodeId{2});
  EXPECT_EQ(out[0].term, Term{1});
  EXPECT_FALSE(out[0].reject);
  EXPECT_EQ(out[0].index, Index{2});

  c.Deliver(MakeHeartbeat(2, 1, 1, 1, /*context=*/7));
  out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kHeartbeatResp);
  EXPECT_EQ(out[0].to, NodeId{2});
  EXPECT_EQ(out[0].context, 7u);

  c.Deliver(MakeVote(MessageType::kVote, 3, 1, 2, 2, 1));
  out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kVoteResp);
  EXPECT_EQ(out[0].to, NodeId{3});
  EXPECT_EQ(out[0].term, Term{2});
  EXPECT_FALSE(out[0].reject);
}

// "If election timeout elapses without receiving AppendEntries RPC from
// current leader or granting vote to candidate: convert to candidate."
TEST(Figure2, Followers_ElectionTimeoutStartsElection) {
  TestCluster c(3, PaperOptions());
  const int timeout = c.raft(1).randomized_election_ticks();
  c.Tick(1, timeout - 1);
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).term(), Term{0});
  EXPECT_TRUE(c.queue().empty());
  c.Tick(1);
  EXPECT_EQ(c.raft(1).role(), Role::kCandidate);
  EXPECT_EQ(c.raft(1).term(), Term{1});
  const std::vector<Message> out = c.TakeQueued();
  EXPECT_EQ(OfType(out, MessageType::kVote, 2).size(), 1u);
  EXPECT_EQ(OfType(out, MessageType::kVote, 3).size(), 1u);
}

// With PreVote the timeout starts a pre-election that leaves the term alone.
TEST(Figure2, Followers_ElectionTimeoutStartsPreVoteWithoutTermChange) {
  TestCluster c(3);
  c.Tick(1, c.raft(1).randomized_election_ticks());
  EXPECT_EQ(c.raft(1).role(), Role::kPreCandidate);
  EXPECT_EQ(c.raft(1).term(), Term{0});
  EXPECT_EQ(c.raft(1).vote(), kNoNode);
  const std::vector<Message> out = c.TakeQueued();
  ASSERT_EQ(OfType(out, MessageType::kPreVote).size(), 2u);
  for (const Message& m : out) EXPECT_EQ(m.term, Term{1}) << "asks about the next term";
}

TEST(Figure2, Followers_AppendEntriesFromLeaderResetsElectionTimer) {
  TestCluster c(3, PaperOptions());
  c.SetDurable(1, Log({1}), HardState{.term = Term{1}});
  const int timeout = c.raft(1).randomized_election_ticks();
  c.Tick(1, timeout - 1);
  c.Deliver(MakeHeartbeat(2, 1, 1, 1));
  c.Tick(1, timeout - 1);
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  c.Deliver(MakeAppend(2, 1, 1, 1, 1));
  c.Tick(1, timeout - 1);
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).term(), Term{1});
  c.Tick(1);
  EXPECT_EQ(c.raft(1).role(), Role::kCandidate);
  EXPECT_EQ(c.raft(1).term(), Term{2});
}

TEST(Figure2, Followers_GrantingVoteResetsElectionTimer) {
  TestCluster c(3, PaperOptions());
  c.SetDurable(1, Log({1}), HardState{.term = Term{1}});
  const int timeout = c.raft(1).randomized_election_ticks();
  c.Tick(1, timeout - 1);
  c.Deliver(MakeVote(MessageType::kVote, 2, 1, 1, 1, 1));  // same term: no reset by term
  ASSERT_EQ(c.raft(1).vote(), NodeId{2});
  c.Tick(1, timeout - 1);
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  c.Tick(1);
  EXPECT_EQ(c.raft(1).role(), Role::kCandidate);
}

// The contrast: a refused vote is not "granting vote to candidate", so the
// timer keeps running.
TEST(Figure2, Followers_RefusingVoteDoesNotResetElectionTimer) {
  TestCluster c(3, PaperOptions());
  c.SetDurable(1, Log({1, 1}), HardState{.term = Term{1}});
  const int timeout = c.raft(1).randomized_election_ticks();
  c.Tick(1, timeout - 1);
  c.Deliver(MakeVote(MessageType::kVote, 2, 1, 1, 1, 1));  // shorter log: refused
  ASSERT_EQ(c.raft(1).vote(), kNoNode);
  c.Tick(1);
  EXPECT_EQ(c.raft(1).role(), Role::kCandidate);
}

// ---------------------------------------------------------------------------
// Rules for Servers: Candidates

// "On conversion to candidate, start election: increment currentTerm, vote
// for self, reset election timer, send RequestVote RPCs to all other servers."
TEST(Figure2, Candidates_IncrementTermVoteForSelfResetTimerSendRequestVote) {
  TestCluster c(3, PaperOptions());
  c.SetDurable(1, Log({1, 1, 2}), HardState{.term = Term{2}});
  std::optional<Ready> first;
  c.ready_observer = [&](uint64_t id, const Ready& rd) {
    if (id == 1 && !first) first = rd;
  };
  c.Tick(1, c.raft(1).randomized_election_ticks());
  EXPECT_EQ(c.raft(1).role(), Role::kCandidate);
  EXPECT_EQ(c.raft(1).term(), Term{3});
  EXPECT_EQ(c.raft(1).vote(), NodeId{1});
  const std::vector<Message> votes = OfType(c.TakeQueued(), MessageType::kVote);
  ASSERT_EQ(votes.size(), 2u);
  for (const Message& m : votes) {
    EXPECT_EQ(m.term, Term{3});
    EXPECT_EQ(m.index, Index{3});
    EXPECT_EQ(m.log_term, Term{2});
  }
  EXPECT_NE(votes[0].to, votes[1].to);
  // The vote for self is durable before the requests go out.
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(first->hard_state.has_value());
  EXPECT_EQ(first->hard_state->term, Term{3});
  EXPECT_EQ(first->hard_state->vote, NodeId{1});
  EXPECT_TRUE(first->must_sync);
  EXPECT_EQ(first->messages.size(), 2u);
  // Reset timer: a full new timeout passes before the next election.
  c.Tick(1, c.raft(1).randomized_election_ticks() - 1);
  EXPECT_EQ(c.raft(1).term(), Term{3});
  EXPECT_TRUE(c.queue().empty());
}

// "If votes received from majority of servers: become leader."
TEST(Figure2, Candidates_MajorityVotesBecomeLeader) {
  TestCluster c(5, PaperOptions());
  c.Campaign(1);
  auto to = [](uint64_t id) { return [id](const Message& m) { return m.to == NodeId{id}; }; };
  c.DeliverIf(to(2));  // node 2 grants
  c.DeliverIf([](const Message& m) { return m.type == MessageType::kVoteResp; });
  EXPECT_EQ(c.raft(1).role(), Role::kCandidate) << "2 of 5 is not a majority";
  c.DeliverIf(to(3));
  c.DeliverIf([](const Message& m) { return m.type == MessageType::kVoteResp; });
  EXPECT_EQ(c.raft(1).role(), Role::kLeader) << "3 of 5 is";
  EXPECT_EQ(c.raft(1).term(), Term{1});
  EXPECT_EQ(c.raft(1).leader(), NodeId{1});
}

// The other way an election ends: a majority refuses.
TEST(Figure2, Candidates_MajorityRefusalsReturnToFollower) {
  TestCluster c(5, PaperOptions());
  c.SetDurable(1, {}, HardState{.term = Term{1}});
  for (uint64_t id = 2; id <= 5; id++) c.SetDurable(id, Log({1}), HardState{.term = Term{1}});
  c.Campaign(1);  // empty log: everyone refuses
  ASSERT_EQ(c.raft(1).term(), Term{2});
  auto to = [](uint64_t id) { return [id](const Message& m) { return m.to == NodeId{id}; }; };
  auto resp = [](const Message& m) { return m.type == MessageType::kVoteResp; };
  c.DeliverIf(to(2));
  c.DeliverIf(to(3));
  c.DeliverIf(resp);
  EXPECT_EQ(c.raft(1).role(), Role::kCandidate) << "2 refusals of 5 leave 3 possible votes";
  c.DeliverIf(to(4));
  c.DeliverIf(resp);
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).term(), Term{2});
  EXPECT_EQ(c.raft(1).vote(), NodeId{1}) << "the vote of the term stands";
}

// "If AppendEntries RPC received from new leader: convert to follower."
TEST(Figure2, Candidates_AppendEntriesFromNewLeaderConvertsToFollower) {
  for (MessageType type : {MessageType::kAppend, MessageType::kHeartbeat}) {
    SCOPED_TRACE(MessageTypeName(type));
    TestCluster c(3, PaperOptions());
    c.Campaign(1);
    (void)c.TakeQueued();
    ASSERT_EQ(c.raft(1).role(), Role::kCandidate);
    c.Deliver(type == MessageType::kAppend ? MakeAppend(2, 1, 1, 0, 0) : MakeHeartbeat(2, 1, 1));
    EXPECT_EQ(c.raft(1).role(), Role::kFollower);
    EXPECT_EQ(c.raft(1).term(), Term{1});
    EXPECT_EQ(c.raft(1).leader(), NodeId{2});
    EXPECT_EQ(c.raft(1).vote(), NodeId{1}) << "a vote is never taken back within a term";
    EXPECT_EQ(c.TakeQueued().size(), 1u) << "and the RPC is answered";
  }
}

// A pre-candidate gives up the same way when a leader of its term shows up.
TEST(Figure2, Candidates_PreCandidateConvertsToFollowerOnAppendEntries) {
  TestCluster c(3);
  c.SetDurable(1, Log({1}), HardState{.term = Term{1}});
  c.Campaign(1);
  (void)c.TakeQueued();
  ASSERT_EQ(c.raft(1).role(), Role::kPreCandidate);
  c.Deliver(MakeAppend(2, 1, 1, 1, 1));
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).term(), Term{1});
  EXPECT_EQ(c.raft(1).leader(), NodeId{2});
}

// An AppendEntries from an older term is no new leader.
TEST(Figure2, Candidates_StaleAppendEntriesDoesNotConvert) {
  TestCluster c(3, PaperOptions());
  c.SetDurable(1, Log({1}), HardState{.term = Term{1}});
  c.Campaign(1);
  ASSERT_EQ(c.raft(1).term(), Term{2});
  c.Deliver(MakeAppend(2, 1, 1, 1, 1));
  EXPECT_EQ(c.raft(1).role(), Role::kCandidate);
  EXPECT_EQ(c.raft(1).term(), Term{2});
}

// "If election timeout elapses: start new election."
TEST(Figure2, Candidates_ElectionTimeoutStartsNewElection) {
  TestCluster c(3, PaperOptions());
  c.Campaign(1);
  (void)c.TakeQueued();  // the votes are lost
  ASSERT_EQ(c.raft(1).term(), Term{1});
  const int timeout = c.raft(1).randomized_election_ticks();
  c.Tick(1, timeout - 1);
  EXPECT_EQ(c.raft(1).term(), Term{1});
  EXPECT_TRUE(c.queue().empty());
  c.Tick(1);
  EXPECT_EQ(c.raft(1).role(), Role::kCandidate);
  EXPECT_EQ(c.raft(1).term(), Term{2});
  EXPECT_EQ(c.raft(1).vote(), NodeId{1});
  const std::vector<Message> votes = OfType(c.TakeQueued(), MessageType::kVote);
  ASSERT_EQ(votes.size(), 2u);
  for (const Message& m : votes) EXPECT_EQ(m.term, Term{2});
}

// ---------------------------------------------------------------------------
// Rules for Servers: Leaders

// "Upon election: send initial empty AppendEntries RPCs (heartbeat) to each
// server." Ours carries the new leader's no-op, and goes out with the Ready
// that reports the win, before any tick.
TEST(Figure2, Leaders_SendHeartbeatsOnElection) {
  TestCluster c(3, PaperOptions());
  c.Campaign(1);
  c.DeliverIf([](const Message& m) { return m.type == MessageType::kVote; });
  c.DeliverIf([](const Message& m) { return m.type == MessageType::kVoteResp; });
  ASSERT_EQ(c.raft(1).role(), Role::kLeader);
  const std::vector<Message> out = c.TakeQueued();
  for (uint64_t peer : {2, 3}) {
    const std::vector<Message> appends = OfType(out, MessageType::kAppend, peer);
    ASSERT_EQ(appends.size(), 1u) << "to " << peer;
    EXPECT_EQ(appends[0].term, Term{1});
    EXPECT_EQ(appends[0].index, Index{0});
    ASSERT_EQ(appends[0].entries.size(), 1u);
    EXPECT_EQ(appends[0].entries[0].type, EntryType::kNoop);
    EXPECT_EQ(appends[0].entries[0].term, Term{1});
  }
}

// "... repeat during idle periods to prevent election timeouts": one
// heartbeat per follower every heartbeat_ticks.
TEST(Figure2, Leaders_RepeatHeartbeatsDuringIdle) {
  ClusterOptions opts;
  opts.heartbeat_ticks = 3;
  TestCluster c(3, opts);
  c.ElectLeader(1);
  ASSERT_TRUE(c.queue().empty());
  for (int round = 0; round < 4; round++) {
    c.Tick(1, 2);
    EXPECT_TRUE(c.queue().empty()) << "round " << round;
    c.Tick(1);
    const std::vector<Message> out = c.TakeQueued();
    ASSERT_EQ(out.size(), 2u) << "round " << round;
    EXPECT_EQ(OfType(out, MessageType::kHeartbeat, 2).size(), 1u);
    EXPECT_EQ(OfType(out, MessageType::kHeartbeat, 3).size(), 1u);
    for (const Message& m : out) {
      c.Deliver(m);
      EXPECT_EQ(m.term, Term{1});
    }
    c.Stabilize();
  }
  // The followers never timed out meanwhile (their timers were reset).
  c.Tick(2, c.raft(2).randomized_election_ticks() - 1);
  EXPECT_EQ(c.raft(2).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).role(), Role::kLeader);
}

// "If command received from client: append entry to local log, respond
// after entry applied to state machine."
TEST(Figure2, Leaders_AppendClientCommandAndRespondAfterApplied) {
  TestCluster c(3);
  c.ElectLeader(1);
  std::vector<Ready> leader_readies;
  c.ready_observer = [&](uint64_t id, const Ready& rd) {
    if (id == 1) leader_readies.push_back(rd);
  };
  Result<Index> idx = c.Propose(1, "cmd");
  ASSERT_TRUE(idx.ok());
  EXPECT_EQ(idx.value(), Index{2});
  // Appended locally (handed out to persist), not yet applied.
  ASSERT_EQ(leader_readies.size(), 1u);
  ASSERT_EQ(leader_readies[0].entries.size(), 1u);
  EXPECT_EQ(leader_readies[0].entries[0].data, "cmd");
  EXPECT_EQ(leader_readies[0].entries[0].term, Term{1});
  EXPECT_TRUE(leader_readies[0].committed_entries.empty());
  EXPECT_EQ(c.LogOf(1).back().data, "cmd");
  EXPECT_EQ(c.peer(1).applied.size(), 1u) << "only the no-op";
  // Once one follower acks, a majority holds it: commit, then apply.
  c.DeliverIf([](const Message& m) { return m.to == NodeId{2}; });
  c.DeliverIf([](const Message& m) { return m.type == MessageType::kAppendResp; });
  ASSERT_EQ(c.peer(1).applied.size(), 2u);
  EXPECT_EQ(c.peer(1).applied[1].data, "cmd");
  EXPECT_EQ(c.peer(1).applied[1].index, Index{2});
  // Only the leader takes commands.
  Result<Index> not_leader = c.Propose(2, "x");
  ASSERT_FALSE(not_leader.ok());
  EXPECT_EQ(not_leader.status().code(), StatusCode::kNotLeader);
}

// "If last log index >= nextIndex for a follower: send AppendEntries RPC
// with log entries starting at nextIndex."
TEST(Figure2, Leaders_SendEntriesFromNextIndex) {
  TestCluster c(3);
  c.ElectLeader(1);
  for (const std::string data : {"a", "b", "c"}) {
    const Index next = c.raft(1).progress().at(NodeId{2}).next();
    ASSERT_TRUE(c.Propose(1, data).ok());
    const std::vector<Message> appends = OfType(c.TakeQueued(), MessageType::kAppend, 2);
    ASSERT_EQ(appends.size(), 1u);
    EXPECT_EQ(appends[0].index, next.Prev());
    EXPECT_EQ(appends[0].log_term, Term{1});
    ASSERT_EQ(appends[0].entries.size(), 1u);
    EXPECT_EQ(appends[0].entries[0].index, next);
    EXPECT_EQ(appends[0].entries[0].data, data);
  }
}

// "If successful: update nextIndex and matchIndex for follower."
TEST(Figure2, Leaders_UpdateNextAndMatchOnSuccess) {
  TestCluster c(3);
  c.ElectLeader(1);
  EXPECT_EQ(c.raft(1).progress().at(NodeId{2}).match(), Index{1});
  EXPECT_EQ(c.raft(1).progress().at(NodeId{2}).next(), Index{2});
  ASSERT_TRUE(c.Propose(1, "a").ok());
  ASSERT_TRUE(c.Propose(1, "b").ok());
  c.DeliverIf([](const Message& m) { return m.to == NodeId{2}; });
  EXPECT_EQ(c.raft(1).progress().at(NodeId{2}).match(), Index{1}) << "no ack yet";
  c.DeliverIf([](const Message& m) { return m.from == NodeId{2}; });
  EXPECT_EQ(c.raft(1).progress().at(NodeId{2}).match(), Index{3});
  EXPECT_EQ(c.raft(1).progress().at(NodeId{2}).next(), Index{4});
}

// "If AppendEntries fails because of log inconsistency: decrement
// nextIndex and retry." With the conflict hint the leader skips a whole
// conflicting term (or the missing tail) per round trip.
TEST(Figure2, Leaders_DecrementNextIndexOnRejectAndRetry) {
  struct Case {
    const char* name;
    std::vector<uint64_t> leader;
    std::vector<uint64_t> follower;
    uint64_t leader_term;
    std::vector<uint64_t> probes;  // prev index of each append to node 2, in order
  };
  const Case kCases[] = {
      // Too short: hint_index = its last + 1, so the retry starts right there.
      {"follower shorter", {1, 1, 1, 2, 2}, {1, 1, 1}, 2, {5, 3}},
      // Conflicting term 3 unknown to the leader: skip to its first index.
      {"term unknown to leader", {1, 1, 2, 2, 2}, {1, 1, 3, 3, 3}, 3, {5, 2}},
      // Follower's term 2 is in the leader's log: resume after its last 2.
      {"term known to leader", {1, 2, 2, 2, 5}, {1, 2, 2, 2, 2, 2, 2}, 5, {5, 4}},
  };
  for (const Case& k : kCases) {
    SCOPED_TRACE(k.name);
    TestCluster c(3, PaperOptions());
    c.SetDurable(1, Log(k.leader), HardState{.term = Term{k.leader_term}});
    c.SetDurable(2, Log(k.follower), HardState{.term = Term{k.leader_term}});
    c.SetDurable(3, Log(k.leader), HardState{.term = Term{k.leader_term}});
    std::vector<uint64_t> probes;
    int rejects = 0;
    c.deliver_observer = [&](const Message& m) {
      if (m.type == MessageType::kAppend && m.to == NodeId{2} && !m.entries.empty()) {
        probes.push_back(m.index.value);
      }
      if (m.type == MessageType::kAppendResp && m.from == NodeId{2} && m.reject) rejects++;
    };
    c.ElectLeader(1);
    EXPECT_EQ(probes, k.probes);
    EXPECT_EQ(rejects, static_cast<int>(k.probes.size()) - 1);
    EXPECT_EQ(c.TermsOf(2), c.TermsOf(1));
    EXPECT_EQ(c.LogOf(2), c.LogOf(1));
  }
}

// "If there exists an N such that N > commitIndex, a majority of
// matchIndex[i] >= N, and log[N].term == currentTerm: set commitIndex = N."
TEST(Figure2, Leaders_CommitWhenMajorityMatchAndTermIsCurrent) {
  TestCluster c(5);
  c.ElectLeader(1);
  ASSERT_EQ(c.raft(1).log().committed(), Index{1});
  ASSERT_TRUE(c.Propose(1, "x").ok());
  auto ack_from = [&](uint64_t id) {
    c.DeliverIf([id](const Message& m) { return m.to == NodeId{id}; });
    c.DeliverIf([id](const Message& m) { return m.from == NodeId{id}; });
  };
  ack_from(2);
  EXPECT_EQ(c.raft(1).log().committed(), Index{1}) << "2 of 5 hold index 2";
  ack_from(3);
  EXPECT_EQ(c.raft(1).log().committed(), Index{2}) << "3 of 5 hold index 2";
}

// The "log[N].term == currentTerm" half: entries of an earlier term on a
// majority do not commit by counting (figure8_test has the full scenario).
TEST(Figure2, Leaders_NeverCommitEntryOfEarlierTermByCounting) {
  ClusterOptions opts = PaperOptions();
  opts.append_bytes_max = 1;  // one entry per AppendEntries
  TestCluster c(3, opts);
  c.SetDurable(1, Log({1, 2}), HardState{.term = Term{2}, .commit = Index{1}});
  c.SetDurable(2, Log({1}), HardState{.term = Term{2}, .commit = Index{1}});
  c.SetDurable(3, Log({1}), HardState{.term = Term{2}, .commit = Index{1}});
  // The network loses every append that would deliver an entry of term 3
  // (the new leader's no-op); probes that will be refused get through.
  c.drop_filter = [&c](const Message& m) {
    if (m.type != MessageType::kAppend) return false;
    if (!c.raft(m.to.value).log().MatchTerm(m.index, m.log_term)) return false;
    for (const Entry& e : m.entries) {
      if (e.term == Term{3}) return true;
    }
    return false;
  };
  c.ElectLeader(1);
  ASSERT_EQ(c.raft(1).term(), Term{3});
  EXPECT_EQ(c.raft(1).progress().at(NodeId{2}).match(), Index{2});
  EXPECT_EQ(c.raft(1).progress().at(NodeId{3}).match(), Index{2});
  EXPECT_EQ(c.raft(1).log().committed(), Index{1}) << "index 2 is from term 2";
  c.Heal();
  c.Tick(1);  // heartbeat -> responses -> the no-op goes out again
  c.Stabilize();
  EXPECT_EQ(c.raft(1).log().committed(), Index{3});
  EXPECT_EQ(c.peer(1).applied.size(), 3u);
}

// The leader's own copy counts toward the majority only once the host has
// made it durable (Raft::OnStable via RawNode::Advance).
TEST(Figure2, Leaders_CountOwnEntryOnlyAfterPersistingIt) {
  TestCluster c(3);
  c.ElectLeader(1);
  ASSERT_TRUE(c.node(1).Propose("x").ok());
  Ready rd = c.node(1).GetReady();  // held: not yet persisted
  ASSERT_EQ(rd.entries.size(), 1u);
  for (const Message& m : OfType(rd.messages, MessageType::kAppend, 2)) {
    ASSERT_TRUE(c.node(2).Step(m).ok());
  }
  c.ProcessReady(2);  // node 1 still holds its Ready: do not process it
  ASSERT_EQ(c.queue().size(), 1u);
  ASSERT_TRUE(c.node(1).Step(c.queue().front()).ok());
  c.queue().clear();
  EXPECT_EQ(c.raft(1).progress().at(NodeId{2}).match(), Index{2});
  EXPECT_EQ(c.raft(1).log().committed(), Index{1}) << "only node 2's copy is durable";
  c.peer(1).storage.Append(rd.entries);
  c.node(1).Advance(rd);
  EXPECT_EQ(c.raft(1).log().committed(), Index{2});
}

// ---------------------------------------------------------------------------
// AppendEntries RPC, receiver implementation

// "1. Reply false if term < currentTerm." With PreVote or CheckQuorum on the
// reply carries our term so the stale leader steps down; the log is untouched.
TEST(Figure2, AppendEntries_Rule1_RejectIfTermLessThanCurrent) {
  TestCluster c(3);
  c.SetDurable(1, Log({1, 2, 3}), HardState{.term = Term{3}});
  c.Deliver(MakeAppend(2, 1, 2, 3, 3, EntriesFrom(4, {2}), 3));
  EXPECT_EQ(c.TermsOf(1), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(c.raft(1).log().committed(), Index{0});
  EXPECT_EQ(c.raft(1).term(), Term{3});
  EXPECT_EQ(c.raft(1).leader(), kNoNode);
  const std::vector<Message> out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kAppendResp);
  EXPECT_EQ(out[0].to, NodeId{2});
  EXPECT_EQ(out[0].term, Term{3});
  EXPECT_EQ(out[0].index, Index{0}) << "acknowledges nothing";
}

// With both PreVote and CheckQuorum off the core follows etcd-io/raft, not
// the paper: the stale append is dropped without any reply (the stale
// leader learns the new term from the next message of that term instead).
// Safety is the same; this test pins the behaviour so a change is deliberate.
TEST(Figure2, AppendEntries_Rule1_WithoutExtensionsStaleAppendIsDroppedSilently) {
  TestCluster c(3, PaperOptions());
  c.SetDurable(1, Log({1, 2, 3}), HardState{.term = Term{3}});
  c.Deliver(MakeAppend(2, 1, 2, 3, 3, EntriesFrom(4, {2}), 3));
  EXPECT_EQ(c.TermsOf(1), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(c.raft(1).term(), Term{3});
  EXPECT_TRUE(c.TakeQueued().empty());
}

// The reply does its job: a deposed leader that comes back learns the new
// term from its first heartbeat's answer and steps down.
TEST(Figure2, AppendEntries_Rule1_StaleLeaderStepsDownOnReply) {
  TestCluster c(3);
  c.ElectLeader(1);
  c.Isolate(1);
  for (int i = 0; i < 100 && c.raft(2).role() != Role::kLeader && c.raft(3).role() != Role::kLeader;
       i++) {
    c.Tick(2);
    c.Tick(3);
    c.Stabilize();
  }
  const uint64_t new_leader = c.raft(2).role() == Role::kLeader ? 2 : 3;
  ASSERT_EQ(c.raft(new_leader).role(), Role::kLeader);
  const Term new_term = c.raft(new_leader).term();
  ASSERT_GT(new_term, Term{1});
  ASSERT_EQ(c.raft(1).role(), Role::kLeader) << "node 1 has not heard of the new term";
  ASSERT_EQ(c.raft(1).term(), Term{1});
  c.Heal();
  c.Tick(1);  // heartbeats of term 1
  ASSERT_EQ(c.DeliverIf([](const Message& m) { return m.from == NodeId{1}; }), 2u);
  c.DeliverIf([](const Message& m) { return m.to == NodeId{1}; });  // the replies
  EXPECT_EQ(c.raft(1).role(), Role::kFollower);
  EXPECT_EQ(c.raft(1).term(), new_term);
}

// "2. Reply false if log doesn't contain an entry at prevLogIndex whose term
// matches prevLogTerm." The refusal carries the conflict hint.
TEST(Figure2, AppendEntries_Rule2_RejectIfNoMatchingPrevEntry) {
  struct Case {
    uint64_t prev_index, prev_term;
    bool reject;
    uint64_t hint_term, hint_index;
  };
  const Case kCases[] = {
      {3, 2, true, 3, 3},   // term differs at prev: our term there, its first index
      {2, 1, true, 2, 2},   //
      {4, 3, true, 0, 4},   // prev past our end: hint is our last + 1
      {9, 9, true, 0, 4},   //
      {3, 3, false, 0, 0},  // matches
      {0, 0, false, 0, 0},  // the empty prefix always matches
  };
  for (const Case& k : kCases) {
    SCOPED_TRACE("prev=" + std::to_string(k.prev_index) + "/" + std::to_string(k.prev_term));
    TestCluster c(3, PaperOptions());
    c.SetDurable(1, Log({1, 2, 3}), HardState{.term = Term{3}});
    c.Deliver(MakeAppend(2, 1, 3, k.prev_index, k.prev_term));
    const std::vector<Message> out = c.TakeQueued();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, MessageType::kAppendResp);
    EXPECT_EQ(out[0].reject, k.reject);
    if (k.reject) {
      EXPECT_EQ(out[0].index, Index{k.prev_index}) << "names the rejected probe";
      EXPECT_EQ(out[0].hint_term, Term{k.hint_term});
      EXPECT_EQ(out[0].hint_index, Index{k.hint_index});
    } else {
      EXPECT_EQ(out[0].index, Index{k.prev_index});
    }
    EXPECT_EQ(c.TermsOf(1), (std::vector<uint64_t>{1, 2, 3})) << "log untouched";
  }
}

// "3. If an existing entry conflicts with a new one (same index but
// different terms), delete the existing entry and all that follow it."
TEST(Figure2, AppendEntries_Rule3_DeleteConflictingEntryAndAllThatFollow) {
  struct Case {
    uint64_t prev_index, prev_term;
    std::vector<uint64_t> entries;  // terms from prev_index + 1
    std::vector<uint64_t> want;
    uint64_t first_rewritten;  // lowest index handed out to persist
  };
  const Case kCases[] = {
      {2, 1, {3}, {1, 1, 3}, 3},           // conflict at 3 removes 3 and 4
      {1, 1, {1, 3, 3}, {1, 1, 3, 3}, 3},  // index 2 matches and is kept as is
      {0, 0, {3}, {3}, 1},                 // conflict at the very first entry
  };
  for (const Case& k : kCases) {
    SCOPED_TRACE("prev=" + std::to_string(k.prev_index));
    TestCluster c(3, PaperOptions());
    c.SetDurable(1, Log({1, 1, 2, 2}), HardState{.term = Term{2}});
    uint64_t first_written = 0;
    c.ready_observer = [&](uint64_t id, const Ready& rd) {
      if (id == 1 && !rd.entries.empty() && first_written == 0) {
        first_written = rd.entries.front().index.value;
      }
    };
    c.Deliver(
        MakeAppend(2, 1, 3, k.prev_index, k.prev_term, EntriesFrom(k.prev_index + 1, k.entries)));
    EXPECT_EQ(c.TermsOf(1), k.want);
    EXPECT_EQ(first_written, k.first_rewritten);
    std::vector<uint64_t> stored;
    for (uint64_t i = 1; i <= c.peer(1).storage.LastIndex().value; i++) {
      stored.push_back(c.peer(1).storage.TermAt(Index{i}).value().value);
    }
    EXPECT_EQ(stored, k.want) << "the deletion reached stable storage";
  }
}

// "4. Append any new entries not already in the log." Entries already there
// are neither rewritten nor truncated, so a stale shorter append is harmless.
TEST(Figure2, AppendEntries_Rule4_AppendNewEntriesNotInLog) {
  struct Case {
    std::vector<uint64_t> log;
    uint64_t prev_index, prev_term;
    std::vector<uint64_t> entries;
    std::vector<uint64_t> want;
    uint64_t first_written;  // 0: nothing handed out to persist
    uint64_t acked;
  };
  const Case kCases[] = {
      {{1, 1}, 1, 1, {1, 2}, {1, 1, 2}, 3, 3},        // 2 present, 3 new
      {{1, 1}, 2, 1, {2, 2}, {1, 1, 2, 2}, 3, 4},     // all new
      {{1, 1, 2, 2}, 1, 1, {1}, {1, 1, 2, 2}, 0, 2},  // stale shorter: no truncation
      {{1, 1, 2, 2}, 1, 1, {1, 2}, {1, 1, 2, 2}, 0, 3},
      {{1, 1, 2, 2}, 0, 0, {}, {1, 1, 2, 2}, 0, 0},
  };
  for (const Case& k : kCases) {
    SCOPED_TRACE("prev=" + std::to_string(k.prev_index) + " n=" + std::to_string(k.entries.size()));
    TestCluster c(3, PaperOptions());
    c.SetDurable(1, Log(k.log), HardState{.term = Term{2}});
    uint64_t first_written = 0;
    c.ready_observer = [&](uint64_t id, const Ready& rd) {
      if (id == 1 && !rd.entries.empty() && first_written == 0) {
        first_written = rd.entries.front().index.value;
      }
    };
    c.Deliver(
        MakeAppend(2, 1, 2, k.prev_index, k.prev_term, EntriesFrom(k.prev_index + 1, k.entries)));
    EXPECT_EQ(c.TermsOf(1), k.want);
    EXPECT_EQ(first_written, k.first_written);
    const std::vector<Message> out = c.TakeQueued();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FALSE(out[0].reject);
    EXPECT_EQ(out[0].index, Index{k.acked}) << "acks the last entry of this append";
  }
}

// "5. If leaderCommit > commitIndex, set commitIndex = min(leaderCommit,
// index of last new entry)." Entries past the append are not known to
// match the leader, so they must not be committed even if present.
TEST(Figure2, AppendEntries_Rule5_CommitIsMinOfLeaderCommitAndLastNewEntry) {
  TestCluster c(3, PaperOptions());
  c.SetDurable(1, Log({1, 1, 1, 1, 1}), HardState{.term = Term{1}});
  auto step = [&](uint64_t prev, std::vector<uint64_t> terms, uint64_t commit) {
    c.Deliver(MakeAppend(2, 1, 1, prev, 1, EntriesFrom(prev + 1, terms), commit));
    (void)c.TakeQueued();
    return c.raft(1).log().committed().value;
  };
  EXPECT_EQ(step(1, {1}, 5), 2u) << "last new entry bounds it";
  EXPECT_EQ(step(2, {}, 5), 2u) << "an empty append names no new entry past prev";
  EXPECT_EQ(step(1, {}, 1), 2u) << "never decreases";
  EXPECT_EQ(step(3, {1}, 3), 3u) << "leader commit bounds it";
  EXPECT_EQ(step(4, {1}, 9), 5u);
  // And entries reach the state machine only up to the commit index.
  EXPECT_EQ(c.peer(1).applied.size(), 5u);
  c.Deliver(MakeHeartbeat(2, 1, 1, 5));
  EXPECT_EQ(c.raft(1).log().committed(), Index{5});
}

// ---------------------------------------------------------------------------
// RequestVote RPC, receiver implementation

// "1. Reply false if term < currentTerm."
TEST(Figure2, RequestVote_Rule1_RejectIfTermLessThanCurrent) {
  for (MessageType type : {MessageType::kVote, MessageType::kPreVote}) {
    SCOPED_TRACE(MessageTypeName(type));
    TestCluster c(3);
    c.SetDurable(1, Log({1}), HardState{.term = Term{3}});
    c.Deliver(MakeVote(type, 2, 1, 2, 9, 2));  // a better log, but a stale term
    EXPECT_EQ(c.raft(1).term(), Term{3});
    EXPECT_EQ(c.raft(1).vote(), kNoNode);
    const std::vector<Message> out = c.TakeQueued();
    EXPECT_FALSE(HasGrant(out, MessageType::kVoteResp));
    EXPECT_FALSE(HasGrant(out, MessageType::kPreVoteResp));
    if (type == MessageType::kPreVote) {
      // Refused with our term, so the pre-candidate catches up.
      ASSERT_EQ(out.size(), 1u);
      EXPECT_TRUE(out[0].reject);
      EXPECT_EQ(out[0].term, Term{3});
    }
  }
}

// "2. If votedFor is null or candidateId, and candidate's log is at least as
// up-to-date as receiver's log, grant vote." Section 5.4.1: compare the last
// terms, then the lengths.
TEST(Figure2, RequestVote_Rule2_GrantIfNotVotedAndLogUpToDate) {
  struct Case {
    const char* name;
    uint64_t last_index, last_term;
    bool grant;
  };
  // The voter's log is {1, 1, 2}: last index 3, last term 2.
  const Case kCases[] = {
      {"same last entry", 3, 2, true},           {"same last term, longer", 4, 2, true},
      {"higher last term, shorter", 1, 3, true}, {"lower last term, longer", 9, 1, false},
      {"same last term, shorter", 2, 2, false},  {"empty log", 0, 0, false},
  };
  for (const Case& k : kCases) {
    SCOPED_TRACE(k.name);
    TestCluster c(3, PaperOptions());
    c.SetDurable(1, Log({1, 1, 2}), HardState{.term = Term{2}});
    c.Deliver(MakeVote(MessageType::kVote, 2, 1, 3, k.last_index, k.last_term));
    const std::vector<Message> out = c.TakeQueued();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].type, MessageType::kVoteResp);
    EXPECT_EQ(out[0].term, Term{3});
    EXPECT_EQ(out[0].reject, !k.grant);
    EXPECT_EQ(c.raft(1).term(), Term{3}) << "the term is adopted either way";
    EXPECT_EQ(c.raft(1).vote(), k.grant ? NodeId{2} : kNoNode);
  }
}

// "votedFor is null or candidateId": one vote per term, but a retransmitted
// request from the same candidate is granted again.
TEST(Figure2, RequestVote_Rule2_RefuseIfVotedForAnotherThisTerm) {
  TestCluster c(3, PaperOptions());
  c.SetDurable(1, Log({1}), HardState{.term = Term{1}});
  c.Deliver(MakeVote(MessageType::kVote, 2, 1, 2, 1, 1));
  ASSERT_EQ(c.raft(1).vote(), NodeId{2});
  (void)c.TakeQueued();
  c.Deliver(MakeVote(MessageType::kVote, 3, 1, 2, 5, 1));  // better log, same term
  std::vector<Message> out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].reject);
  EXPECT_EQ(c.raft(1).vote(), NodeId{2});
  c.Deliver(MakeVote(MessageType::kVote, 2, 1, 2, 1, 1));  // retransmission
  out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].reject);
  // A new term frees the vote.
  c.Deliver(MakeVote(MessageType::kVote, 3, 1, 3, 1, 1));
  out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].reject);
  EXPECT_EQ(c.raft(1).vote(), NodeId{3});
}

// The vote survives a restart (it is persistent state).
TEST(Figure2, RequestVote_Rule2_VoteSurvivesRestart) {
  TestCluster c(3, PaperOptions());
  c.Deliver(MakeVote(MessageType::kVote, 2, 1, 1, 0, 0));
  ASSERT_EQ(c.raft(1).vote(), NodeId{2});
  c.Restart(1);
  EXPECT_EQ(c.raft(1).term(), Term{1});
  EXPECT_EQ(c.raft(1).vote(), NodeId{2});
  (void)c.TakeQueued();
  c.Deliver(MakeVote(MessageType::kVote, 3, 1, 1, 0, 0));
  const std::vector<Message> out = c.TakeQueued();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].reject);
}

// ---------------------------------------------------------------------------
// Persistent state: "updated on stable storage before responding to RPCs".

// The Ready that carries a granted vote also carries the HardState holding
// that vote and demands a sync, so a host that persists before sending
// (RawNode's contract) can never vote twice in a term across a crash.
TEST(Figure2, Persistence_TermAndVoteInHardStateBeforeMessages) {
  TestCluster c(3, PaperOptions());
  std::vector<Ready> readies;
  c.ready_observer = [&](uint64_t id, const Ready& rd) {
    if (id == 1) readies.push_back(rd);
  };
  c.Deliver(MakeVote(MessageType::kVote, 2, 1, 4, 0, 0));
  ASSERT_EQ(readies.size(), 1u);
  const Ready& rd = readies[0];
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].type, MessageType::kVoteResp);
  EXPECT_FALSE(rd.messages[0].reject);
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->term, Term{4});
  EXPECT_EQ(rd.hard_state->vote, NodeId{2});
  EXPECT_TRUE(rd.must_sync);
  EXPECT_EQ(c.peer(1).storage.GetInitialState().hard_state.vote, NodeId{2});
}

// Same for log entries: the ack of an append travels with the entries it
// acknowledges, under must_sync.
TEST(Figure2, Persistence_AppendAckTravelsWithItsEntries) {
  TestCluster c(3, PaperOptions());
  std::vector<Ready> readies;
  c.ready_observer = [&](uint64_t id, const Ready& rd) {
    if (id == 1) readies.push_back(rd);
  };
  c.Deliver(MakeAppend(2, 1, 1, 0, 0, EntriesFrom(1, {1, 1})));
  ASSERT_EQ(readies.size(), 1u);
  const Ready& rd = readies[0];
  EXPECT_EQ(rd.entries, EntriesFrom(1, {1, 1}));
  ASSERT_EQ(rd.messages.size(), 1u);
  EXPECT_EQ(rd.messages[0].type, MessageType::kAppendResp);
  EXPECT_EQ(rd.messages[0].index, Index{2});
  EXPECT_TRUE(rd.must_sync);
  // A commit-only change needs no sync.
  readies.clear();
  c.Deliver(MakeHeartbeat(2, 1, 1, 2));
  ASSERT_EQ(readies.size(), 1u);
  ASSERT_TRUE(readies[0].hard_state.has_value());
  EXPECT_EQ(readies[0].hard_state->commit, Index{2});
  EXPECT_FALSE(readies[0].must_sync);
}

}  // namespace
}  // namespace raft::testing
