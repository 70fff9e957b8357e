// raftctl: the operator's tool for a Raft key-value cluster and a node's data
// directory (in the manner of etcdctl).
//
//   raftctl [--endpoints H:P,H:P,...] [--timeout MS]
//           [--cacert CA --cert CERT --key KEY] COMMAND ...
//       --endpoints: the nodes to ask (default localhost:50051); any node
//       serves every call, forwarding to the leader. --timeout: the whole
//       command's budget in ms, retries included (default 10000). --cacert:
//       TLS, verifying the nodes against this CA (PEM); --cert and --key:
//       this client's certificate, for nodes started with
//       --client-cert-auth. Plaintext when none is given. All may also
//       follow the command.
//   raftctl put KEY VALUE                prints OK
//   raftctl get KEY [--stale]            prints the value and a newline;
//       --stale reads the answering node's copy without a ReadIndex round
//   raftctl del KEY                      prints 1 if the key existed, else 0
//   raftctl cas KEY EXPECTED NEW         prints OK if KEY held EXPECTED and
//   raftctl cas --absent KEY NEW         now holds NEW (--absent: if KEY did
//       not exist); otherwise says why on stderr
//   raftctl status
//       Asks every endpoint for its view (ENDPOINT ID ROLE TERM LEADER COMMIT
//       APPLIED, or "unreachable: <why>"), then lists the leader's members
//       (ID ADDRESS MATCH PROGRESS) if an endpoint is the leader.
//   raftctl check --data-dir D
//       Judges D (a node's data directory, or the WAL directory itself)
//       without changing anything, by the rules Wal::Open recovers with:
//       one line per file (meta, segment, snapshot) and per finding
//       ("<kind>: <file>:<offset>: <reason>", kind note, torn-tail,
//       repairing, damage or refused), then one summary line, e.g.
//       check: status=ok segments=3 records=812 snapshot_index=0
//       last_index=800 acked_index=800 torn_bytes=0 damage=0 quarantined=0
//       repair_target=none
//       Exit status (kCheckExit*, also in `raftctl check --help`):
//         0  ok: the node starts as is (notes, e.g. quarantined files, aside)
//         1  torn-tail: recovery cuts the unsynced end of the last segment
//            (zeroes it, if preallocated); nothing acknowledged is lost
//         2  damaged or repairing: recovery keeps the intact prefix and the
//            node repairs from its peers (or an unfinished repair goes on)
//         3  missing, empty or not-a-wal: no log here (a node would start
//            with an empty one)
//         4  unreadable: an I/O error; nothing could be judged
//         5  refused: recovery or raft-server refuses to start (a bad
//            newest snapshot, an unsupported version, wal/ without node_id)
//         64 usage: bad flags
//   raftctl dump --data-dir D [--records]
//       The same judgement as a longer report (every record with
//       --records), ending with "raftctl dump: <summary>"; exits as check.
//
// Writes are retried with one client session, so a retried write applies
// once. Errors go to stderr, starting "raftctl: ".
//
// Exit status of the client commands (check and dump: above):
//   0  success (status: an endpoint answered and a node names a leader);
//   1  a definite negative answer: get found no key, cas compared false;
//   2  usage: bad flags, or the server rejected the arguments
//      (INVALID_ARGUMENT);
//   3  the cluster is unavailable, has no leader, timed out or failed
//      otherwise; for put, del and cas the write's outcome is then unknown
//      unless the message says otherwise.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/storage/wal_inspector.h"
#include "net/kv_client.h"
#include "net/posix_file_system.h"
#include "net/tls.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitNegative = 1;
constexpr int kExitUsage = 2;
constexpr int kExitUnavailable = 3;

// check and dump (see the top of this file).
constexpr int kCheckExitOk = 0;
constexpr int kCheckExitTornTail = 1;
constexpr int kCheckExitRepair = 2;
constexpr int kCheckExitNoWal = 3;
constexpr int kCheckExitUnreadable = 4;
constexpr int kCheckExitRefused = 5;
constexpr int kCheckExitUsage = 64;  // EX_USAGE

