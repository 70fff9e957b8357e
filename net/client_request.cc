#include "net/client_request.h"

#include <grpcpp/support/proto_buffer_reader.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

#include "net/log_limiter.h"

namespace raft::net {

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr std::string_view kUncheckedPackage = "raft.unchecked.";
constexpr std::string_view kCheckedPackage = "raft.";
constexpr std::chrono::seconds kRefusalLogEvery{10};

grpc::Status Invalid(const std::string& why) { return {grpc::StatusCode::INVALID_ARGUMENT, why}; }

grpc::Status NotUtf8(const std::string& field, size_t offset) {
  return Invalid(field + " is not valid UTF-8 (byte " + std::to_string(offset) + ")");
}

// Checks the fields `checked` declares string, found by number in
// `message`; `prefix` names the enclosing fields ("session."). Names are
// built only for an error: this runs on every request.
grpc::Status CheckStrings(const Descriptor* checked, const Message& message,
                          const std::string& prefix) {
  const Reflection* reflection = message.GetReflection();
  const Descriptor* have = message.GetDescriptor();
  for (int i = 0; i < checked->field_count(); i++) {
    const FieldDescriptor* want = checked->field(i);
    const bool is_string = want->type() == FieldDescriptor::TYPE_STRING;
    if (!is_string && want->type() != FieldDescriptor::TYPE_MESSAGE) continue;
    const FieldDescriptor* field = have->FindFieldByNumber(want->number());
    if (field == nullptr) continue;  // not a twin; client_request_test.cc keeps them twins
    std::string scratch;
    if (!field->is_repeated()) {
      if (is_string) {
        const std::string& value = reflection->GetStringReference(message, field, &scratch);
        if (std::optional<size_t> bad = FindInvalidUtf8(value)) {
          return NotUtf8(prefix + want->name(), *bad);
        }
      } else if (reflection->HasField(message, field)) {
        grpc::Status s = CheckStrings(want->message_type(), reflection->GetMessage(message, field),
                                      prefix + want->name() + ".");
        if (!s.ok()) return s;
      }
      continue;
    }
    const int n = reflection->FieldSize(message, field);
    for (int j = 0; j < n; j++) {
      const std::string item = prefix + want->name() + "[" + std::to_string(j) + "]";
      if (is_string) {
        const std::string& value =
            reflection->GetRepeatedStringReference(message, field, j, &scratch);
        if (std::optional<size_t> bad = FindInvalidUtf8(value)) return NotUtf8(item, *bad);
      } else {
        grpc::Status s = CheckStrings(
            want->message_type(), reflection->GetRepeatedMessage(message, field, j), item + ".");
        if (!s.ok()) return s;
      }
    }
  }
  return grpc::Status::OK;
}

// Whether text[at, at + n) are n continuation bytes (10xxxxxx).
bool Continuations(std::string_view text, size_t at, size_t n) {
  if (text.size() - at < n) return false;
  for (size_t k = 0; k < n; k++) {
    if ((static_cast<unsigned char>(text[at + k]) & 0xC0) != 0x80) return false;
  }
  return true;
}

}  // namespace

std::optional<size_t> FindInvalidUtf8(std::string_view text) {
  constexpr uint64_t kHighBits = 0x8080808080808080ULL;
  size_t i = 0;
  while (i < text.size()) {
    // Eight ASCII bytes at a time: keys and values are mostly ASCII.
    uint64_t word = 0;
    if (text.size() - i >= sizeof(word)) {
      std::memcpy(&word, text.data() + i, sizeof(word));
      if ((word & kHighBits) == 0) {
        i += sizeof(word);
        continue;
      }
    }
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      i++;
      continue;
    }
    size_t tail = 0;
    uint32_t code = 0;
    uint32_t code_min = 0;
    if ((lead & 0xE0) == 0xC0) {
      tail = 1, code = lead & 0x1F, code_min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      tail = 2, code = lead & 0x0F, code_min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      tail = 3, code = lead & 0x07, code_min = 0x10000;
    } else {
      return i;  // a continuation byte or 0xF8..0xFF where a sequence must start
    }
    if (!Continuations(text, i + 1, tail)) return i;
    for (size_t k = 1; k <= tail; k++) {
      code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
    if (code < code_min || code > 0x10FFFF || surrogate) return i;
    i += tail + 1;
  }
  return std::nullopt;
}

const Descriptor* CheckedTwin(const Descriptor* unchecked) {
  const std::string& name = unchecked->full_name();
  if (name.rfind(kUncheckedPackage, 0) != 0) return nullptr;
  const std::string twin = std::string(kCheckedPackage) + name.substr(kUncheckedPackage.size());
  return google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(twin);
}

grpc::Status ParseClientRequest(const grpc::ByteBuffer& bytes, const Descriptor* checked,
                                Message& request) {
  request.Clear();
  if (bytes.Valid()) {
    grpc::ByteBuffer readable(bytes);  // shares the slices; the reader needs a mutable buffer
    grpc::ProtoBufferReader reader(&readable);
    if (!reader.status().ok() || !request.ParseFromZeroCopyStream(&reader)) {
      return Invalid("request does not parse as " + checked->full_name());
    }
  }
  return CheckStrings(checked, request, "");
}

void LogRefusedClientRequest(const Descriptor* checked, const std::string& peer,
                             const grpc::Status& refusal) {
  static LogLimiter limiter(kRefusalLogEvery);
  uint64_t held_back = 0;
  if (!spdlog::should_log(spdlog::level::debug) ||
      !limiter.Allow(LogLimiter::Clock::now(), &held_back)) {
    return;
  }
  spdlog::debug("refused a {} from {}: {} ({} more refused requests since the last line)",
                checked->full_name(), peer, refusal.error_message(), held_back);
}

}  // namespace raft::net
