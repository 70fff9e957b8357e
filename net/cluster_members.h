// Cluster members: who the voters are, by name and address, and the numeric
// Raft NodeId each name maps to.
//
// A node is started with its own name and its peers' addresses
// (`--peers localhost:50052,localhost:50053`), or with the peers' names too
// (`--peers node2=localhost:50052,...`). Bare addresses are resolved to names
// by a Hello handshake at first start (see NodeServer); from then on the
// member list lives in the data directory, so a restart needs no peer to be
// up. With --peer-port a member has two addresses: peers dial its peer port,
// clients (and followers forwarding a call) its client port. The Raft id of a member is a hash of
// its name, so every node derives the same ids without coordination; a collision is refused at
// start.
//
// Threading: plain values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace raft::net {

struct Member {
  std::string name;
  std::string address;  // host:port that peers dial (the peer port, with --peer-port)
  NodeId id;
  // host:port that clients dial and followers forward to; Membership::Create
  // makes an empty one equal to address (one port serves both).
  std::string client_address;
  friend bool operator==(const Member&, const Member&) = default;
};

// FNV-1a of the name; never 0 (0 means "nobody" to Raft).
NodeId NodeIdForName(const std::string& name);

// Accepts "host:port" with a port in 1..65535 and a non-empty host.
Status ValidateAddress(const std::string& address);
// A node name: 1..64 characters of [A-Za-z0-9._-].
Status ValidateName(const std::string& name);

// One entry of --peers: name is empty when it must be discovered.
struct PeerSpec {
  std::string name;
  std::string address;
};
Result<std::vector<PeerSpec>> ParsePeers(const std::string& flag);

// A cluster id: 16 lowercase hex digits (64 bits), drawn at random when a
// cluster is bootstrapped, so that two clusters (or one wiped and made
// again on the same addresses) never take each other's traffic.
std::string NewClusterId();
Status ValidateClusterId(const std::string& id);
// For data directories made before cluster ids existed: every member
// derives the same id from the same recorded member list.
std::string ClusterIdFromMembers(const std::string& members_text);

class Membership {
 public:
  Membership() = default;
  // Fails on duplicate names, addresses or ids, or when self is missing.
  static Result<Membership> Create(std::vector<Member> members, const std::string& self);

  const Member& self() const { return members_[self_]; }
  const std::vector<Member>& members() const { return members_; }
  const Member* Find(NodeId id) const;
  std::vector<NodeId> ids() const;
  // The cluster these members form (empty until bootstrap agrees on it).
  const std::string& cluster_id() const { return cluster_id_; }
  void set_cluster_id(std::string id) { cluster_id_ = std::move(id); }
  // "name=address" per member, sorted by name (as in Hello answers).
  std::vector<std::string> Describe() const;

  // The data directory's members file: one "name address client_address"
  // line per member, the client address left out when it is the address
  // (files written before separate peer ports have two columns).
  std::string Serialize() const;
  static Result<Membership> Parse(const std::string& text, const std::string& self);

 private:
  std::vector<Member> members_;  // sorted by name
  size_t self_ = 0;
  std::string cluster_id_;
};

}  // namespace raft::net