constexpr char kCheckHelpFooter[] =
    R"(Lines: one per file (meta, segment, snapshot), one per finding
("<kind>: <file>:<offset>: <reason>", kind note, torn-tail, repairing, damage
or refused), then "check: status=<status> segments=N records=N ...".
Exit status:
  0  ok          the node starts as is
  1  torn-tail   recovery cuts the unsynced end of the last segment (zeroes
                 it, if preallocated); nothing acknowledged is lost
  2  damaged     recovery keeps the intact prefix and the node repairs from
     repairing   its peers (or an unfinished repair goes on)
  3  missing     no log here: no directory, an empty one, or other files
     empty       only (a node would start with an empty log)
     not-a-wal
  4  unreadable  an I/O error; nothing could be judged
  5  refused     recovery or raft-server refuses to start (a bad newest
                 snapshot, an unsupported version, wal/ without node_id)
  64 usage       bad flags)";

// One RPC to one node (cut short by --timeout, which bounds all of them).
constexpr int64_t kAttemptTimeoutMs = 2000;
constexpr int64_t kTimeoutMsMax = 24 * 3600 * 1000;

using Table = std::vector<std::vector<std::string>>;

struct ClientFlags {
  std::string endpoints = "localhost:50051";  // comma-separated host:port
  int64_t timeout_ms = 10000;
  raft::net::TlsFiles tls;  // --cert, --key, --cacert
};

struct KvFlags {
  std::string key;
  std::string value;
  bool stale = false;
  bool absent = false;
  std::vector<std::string> cas_args;  // KEY EXPECTED NEW, or KEY NEW with --absent
};

struct DumpFlags {
  std::string data_dir;
  bool records = false;
};

int CheckExitCode(raft::WalStatus status) {
  switch (status) {
    case raft::WalStatus::kOk:
      return kCheckExitOk;
    case raft::WalStatus::kTornTail:
      return kCheckExitTornTail;
    case raft::WalStatus::kRepairing:
    case raft::WalStatus::kDamaged:
      return kCheckExitRepair;
    case raft::WalStatus::kEmpty:
    case raft::WalStatus::kNotAWal:
    case raft::WalStatus::kMissing:
      return kCheckExitNoWal;
    case raft::WalStatus::kUnreadable:
      return kCheckExitUnreadable;
    case raft::WalStatus::kRefused:
      return kCheckExitRefused;
  }
  return kCheckExitUnreadable;
}

// What check and dump found in --data-dir: an inspection, or a status
// decided before one (missing, not-a-wal, unreadable, empty) and why.
struct DirVerdict {
  std::optional<raft::WalInspection> inspection;
  raft::WalStatus status = raft::WalStatus::kOk;
  std::vector<std::string> lines;  // about the data directory, before the WAL's
};

