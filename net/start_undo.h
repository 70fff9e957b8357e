// StartUndo: what a node's start created under its data directory, so that
// a start that fails (port in use, bad members file, ...) leaves the disk as
// it found it instead of a fresh directory holding a lock file, a node id
// and a 64 MiB preallocated WAL segment (and its spare).
//
// Made before the start, it notes which of the data directory and its
// parents are missing and every name under the directory. Undo then comes
// in two steps: RemoveCreatedFiles, while the data directory's lock is
// still held (so no other process's files can be among them), removes the
// files that appeared since; RemoveCreatedDirectories, once nothing holds
// them open, removes the directories that appeared since and those that
// were missing, deepest first, and only while empty. Nothing that existed
// before the start is ever removed, and nothing is removed recursively: a
// directory that existed is left as it was. If the directory existed but
// could not be listed, nothing is removed at all.
//
// Threading: the start-up thread only.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace raft::net {

class StartUndo {
 public:
  explicit StartUndo(const std::string& data_dir);

  void RemoveCreatedFiles();
  void RemoveCreatedDirectories();

 private:
  // Everything under root_ now (nothing if it is missing); false if it
  // cannot be listed.
  bool ListTree(std::vector<std::filesystem::path>& out) const;

  std::filesystem::path root_;
  std::vector<std::filesystem::path> missing_;  // root_ and parents, deepest first
  std::set<std::filesystem::path> existing_;    // under root_ before the start
  bool untracked_ = false;                      // root_ existed but could not be listed
  size_t removed_ = 0;
};

}  // namespace raft::net
