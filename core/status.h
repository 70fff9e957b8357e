// Status and Result<T>: operating errors returned to the caller (LevelDB
// style). Programmer errors are assertions, not Statuses.
//
// Threading: plain values.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "core/assert.h"

namespace raft {

enum class StatusCode {
  kOk,
  kNotLeader,        // proposal or read sent to a non-leader
  kDropped,          // proposal dropped (e.g. leadership transfer, no leader)
  kCompacted,        // requested entries were compacted into a snapshot
  kUnavailable,      // requested entries are not yet available
  kInvalidArgument,  // bad configuration or input
  kCorruption,       // persisted data failed validation
  kIoError,          // the file system failed
  kNoSpace,          // the file system is full (ENOSPC, EDQUOT)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(StatusCode code, std::string message) {
    RAFT_ASSERT(code != StatusCode::kOk);
    return Status(code, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

const char* StatusCodeName(StatusCode code);

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    RAFT_ASSERT(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & {
    RAFT_ASSERT(ok());
    return *value_;
  }
  const T& value() const& {
    RAFT_ASSERT(ok());
    return *value_;
  }
  T&& value() && {
    RAFT_ASSERT(ok());
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace raft
