// TempDir: a fresh directory under /tmp for a test on real files, removed
// with everything in it when the TempDir goes.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>

namespace raft::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/raft-test-XXXXXX";
    // Thrown, so that googletest fails the test that needed the directory.
    if (::mkdtemp(tmpl) == nullptr) throw std::system_error(errno, std::generic_category(), tmpl);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace raft::testing
