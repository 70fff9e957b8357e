#include "net/peer_codec.h"

namespace raft::net {

namespace {

constexpr uint32_t kLastMessageType = static_cast<uint32_t>(MessageType::kTimeoutNow);
constexpr uint32_t kLastEntryType = static_cast<uint32_t>(EntryType::kNoop);

}  // namespace

void EncodeMessage(const Message& m, PeerMessage* out) {
  out->set_type(static_cast<uint32_t>(m.type));
  out->set_from(m.from.value);
  out->set_to(m.to.value);
  out->set_term(m.term.value);
  out->set_index(m.index.value);
  out->set_log_term(m.log_term.value);
  out->mutable_entries()->Reserve(static_cast<int>(m.entries.size()));
  for (const Entry& e : m.entries) {
    PeerEntry* pe = out->add_entries();
    pe->set_term(e.term.value);
    pe->set_index(e.index.value);
    pe->set_type(static_cast<uint32_t>(e.type));
    pe->set_data(e.data);
  }
  out->set_commit(m.commit.value);
  out->set_reject(m.reject);
  out->set_hint_term(m.hint_term.value);
  out->set_hint_index(m.hint_index.value);
  out->set_context(m.context);
  out->set_repairing(m.repairing);
  out->set_snapshot_index(m.snapshot.meta.index.value);
  out->set_snapshot_term(m.snapshot.meta.term.value);
  for (NodeId v : m.snapshot.meta.voters) out->add_snapshot_voters(v.value);
  out->set_snapshot_data(m.snapshot.data);
  out->set_snapshot_offset(m.snapshot_offset);
  out->set_snapshot_total_bytes(m.snapshot_total_bytes);
}

Result<Message> DecodeMessage(PeerMessage& in) {
  if (in.type() > kLastMessageType || IsLocalMessage(static_cast<MessageType>(in.type()))) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "peer message has a non-wire type " + std::to_string(in.type()));
  }
  Message m;
  m.type = static_cast<MessageType>(in.type());
  m.from = NodeId{in.from()};
  m.to = NodeId{in.to()};
  m.term = Term{in.term()};
  m.index = Index{in.index()};
  m.log_term = Term{in.log_term()};
  m.entries.reserve(in.entries_size());
  for (PeerEntry& pe : *in.mutable_entries()) {
    if (pe.type() > kLastEntryType) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "peer entry has unknown type " + std::to_string(pe.type()));
    }
    m.entries.push_back(Entry{.term = Term{pe.term()},
                              .index = Index{pe.index()},
                              .type = static_cast<EntryType>(pe.type()),
                              .data = std::move(*pe.mutable_data())});
  }
  m.commit = Index{in.commit()};
  m.reject = in.reject();
  m.hint_term = Term{in.hint_term()};
  m.hint_index = Index{in.hint_index()};
  m.context = in.context();
  m.repairing = in.repairing();
  m.snapshot.meta.index = Index{in.snapshot_index()};
  m.snapshot.meta.term = Term{in.snapshot_term()};
  for (uint64_t v : in.snapshot_voters()) m.snapshot.meta.voters.push_back(NodeId{v});
  m.snapshot.data = std::move(*in.mutable_snapshot_data());
  m.snapshot_offset = in.snapshot_offset();
  m.snapshot_total_bytes = in.snapshot_total_bytes();
  return m;
}

}  // namespace raft::net
