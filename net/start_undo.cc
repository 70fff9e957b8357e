#include "net/start_undo.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>

namespace raft::net {

namespace fs = std::filesystem;

StartUndo::StartUndo(const std::string& data_dir) : root_(fs::path(data_dir).lexically_normal()) {
  if (!root_.has_filename()) root_ = root_.parent_path();  // "data/node1/"
  for (fs::path p = root_; !p.empty(); p = p.parent_path()) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(p, ec);
    if (st.type() != fs::file_type::not_found) break;  // exists, or cannot tell
    missing_.push_back(p);
    if (p == p.parent_path()) break;
  }
  std::vector<fs::path> tree;
  if (!ListTree(tree)) {
    untracked_ = true;
    return;
  }
  existing_.insert(tree.begin(), tree.end());
}

bool StartUndo::ListTree(std::vector<fs::path>& out) const {
  std::error_code ec;
  const fs::file_status st = fs::status(root_, ec);
  if (st.type() == fs::file_type::not_found) return true;
  if (ec) return false;
  if (st.type() != fs::file_type::directory) return true;
  fs::recursive_directory_iterator it(root_, ec), end;
  for (; !ec && it != end; it.increment(ec)) out.push_back(it->path());
  return !ec;
}

void StartUndo::RemoveCreatedFiles() {
  std::vector<fs::path> tree;
  if (untracked_ || !ListTree(tree)) return;
  for (const fs::path& p : tree) {
    std::error_code ec;
    if (existing_.count(p) > 0 || fs::is_directory(fs::symlink_status(p, ec))) continue;
    if (fs::remove(p, ec)) {
      removed_++;
      spdlog::debug("removed {}, created by the failed start", p.string());
    } else if (ec) {
      spdlog::warn("could not remove {}, created by the failed start: {}", p.string(),
                   ec.message());
    }
  }
}

void StartUndo::RemoveCreatedDirectories() {
  if (untracked_) return;
  std::vector<fs::path> dirs;
  std::vector<fs::path> tree;
  if (ListTree(tree)) {
    for (const fs::path& p : tree) {
      std::error_code ec;
      if (existing_.count(p) == 0 && fs::is_directory(fs::symlink_status(p, ec))) {
        dirs.push_back(p);
      }
    }
  }
  // Deepest first: a directory's path is longer than its parent's.
  std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
    return a.native().size() > b.native().size();
  });
  dirs.insert(dirs.end(), missing_.begin(), missing_.end());
  for (const fs::path& d : dirs) {
    std::error_code ec;
    // remove() takes a directory only while it is empty.
    if (fs::remove(d, ec)) {
      removed_++;
      spdlog::debug("removed {}, created by the failed start", d.string());
    }
  }
  if (removed_ > 0) {
    spdlog::info("removed the {} files and directories the failed start created under {}", removed_,
                 (missing_.empty() ? root_ : missing_.back()).string());
  }
}

}  // namespace raft::net
