#include "net/cluster_members.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <random>
#include <set>
#include <sstream>

namespace raft::net {

namespace {

Status Invalid(const std::string& what) {
  return Status::Error(StatusCode::kInvalidArgument, what);
}

}  // namespace

NodeId NodeIdForName(const std::string& name) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  return NodeId{h == 0 ? 1 : h};
}

Status ValidateAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Invalid("address \"" + address + "\" is not host:port");
  }
  const std::string port = address.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return Invalid("address \"" + address + "\" has no valid port (1..65535)");
  }
  return Status::Ok();
}

Status ValidateName(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 64 &&
                  std::all_of(name.begin(), name.end(), [](unsigned char c) {
                    return std::isalnum(c) || c == '.' || c == '_' || c == '-';
                  });
  if (!ok) return Invalid("node id \"" + name + "\" must be 1..64 characters of [A-Za-z0-9._-]");
  return Status::Ok();
}

Result<std::vector<PeerSpec>> ParsePeers(const std::string& flag) {
  std::vector<PeerSpec> peers;
  std::stringstream in(flag);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    PeerSpec p;
    const size_t eq = item.find('=');
    if (eq != std::string::npos) {
      p.name = item.substr(0, eq);
      if (Status s = ValidateName(p.name); !s.ok()) return s;
      p.address = item.substr(eq + 1);
    } else {
      p.address = item;
    }
    if (Status s = ValidateAddress(p.address); !s.ok()) return s;
    peers.push_back(std::move(p));
  }
  return peers;
}

Result<Membership> Membership::Create(std::vector<Member> members, const std::string& self) {
  std::sort(members.begin(), members.end(),
            [](const Member& a, const Member& b) { return a.name < b.name; });
  std::set<std::string> names, addresses;
  std::set<NodeId> ids;
  Membership m;
  for (Member& member : members) {
    member.id = NodeIdForName(member.name);
    if (member.client_address.empty()) member.client_address = member.address;
    if (!names.insert(member.name).second)
      return Invalid("node id " + member.name + " appears twice");
    if (!addresses.insert(member.address).second) {
      return Invalid("address " + member.address + " appears twice");
    }
    if (!ids.insert(member.id).second)
      return Invalid("node ids collide: pick another name for " + member.name);
  }
  auto it =
      std::find_if(members.begin(), members.end(), [&](const Member& x) { return x.name == self; });
  if (it == members.end()) return Invalid("node " + self + " is not among the members");
  m.self_ = static_cast<size_t>(it - members.begin());
  m.members_ = std::move(members);
  return m;
}

const Member* Membership::Find(NodeId id) const {
  for (const Member& m : members_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

std::vector<NodeId> Membership::ids() const {
  std::vector<NodeId> out;
  for (const Member& m : members_) out.push_back(m.id);
  return out;
}

std::string Membership::Serialize() const {
  std::string out;
  for (const Member& m : members_) {
    out += m.name + " " + m.address;
    if (m.client_address != m.address) out += " " + m.client_address;
    out += "\n";
  }
  return out;
}

Result<Membership> Membership::Parse(const std::string& text, const std::string& self) {
  std::vector<Member> members;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream fields(line);
    Member m;
    std::string extra;
    if (!(fields >> m.name >> m.address) || (fields >> m.client_address && fields >> extra)) {
      return Status::Error(StatusCode::kCorruption,
                           "members file line \"" + line + "\" is malformed");
    }
    if (Status s = ValidateName(m.name); !s.ok())
      return Status::Error(StatusCode::kCorruption, s.message());
    for (const std::string* address : {&m.address, &m.client_address}) {
      if (address->empty()) continue;  // a two-column line: the client address is the address
      if (Status s = ValidateAddress(*address); !s.ok()) {
        return Status::Error(StatusCode::kCorruption, s.message());
      }
    }
    members.push_back(std::move(m));
  }
  return Create(std::move(members), self);
}

std::string NewClusterId() {
  std::random_device rd;
  const uint64_t id = (uint64_t{rd()} << 32) ^ rd();
  return fmt::format("{:016x}", id);
}

Status ValidateClusterId(const std::string& id) {
  const bool hex = std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (id.size() != 16 || !hex) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "cluster id '" + id + "' is not 16 lowercase hex digits");
  }
  return Status::Ok();
}

std::string ClusterIdFromMembers(const std::string& members_text) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a, as NodeIdForName
  for (unsigned char c : members_text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

std::vector<std::string> Membership::Describe() const {
  std::vector<std::string> out;
  for (const Member& m : members_) out.push_back(m.name + "=" + m.address);
  return out;
}

}  // namespace raft::net
