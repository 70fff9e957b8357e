// Peer flags parse in both documented forms, bad ones are refused with the
// reason, and every node derives the same ids and member list.
#include "net/cluster_members.h"

#include <gtest/gtest.h>

namespace raft::net {
namespace {

TEST(ParsePeers, AcceptsBareAddressesAndNamedOnes) {
  Result<std::vector<PeerSpec>> p = ParsePeers("localhost:50052,node3=127.0.0.1:50053");
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p.value().size(), 2u);
  EXPECT_EQ(p.value()[0].name, "");
  EXPECT_EQ(p.value()[0].address, "localhost:50052");
  EXPECT_EQ(p.value()[1].name, "node3");
  EXPECT_EQ(p.value()[1].address, "127.0.0.1:50053");
}

TEST(ParsePeers, RefusesMalformedEntries) {
  for (const char* bad : {"localhost", "localhost:", ":50052", "localhost:0", "localhost:65536",
                          "localhost:5x", "bad name=localhost:1", "=localhost:1"}) {
    EXPECT_FALSE(ParsePeers(bad).ok()) << bad;
  }
}

TEST(NodeIdForName, IsStableAndNeverNobody) {
  EXPECT_EQ(NodeIdForName("node1"), NodeIdForName("node1"));
  EXPECT_NE(NodeIdForName("node1"), NodeIdForName("node2"));
  EXPECT_FALSE(NodeIdForName("").IsNone());
}

TEST(Membership, IsTheSameListWhicheverNodeBuildsIt) {
  std::vector<Member> seen_by_1 = {
      {"node1", "h:1", {}}, {"node3", "h:3", {}}, {"node2", "h:2", {}}};
  std::vector<Member> seen_by_2 = {
      {"node2", "h:2", {}}, {"node1", "h:1", {}}, {"node3", "h:3", {}}};
  Result<Membership> a = Membership::Create(seen_by_1, "node1");
  Result<Membership> b = Membership::Create(seen_by_2, "node2");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value().members(), b.value().members());
  EXPECT_EQ(a.value().self().name, "node1");
  EXPECT_EQ(b.value().self().name, "node2");
  EXPECT_EQ(a.value().Find(NodeIdForName("node3"))->address, "h:3");
}

TEST(Membership, RefusesDuplicatesAndAMissingSelf) {
  EXPECT_FALSE(Membership::Create({{"a", "h:1", {}}, {"a", "h:2", {}}}, "a").ok());
  EXPECT_FALSE(Membership::Create({{"a", "h:1", {}}, {"b", "h:1", {}}}, "a").ok());
  EXPECT_FALSE(Membership::Create({{"a", "h:1", {}}}, "b").ok());
}

TEST(Membership, MembersFileRoundTripsAndRejectsGarbage) {
  Result<Membership> m = Membership::Create({{"n1", "h:1", {}}, {"n2", "h:2", {}}}, "n2");
  ASSERT_TRUE(m.ok());
  Result<Membership> back = Membership::Parse(m.value().Serialize(), "n2");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back.value().members(), m.value().members());
  EXPECT_EQ(Membership::Parse("n1 h:1 extra\n", "n1").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(Membership::Parse("n1 nohostport\n", "n1").status().code(), StatusCode::kCorruption);
}

TEST(Membership, MembersFileKeepsClientAddressesThatDifferFromPeerAddresses) {
  // With --peer-port a member has two addresses: the third column.
  Result<Membership> m = Membership::Create(
      {{"n1", "h:11", {}, "h:1"}, {"n2", "h:12", {}, "h:2"}, {"n3", "h:3", {}, ""}}, "n2");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m.value().Serialize(), "n1 h:11 h:1\nn2 h:12 h:2\nn3 h:3\n");
  Result<Membership> back = Membership::Parse(m.value().Serialize(), "n2");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back.value().members(), m.value().members());
  EXPECT_EQ(back.value().self().client_address, "h:2");
  EXPECT_EQ(back.value().Find(NodeIdForName("n3"))->client_address, "h:3")
      << "two columns: clients use the one address";
  EXPECT_EQ(Membership::Parse("n1 h:1 h:2 extra\n", "n1").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(Membership::Parse("n1 h:1 noport\n", "n1").status().code(), StatusCode::kCorruption);
}

TEST(ClusterId, NewIdsAreSixteenHexDigitsAndDiffer) {
  const std::string a = NewClusterId();
  const std::string b = NewClusterId();
  EXPECT_TRUE(ValidateClusterId(a).ok()) << a;
  EXPECT_TRUE(ValidateClusterId(b).ok()) << b;
  EXPECT_NE(a, b);
  EXPECT_FALSE(ValidateClusterId("").ok());
  EXPECT_FALSE(ValidateClusterId("0123456789ABCDEF").ok()) << "uppercase";
  EXPECT_FALSE(ValidateClusterId("0123456789abcde").ok()) << "15 digits";
  EXPECT_FALSE(ValidateClusterId("0123456789abcdeg").ok());
}

TEST(ClusterId, DerivedFromTheMembersFileIsTheSameOnEveryMember) {
  Result<Membership> a = Membership::Create(
      {{"node1", "h:1", {}}, {"node2", "h:2", {}}, {"node3", "h:3", {}}}, "node1");
  Result<Membership> b = Membership::Create(
      {{"node3", "h:3", {}}, {"node1", "h:1", {}}, {"node2", "h:2", {}}}, "node3");
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string id = ClusterIdFromMembers(a.value().Serialize());
  EXPECT_TRUE(ValidateClusterId(id).ok());
  EXPECT_EQ(id, ClusterIdFromMembers(b.value().Serialize()));
  EXPECT_NE(id, ClusterIdFromMembers("node1 h:1\nnode2 h:2\n"));
}

}  // namespace
}  // namespace raft::net
