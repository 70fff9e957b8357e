// Client requests at the edge: the bytes of a raft.KeyValueService call,
// parsed and checked by the node itself rather than inside gRPC.
//
// proto3 requires a `string` field to hold UTF-8; libprotobuf enforces it
// while parsing, logs a line for each offending message, and gRPC then
// fails the call as INTERNAL, before any handler sees it. So the client
// methods are served raw (grpc::ByteBuffer in and out, see client_call.h)
// and each request is parsed as its raft.unchecked twin
// (proto/raft_unchecked.proto: the same fields, `bytes` where raft.proto
// has `string`). This file then checks what raft.proto's descriptor says
// is a string, field by field, so a bad request is answered
// INVALID_ARGUMENT naming the type ("request does not parse as
// raft.PutRequest") or the field ("key is not valid UTF-8 (byte 3)").
// Refusals are logged at debug level, at most one line per 10 s.
//
// Threading: pure functions, except LogRefusedClientRequest (thread-safe).
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <optional>
#include <string_view>

namespace raft::net {

// The offset of the first byte of `text` that does not start a well-formed
// UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF), or nullopt when all of it is UTF-8.
std::optional<size_t> FindInvalidUtf8(std::string_view text);

// The raft.proto message whose twin `unchecked` is (raft.unchecked.X ->
// raft.X), or nullptr if there is none.
const google::protobuf::Descriptor* CheckedTwin(const google::protobuf::Descriptor* unchecked);

// Parses `bytes` into `request`, the twin of `checked`, and checks that
// every field `checked` declares `string` (nested messages included) holds
// UTF-8. OK, or INVALID_ARGUMENT saying what is wrong.
grpc::Status ParseClientRequest(const grpc::ByteBuffer& bytes,
                                const google::protobuf::Descriptor* checked,
                                google::protobuf::Message& request);

// A debug line for a refused request, at most one per 10 s (with the count
// of those held back).
void LogRefusedClientRequest(const google::protobuf::Descriptor* checked, const std::string& peer,
                             const grpc::Status& refusal);

}  // namespace raft::net
