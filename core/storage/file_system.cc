#include "core/storage/file_system.h"

namespace raft {

Status WriteFileAtomically(FileSystem& fs, const std::string& dir, const std::string& name,
                           std::string_view data) {
  const std::string tmp = JoinPath(dir, name + ".tmp");
  Result<std::unique_ptr<WritableFile>> f = fs.Create(tmp);
  if (!f.ok()) return f.status();
  Status s = f.value()->Append(data);
  if (s.ok()) s = f.value()->Sync();
  if (s.ok()) s = f.value()->Close();
  if (s.ok()) s = fs.Rename(tmp, JoinPath(dir, name));
  if (s.ok()) s = fs.SyncDir(dir);
  return s;
}

}  // namespace raft