// A raft-server data directory keeps its log under wal/ next to node_id
// (net/data_dir.h); any other directory is taken as a WAL directory.
DirVerdict InspectDataDir(const std::string& dir, bool records) {
  namespace fs = std::filesystem;
  DirVerdict v;
  auto decided = [&v](raft::WalStatus status, std::string line) {
    v.status = status;
    v.lines.push_back(std::move(line));
    return std::move(v);
  };
  std::error_code ec;
  const fs::file_status st = fs::status(dir, ec);
  if (st.type() == fs::file_type::not_found) {
    return decided(raft::WalStatus::kMissing, "missing: " + dir + ": no such directory");
  }
  if (ec) return decided(raft::WalStatus::kUnreadable, "unreadable: " + dir + ": " + ec.message());
  if (st.type() != fs::file_type::directory) {
    return decided(raft::WalStatus::kNotAWal, "not-a-wal: " + dir + ": not a directory");
  }
  raft::PosixFileSystem posix;
  const std::string wal_dir = raft::JoinPath(dir, "wal");
  const std::string node_id = raft::JoinPath(dir, "node_id");
  const bool has_wal = fs::is_directory(wal_dir, ec);
  const bool has_node_id = posix.Exists(node_id);
  const bool node_id_missing = !has_node_id && has_wal;
  if (has_node_id) {
    raft::Result<std::string> name = posix.ReadFile(node_id);
    if (!name.ok()) {
      return decided(raft::WalStatus::kUnreadable, "unreadable: " + name.status().message());
    }
    std::string n = name.value();
    while (!n.empty() && (n.back() == '\n' || n.back() == ' ')) n.pop_back();
    v.lines.push_back("data directory " + dir + ": node_id=" + n);
    if (!has_wal) {
      return decided(raft::WalStatus::kEmpty,
                     "empty: " + wal_dir + " does not exist: the node has no log yet");
    }
  } else if (has_wal) {
    v.lines.push_back("data directory " + dir + ": node_id missing");
  }
  raft::Result<raft::WalInspection> in =
      raft::InspectWal(posix, has_wal ? wal_dir : dir, raft::WalInspectOptions{.records = records});
  if (!in.ok()) {
    return decided(raft::WalStatus::kUnreadable, "unreadable: " + in.status().message());
  }
  v.inspection = std::move(in).value();
  if (node_id_missing) {
    // raft-server restores node_id only for the node the WAL metadata names
    // (net/data_dir.cc); without that proof, adopting the directory would
    // let any node take this log, so it refuses.
    const std::optional<raft::WalMeta>& meta = v.inspection->meta;
    if (meta && !meta->node.IsNone()) {
      v.inspection->findings.insert(
          v.inspection->findings.begin(),
          raft::WalFinding{raft::WalFindingKind::kNote, "node_id", std::nullopt, 0,
                           "missing next to wal/: raft-server restores it when started as the "
                           "node the WAL metadata names (id " +
                               std::to_string(meta->node.value) + ") and refuses any other"});
    } else {
      v.inspection->findings.insert(
          v.inspection->findings.begin(),
          raft::WalFinding{raft::WalFindingKind::kRefusal, "node_id", std::nullopt, 0,
                           "missing next to wal/, and no WAL metadata names the node: "
                           "raft-server refuses to start on " +
                               dir + " (restore node_id: one line, the node's name)"});
    }
  }
  v.status = v.inspection->status();
  if (v.status == raft::WalStatus::kEmpty || v.status == raft::WalStatus::kNotAWal) {
    v.lines.push_back(std::string(raft::WalStatusName(v.status)) + ": " + v.inspection->dir +
                      " holds no WAL file (meta, segment or snapshot)" +
                      (v.status == raft::WalStatus::kNotAWal ? ", only others" : ""));
  }
  return v;
}

// The summary for a directory with no inspection.
std::string BareSummary(raft::WalStatus status) {
  return std::string("status=") + raft::WalStatusName(status) +
         " segments=0 records=0 snapshot_index=0 last_index=0 acked_index=none torn_bytes=0 "
         "damage=0 quarantined=0 repair_target=none";
}

int RunCheck(const DumpFlags& f) {
  const DirVerdict v = InspectDataDir(f.data_dir, /*records=*/false);
  for (const std::string& line : v.lines) std::printf("check: %s\n", line.c_str());
  if (v.inspection) {
    for (const std::string& line : raft::WalFileLines(*v.inspection)) {
      std::printf("check: %s\n", line.c_str());
    }
    for (const raft::WalFinding& finding : v.inspection->findings) {
      std::printf("check: %s\n", finding.Line().c_str());
    }
  }
  std::printf("check: %s\n",
              (v.inspection ? raft::WalSummaryLine(*v.inspection) : BareSummary(v.status)).c_str());
  return CheckExitCode(v.status);
}

