// raftctl: the operator's tool for a node's data directory (in the manner of
// etcdctl). One subcommand so far; put/get/status will join it.
//
//   raftctl dump --data-dir D [--records]
//       Inspects the WAL segments, snapshot files and leftovers in D without
//       changing anything, prints a report (every record with --records)
//       and ends with one line for scripts:
//       raftctl dump: segments=3 records=812 entries=1..800 snapshots=1 status=ok
//       status is ok, torn-tail (recovery truncates it and starts) or
//       corrupt (recovery refuses to start).
//
// Exit status: 0 when the directory is ok or has only a torn tail, 1 when it
// is corrupt, 2 on bad flags or a directory that cannot be read.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "core/storage/wal_inspector.h"
#include "net/posix_file_system.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitCorrupt = 1;
constexpr int kExitUsage = 2;

struct DumpFlags {
  std::string data_dir;
  bool records = false;
};

int RunDump(const DumpFlags& f) {
  raft::PosixFileSystem fs;
  raft::Result<raft::WalInspection> in =
      raft::InspectWal(fs, f.data_dir, raft::WalInspectOptions{.records = f.records});
  if (!in.ok()) {
    std::fprintf(stderr, "raftctl dump: cannot read data directory: %s\n",
                 in.status().message().c_str());
    return kExitUsage;
  }
  std::fputs(raft::RenderWalInspection(in.value()).c_str(), stdout);
  std::printf("raftctl dump: %s\n", raft::WalSummaryLine(in.value()).c_str());
  return in.value().health() == raft::WalHealth::kCorrupt ? kExitCorrupt : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raftctl: operator tool for a Raft node's data"};
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);  // bad flags print the usage

  DumpFlags dump;
  CLI::App* dump_cmd = app.add_subcommand(
      "dump", "inspect a data directory (WAL segments, snapshots) without modifying it");
  dump_cmd->add_option("--data-dir", dump.data_dir, "the node's data directory")->required();
  dump_cmd->add_flag("--records", dump.records, "list every record of every segment");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return e.get_exit_code() == 0 ? code : kExitUsage;
  }
  if (dump_cmd->parsed()) return RunDump(dump);
  return kExitUsage;  // unreachable: require_subcommand(1)
}
