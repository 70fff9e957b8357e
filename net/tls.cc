#include "net/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace raft::net {

namespace {

Status Usage(const std::string& what) { return Status::Error(StatusCode::kInvalidArgument, what); }

Result<std::string> ReadWholeFile(const std::string& path, const char* flag) {
  auto fail = [&](int error) {
    return Status::Error(StatusCode::kIoError,
                         std::string("cannot read ") + flag + " " + path + ": " + strerror(error));
  };
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return fail(errno);
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int error = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (error != 0) return fail(error);
  return out;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate in pem, or null.
std::unique_ptr<X509, X509Free> FirstCertificate(const std::string& pem) {
  auto bio = MemoryBio(pem);
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return cert;
}

Result<std::string> ReadCertificates(const std::string& path, const char* flag) {
  Result<std::string> pem = ReadWholeFile(path, flag);
  if (!pem.ok()) return pem;
  if (!FirstCertificate(pem.value())) {
    return Usage(std::string(flag) + " " + path + " holds no PEM certificate");
  }
  return pem;
}

Status CheckKeyMatches(const TlsPem& pem, const TlsFiles& files, const TlsFlagNames& names) {
  auto bio = MemoryBio(pem.private_key);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key) {
    return Usage(std::string(names.key) + " " + files.key_file +
                 " holds no unencrypted PEM private key");
  }
  auto cert = FirstCertificate(pem.cert_chain);
  const bool match = X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();
  if (!match) {
    return Usage(std::string(names.key) + " " + files.key_file + " is not the key of " +
                 names.cert + " " + files.cert_file);
  }
  return Status::Ok();
}

}  // namespace

Status ValidateTlsFlags(const TlsFlags& flags, int port, int peer_port) {
  if (peer_port != 0 && peer_port == port) {
    return Usage("--peer-port must differ from --port (the peer service gets its own listener)");
  }
  const TlsFiles& client = flags.client;
  if (client.cert_file.empty() != client.key_file.empty()) {
    return Usage("--cert-file and --key-file go together");
  }
  if (!client.cert_file.empty() && client.trusted_ca_file.empty()) {
    return Usage(
        "--cert-file needs --trusted-ca-file: the CA that signs client certificates, which this "
        "node also trusts when it forwards a call to the leader's client port");
  }
  if (client.cert_file.empty() && !client.trusted_ca_file.empty()) {
    return Usage("--trusted-ca-file needs --cert-file and --key-file (the client port's TLS)");
  }
  if (flags.client_cert_auth && client.cert_file.empty()) {
    return Usage("--client-cert-auth needs --cert-file, --key-file and --trusted-ca-file");
  }
  const TlsFiles& peer = flags.peer;
  if (peer.any() &&
      (peer.cert_file.empty() || peer.key_file.empty() || peer.trusted_ca_file.empty())) {
    return Usage(
        "--peer-cert-file, --peer-key-file and --peer-trusted-ca-file go together (peer TLS is "
        "always mutual)");
  }
  if (peer.any() && peer_port == 0) {
    return Usage("peer TLS needs --peer-port: peers then have a listener of their own");
  }
  return Status::Ok();
}

Result<std::optional<TlsPem>> LoadTlsFiles(const TlsFiles& files, const TlsFlagNames& names) {
  if (!files.any()) return std::optional<TlsPem>();
  if (files.cert_file.empty() != files.key_file.empty()) {
    return Usage(std::string(names.cert) + " and " + names.key + " go together");
  }
  TlsPem pem;
  if (!files.trusted_ca_file.empty()) {
    Result<std::string> roots = ReadCertificates(files.trusted_ca_file, names.trusted_ca);
    if (!roots.ok()) return roots.status();
    pem.root_certs = std::move(roots).value();
  }
  if (!files.cert_file.empty()) {
    Result<std::string> chain = ReadCertificates(files.cert_file, names.cert);
    if (!chain.ok()) return chain.status();
    pem.cert_chain = std::move(chain).value();
    Result<std::string> key = ReadWholeFile(files.key_file, names.key);
    if (!key.ok()) return key.status();
    pem.private_key = std::move(key).value();
    if (Status s = CheckKeyMatches(pem, files, names); !s.ok()) return s;
  }
  return std::optional<TlsPem>(std::move(pem));
}

std::shared_ptr<grpc::ServerCredentials> ServerCredentialsFor(const std::optional<TlsPem>& pem,
                                                              bool require_client_cert) {
  if (!pem) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      require_client_cert ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                          : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = pem->root_certs;
  options.pem_key_cert_pairs.push_back({pem->private_key, pem->cert_chain});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentialsFor(const std::optional<TlsPem>& pem) {
  if (!pem) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = pem->root_certs;
  options.pem_private_key = pem->private_key;
  options.pem_cert_chain = pem->cert_chain;
  return grpc::SslCredentials(options);
}

}  // namespace raft::net