int RunDump(const DumpFlags& f) {
  const DirVerdict v = InspectDataDir(f.data_dir, f.records);
  for (const std::string& line : v.lines) std::printf("%s\n", line.c_str());
  if (v.inspection) std::fputs(raft::RenderWalInspection(*v.inspection).c_str(), stdout);
  std::printf("raftctl dump: %s\n",
              (v.inspection ? raft::WalSummaryLine(*v.inspection) : BareSummary(v.status)).c_str());
  return CheckExitCode(v.status);
}

// The endpoints of --endpoints; throws CLI::ValidationError on an empty one.
std::vector<std::string> SplitEndpoints(const std::string& list) {
  std::optional<std::vector<std::string>> endpoints = raft::net::SplitEndpoints(list);
  if (!endpoints) throw CLI::ValidationError("--endpoints", "empty endpoint");
  return std::move(*endpoints);
}

// cas takes 3 arguments, or 2 with --absent; throws CLI::ValidationError.
void CheckCasArgs(const KvFlags& kv, const CLI::App& cas_cmd) {
  if (cas_cmd.parsed() && kv.cas_args.size() != (kv.absent ? 2u : 3u)) {
    throw CLI::ValidationError("cas",
                               kv.absent ? "--absent takes KEY NEW" : "needs KEY EXPECTED NEW");
  }
}

// Prints why `command` failed and returns its exit status.
int Fail(const char* command, bool is_write, const grpc::Status& status) {
  const grpc::StatusCode code = status.error_code();
  const std::string message = status.error_message();
  if (code == grpc::StatusCode::INVALID_ARGUMENT) {
    std::fprintf(stderr, "raftctl: %s: invalid argument: %s\n", command, message.c_str());
    return kExitUsage;
  }
  // Only these codes say that the write was surely not applied.
  const bool not_applied =
      code == grpc::StatusCode::FAILED_PRECONDITION || code == grpc::StatusCode::UNIMPLEMENTED;
  std::fprintf(stderr, "raftctl: %s: %s (%s: %s)%s\n", command,
               raft::net::IsRetryable(code) ? "cluster unavailable or timed out" : "failed",
               raft::net::StatusCodeName(code), message.c_str(),
               is_write && !not_applied
                   ? "; outcome unknown: the write may or may not have been applied"
                   : "");
  return kExitUnavailable;
}

// `s` in double quotes, with quotes, backslashes and unprintable bytes escaped.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += {'\\', c};
    } else if (std::isprint(static_cast<unsigned char>(c))) {
      out += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    }
  }
  return out + "\"";
}

// Left-aligned columns two spaces apart. A row's last cell is not padded and
// does not widen its column, so a long message does not stretch the table.
void PrintTable(const Table& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (row.size() > widths.size() + 1) widths.resize(row.size() - 1);
    for (size_t i = 0; i + 1 < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    std::puts(line.c_str());
  }
}

int RunPut(raft::net::KvClient& client, const KvFlags& f) {
  raft::PutResponse response;
  const grpc::Status status = client.Put(f.key, f.value, &response);
  if (!status.ok()) return Fail("put", /*is_write=*/true, status);
  std::puts("OK");
  return kExitOk;
}

int RunGet(raft::net::KvClient& client, const KvFlags& f) {
  raft::GetResponse response;
  const grpc::Status status = client.Get(f.key, f.stale, &response);
  if (!status.ok()) return Fail("get", /*is_write=*/false, status);
  if (!response.found()) {
    std::fprintf(stderr, "raftctl: key not found: %s\n", f.key.c_str());
    return kExitNegative;
  }
  std::fwrite(response.value().data(), 1, response.value().size(), stdout);
  std::putchar('\n');
  return kExitOk;
}

