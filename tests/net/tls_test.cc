// TLS flags: partial or contradictory sets are refused with the flag named;
// certificate files are read and checked at start, an error naming the
// flag and the path. Certificates are made with the openssl command in a
// temporary directory (no key is in the repository).
#include "net/tls.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace raft::net {
namespace {

TEST(ValidateTlsFlags, NoFlagsAndCompleteSetsAreAccepted) {
  EXPECT_TRUE(ValidateTlsFlags({}, 50051, 0).ok());
  EXPECT_TRUE(ValidateTlsFlags({}, 50051, 50061).ok()) << "a plaintext peer port";
  TlsFlags full{.client = {"c.crt", "c.key", "ca.crt"},
                .client_cert_auth = true,
                .peer = {"p.crt", "p.key", "pca.crt"}};
  EXPECT_TRUE(ValidateTlsFlags(full, 50051, 50061).ok());
  full.peer = {};
  EXPECT_TRUE(ValidateTlsFlags(full, 50051, 0).ok()) << "client TLS on the one port";
}

TEST(ValidateTlsFlags, RefusesPartialAndContradictorySets) {
  struct Case {
    TlsFlags flags;
    int peer_port;
    const char* named;  // what the message must name
  };
  const Case cases[] = {
      {{.client = {"c.crt", "", "ca.crt"}}, 0, "--key-file"},
      {{.client = {"", "c.key", "ca.crt"}}, 0, "--cert-file"},
      {{.client = {"c.crt", "c.key", ""}}, 0, "--trusted-ca-file"},
      {{.client = {"", "", "ca.crt"}}, 0, "--trusted-ca-file"},
      {{.client_cert_auth = true}, 0, "--client-cert-auth"},
      {{.peer = {"p.crt", "p.key", ""}}, 50061, "--peer-trusted-ca-file"},
      {{.peer = {"p.crt", "", ""}}, 50061, "--peer-key-file"},
      {{.peer = {"p.crt", "p.key", "pca.crt"}}, 0, "--peer-port"},
      {{}, 50051, "--peer-port"},
  };
  for (const Case& c : cases) {
    const Status s = ValidateTlsFlags(c.flags, 50051, c.peer_port);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.named;
    EXPECT_NE(s.message().find(c.named), std::string::npos) << s.message();
  }
}

class LoadTlsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One CA, and a certificate it signed; a second, unrelated key.
    const std::string cmd =
        "cd " + dir_ + " && " +
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout ca.key -out ca.crt -days 1 -subj /CN=ca 2>/dev/null && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout n.key "
        "-out n.csr -subj /CN=n 2>/dev/null && "
        "openssl x509 -req -in n.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out n.crt "
        "-days 1 2>/dev/null && "
        "openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:prime256v1 -out other.key "
        "2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl failed: " << cmd;
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  raft::testing::TempDir tmp_;
  const std::string dir_ = tmp_.path();
};

TEST_F(LoadTlsFilesTest, ReadsAMatchingCertificateKeyAndCa) {
  auto pem = LoadTlsFiles({Path("n.crt"), Path("n.key"), Path("ca.crt")}, kClientTlsFlags);
  ASSERT_TRUE(pem.ok()) << pem.status().message();
  ASSERT_TRUE(pem.value().has_value());
  EXPECT_NE(pem.value()->cert_chain.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(pem.value()->private_key.find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(pem.value()->root_certs.find("BEGIN CERTIFICATE"), std::string::npos);
  auto none = LoadTlsFiles({}, kClientTlsFlags);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value()) << "no files: plaintext";
  auto ca_only = LoadTlsFiles({.trusted_ca_file = Path("ca.crt")}, kClientTlsFlags);
  ASSERT_TRUE(ca_only.ok()) << "a client may trust a CA without a certificate of its own";
  EXPECT_TRUE(ca_only.value()->cert_chain.empty());
}

TEST_F(LoadTlsFilesTest, ErrorsNameTheFlagAndThePath) {
  struct Case {
    TlsFiles files;
    std::string expected;
  };
  const Case cases[] = {
      {{Path("missing.crt"), Path("n.key"), Path("ca.crt")},
       "cannot read --peer-cert-file " + Path("missing.crt") + ": No such file"},
      {{Path("n.crt"), Path("n.key"), Path("missing-ca.crt")},
       "cannot read --peer-trusted-ca-file " + Path("missing-ca.crt")},
      {{Path("n.crt"), Path("n.key"), dir_}, "cannot read --peer-trusted-ca-file " + dir_},
      {{Path("n.key"), Path("n.key"), Path("ca.crt")},
       "--peer-cert-file " + Path("n.key") + " holds no PEM certificate"},
      {{Path("n.crt"), Path("n.crt"), Path("ca.crt")},
       "--peer-key-file " + Path("n.crt") + " holds no unencrypted PEM private key"},
      {{Path("n.crt"), Path("other.key"), Path("ca.crt")},
       "--peer-key-file " + Path("other.key") + " is not the key of --peer-cert-file " +
           Path("n.crt")},
  };
  for (const Case& c : cases) {
    auto pem = LoadTlsFiles(c.files, kPeerTlsFlags);
    ASSERT_FALSE(pem.ok()) << c.expected;
    EXPECT_NE(pem.status().message().find(c.expected), std::string::npos) << pem.status().message();
  }
}

}  // namespace
}  // namespace raft::net