int RunDel(raft::net::KvClient& client, const KvFlags& f) {
  raft::DeleteResponse response;
  const grpc::Status status = client.Delete(f.key, &response);
  if (!status.ok()) return Fail("del", /*is_write=*/true, status);
  std::puts(response.deleted() ? "1" : "0");
  return kExitOk;
}

int RunCas(raft::net::KvClient& client, const KvFlags& f) {
  const std::optional<std::string> expected =
      f.absent ? std::nullopt : std::optional<std::string>(f.cas_args[1]);
  raft::CompareAndSwapResponse response;
  const grpc::Status status =
      client.CompareAndSwap(f.cas_args.front(), expected, f.cas_args.back(), &response);
  if (!status.ok()) return Fail("cas", /*is_write=*/true, status);
  if (response.swapped()) {
    std::puts("OK");
    return kExitOk;
  }
  const std::string why = !response.found() ? "key is absent"
                          : f.absent        ? "key exists"
                                     : "current value is " + Quoted(response.current_value());
  std::fprintf(stderr, "raftctl: compare failed: %s\n", why.c_str());
  return kExitNegative;
}

bool IsLeader(const raft::GetClusterStatusResponse& node) {
  return !node.node_id().empty() && node.node_id() == node.leader_id();
}

int RunStatus(const raft::net::KvClient& client, const std::vector<std::string>& endpoints) {
  struct Answer {
    grpc::Status status;
    raft::GetClusterStatusResponse node;
  };
  std::vector<std::future<Answer>> pending;  // ask every endpoint at once
  for (const std::string& endpoint : endpoints) {
    pending.push_back(std::async(std::launch::async, [&client, &endpoint] {
      Answer answer;
      answer.status = client.Status(endpoint, &answer.node);
      return answer;
    }));
  }
  std::vector<Answer> answers;
  for (auto& answer : pending) answers.push_back(answer.get());

  Table nodes = {{"ENDPOINT", "ID", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED"}};
  const raft::GetClusterStatusResponse* leader = nullptr;
  bool answered = false, leader_named = false;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const raft::GetClusterStatusResponse& n = answers[i].node;
    if (!answers[i].status.ok()) {
      nodes.push_back({endpoints[i], "unreachable: " + answers[i].status.error_message()});
      continue;
    }
    nodes.push_back({endpoints[i], n.node_id(), n.role(), std::to_string(n.term()),
                     n.leader_id().empty() ? "-" : n.leader_id(), std::to_string(n.commit_index()),
                     std::to_string(n.applied_index())});
    answered = true;
    leader_named = leader_named || !n.leader_id().empty();
    if (leader == nullptr && IsLeader(n)) leader = &n;
  }
  PrintTable(nodes);
  if (leader != nullptr) {
    Table members = {{"ID", "ADDRESS", "MATCH", "PROGRESS"}};
    for (const raft::Member& m : leader->members()) {
      members.push_back({m.id(), m.address(), std::to_string(m.match_index()),
                         m.progress().empty() ? "-" : m.progress()});
    }
    std::putchar('\n');
    PrintTable(members);
  }
  if (!answered || !leader_named) {
    std::fprintf(stderr, "raftctl: status: %s\n",
                 answered ? "no node knows a leader" : "no endpoint answered");
    return kExitUnavailable;
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raftctl: operator tool for a Raft key-value cluster and its nodes' data"};
  app.require_subcommand(1);
  app.fallthrough();  // the global options may follow the subcommand; set before adding them
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    return "raftctl: " + std::string(e.what()) + "\n\n" + failed->help();  // bad flags: the usage
  });

  ClientFlags client_flags;
  app.add_option("--endpoints", client_flags.endpoints, "comma-separated host:port of the nodes")
      ->take_last()
      ->capture_default_str();
  app.add_option("--timeout", client_flags.timeout_ms, "the whole command's timeout in ms")
      ->check(CLI::Range(int64_t{1}, kTimeoutMsMax))
      ->take_last()
      ->capture_default_str();
  app.add_option("--cacert", client_flags.tls.trusted_ca_file,
                 "use TLS, verifying the nodes' certificates against this CA (PEM)")
      ->take_last();
  app.add_option("--cert", client_flags.tls.cert_file, "this client's TLS certificate (PEM)")
      ->take_last();
  app.add_option("--key", client_flags.tls.key_file, "this client's TLS key (PEM)")->take_last();

  KvFlags kv;
  CLI::App* put_cmd = app.add_subcommand("put", "write KEY = VALUE");
  put_cmd->add_option("KEY", kv.key)->required();
  put_cmd->add_option("VALUE", kv.value)->required();
  CLI::App* get_cmd = app.add_subcommand("get", "print the value of KEY");
  get_cmd->add_option("KEY", kv.key)->required();
  get_cmd->add_flag("--stale", kv.stale, "read the answering node's copy, without a ReadIndex");
  CLI::App* del_cmd = app.add_subcommand("del", "delete KEY; prints 1 if it existed, else 0");
  del_cmd->add_option("KEY", kv.key)->required();
  CLI::App* cas_cmd =
      app.add_subcommand("cas", "compare-and-swap: KEY EXPECTED NEW, or --absent KEY NEW");
  cas_cmd->add_flag("--absent", kv.absent, "swap only if KEY does not exist: KEY NEW");
  cas_cmd->add_option("ARGS", kv.cas_args, "KEY EXPECTED NEW, or KEY NEW with --absent")
      ->expected(2, 3)
      ->required();
  CLI::App* status_cmd = app.add_subcommand("status", "every endpoint's view of the cluster");

  DumpFlags dump;
  CLI::App* dump_cmd = app.add_subcommand(
      "dump", "inspect a data directory (WAL segments, snapshots) without modifying it");
  dump_cmd->add_option("--data-dir", dump.data_dir, "the node's data directory")->required();
  dump_cmd->add_flag("--records", dump.records, "list every record of every segment");
  dump_cmd->footer("Exits as `raftctl check` (see raftctl check --help).");
  DumpFlags check;
  CLI::App* check_cmd =
      app.add_subcommand("check", "judge a data directory as recovery would, without modifying it");
  check_cmd->add_option("--data-dir", check.data_dir, "the node's data directory, or its WAL")
      ->required();
  check_cmd->footer(kCheckHelpFooter);

  std::vector<std::string> endpoints;
  try {
    app.parse(argc, argv);
    endpoints = SplitEndpoints(client_flags.endpoints);
    CheckCasArgs(kv, *cas_cmd);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    if (e.get_exit_code() == 0) return code;
    return check_cmd->parsed() || dump_cmd->parsed() ? kCheckExitUsage : kExitUsage;
  }
  if (check_cmd->parsed()) return RunCheck(check);
  if (dump_cmd->parsed()) return RunDump(dump);

  auto tls = raft::net::LoadTlsFiles(client_flags.tls,
                                     raft::net::TlsFlagNames{"--cert", "--key", "--cacert"});
  if (!tls.ok()) {
    std::fprintf(stderr, "raftctl: %s\n", tls.status().message().c_str());
    return kExitUsage;
  }
  raft::net::KvClient client(
      raft::net::KvClientOptions{.endpoints = endpoints,
                                 .attempt_timeout_ms = kAttemptTimeoutMs,
                                 .call_timeout_ms = client_flags.timeout_ms,
                                 .credentials = raft::net::ChannelCredentialsFor(tls.value())});
  if (put_cmd->parsed()) return RunPut(client, kv);
  if (get_cmd->parsed()) return RunGet(client, kv);
  if (del_cmd->parsed()) return RunDel(client, kv);
  if (cas_cmd->parsed()) return RunCas(client, kv);
  if (status_cmd->parsed()) return RunStatus(client, endpoints);
  return kExitUsage;  // unreachable: require_subcommand(1)
}
