// Client requests are parsed at the edge: UTF-8 is checked by the node, per
// field, against raft.proto's declaration, and the raft.unchecked twins stay
// wire-compatible with raft.proto.
#include "net/client_request.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "proto/raft.grpc.pb.h"
#include "proto/raft_unchecked.pb.h"

namespace raft::net {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

grpc::ByteBuffer BytesOf(const std::string& wire) {
  grpc::Slice slice(wire);
  return grpc::ByteBuffer(&slice, 1);
}

TEST(FindInvalidUtf8Test, AcceptsWellFormedSequencesOfEveryLength) {
  for (const std::string& text :
       {std::string(), std::string("plain ascii"), std::string("\xc3\xa9t\xc3\xa9"),
        std::string("\xe2\x82\xac"), std::string("\xf0\x9f\x98\x80"),
        std::string("\xf4\x8f\xbf\xbf"), std::string("a\0b", 3),
        std::string("long ascii run, then \xe2\x82\xac and more ascii after it")}) {
    EXPECT_EQ(FindInvalidUtf8(text), std::nullopt) << text;
  }
}

TEST(FindInvalidUtf8Test, NamesTheFirstBadByte) {
  struct Case {
    std::string text;
    size_t offset;
    const char* why;
  };
  for (const Case& c : {
           Case{"\xff", 0, "never a UTF-8 byte"},
           Case{"ab\x80", 2, "a continuation byte with no lead"},
           Case{"\xc0\xaf", 0, "overlong two-byte form of '/'"},
           Case{"x\xe0\x80\xaf", 1, "overlong three-byte form"},
           Case{"\xed\xa0\x80", 0, "a UTF-16 surrogate"},
           Case{"\xf4\x90\x80\x80", 0, "past U+10FFFF"},
           Case{"ok\xc3", 2, "cut off after the lead byte"},
           Case{"a\xe2\x82", 1, "cut off inside a sequence"},
           Case{"\xe2\x28\xa1", 0, "a lead byte followed by ASCII"},
           Case{"\xf8\x88\x80\x80\x80", 0, "a five-byte form"},
           Case{"0123456789abc\xff"
                "0123456789",
                13, "after a run of ASCII words"},
           Case{"01234567\xc3\xa9"
                "89abcdef\xe2\x82",
                18, "after ASCII and a valid pair"},
       }) {
    EXPECT_EQ(FindInvalidUtf8(c.text), std::optional<size_t>(c.offset)) << c.why;
  }
}

// Every unchecked message is its raft.proto namesake field for field, with
// bytes where that has string: the same bytes on the wire.
TEST(ClientRequestTest, UncheckedMessagesAreTwinsOfRaftProto) {
  const google::protobuf::FileDescriptor* file = unchecked::PutRequest::descriptor()->file();
  ASSERT_GT(file->message_type_count(), 0);
  for (int i = 0; i < file->message_type_count(); i++) {
    const Descriptor* have = file->message_type(i);
    const Descriptor* want = CheckedTwin(have);
    ASSERT_NE(want, nullptr) << have->full_name() << " has no twin in raft.proto";
    ASSERT_EQ(have->field_count(), want->field_count()) << have->full_name();
    for (int f = 0; f < want->field_count(); f++) {
      const FieldDescriptor* w = want->field(f);
      const FieldDescriptor* h = have->FindFieldByNumber(w->number());
      ASSERT_NE(h, nullptr) << want->full_name() << " field " << w->name();
      EXPECT_EQ(h->name(), w->name()) << want->full_name();
      EXPECT_EQ(h->label(), w->label()) << want->full_name() << "." << w->name();
      const auto expected_type =
          w->type() == FieldDescriptor::TYPE_STRING ? FieldDescriptor::TYPE_BYTES : w->type();
      EXPECT_EQ(h->type(), expected_type) << want->full_name() << "." << w->name();
      if (w->type() == FieldDescriptor::TYPE_MESSAGE) {
        EXPECT_EQ(h->message_type(), w->message_type()) << want->full_name() << "." << w->name();
      }
    }
  }
  // And every request of the service has a twin.
  const google::protobuf::ServiceDescriptor* service =
      PutRequest::descriptor()->file()->FindServiceByName("KeyValueService");
  ASSERT_NE(service, nullptr);
  for (int m = 0; m < service->method_count(); m++) {
    const std::string twin = "raft.unchecked." + service->method(m)->input_type()->name();
    EXPECT_NE(google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(twin),
              nullptr)
        << twin;
  }
}

TEST(ClientRequestTest, ParsesWhatAGeneratedClientSends) {
  PutRequest sent;
  sent.set_key("k\xc3\xa9y");
  sent.set_value("v");
  sent.mutable_session()->set_client_id(7);
  sent.mutable_session()->set_sequence(3);
  unchecked::PutRequest got;
  grpc::Status s =
      ParseClientRequest(BytesOf(sent.SerializeAsString()), PutRequest::descriptor(), got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.key(), sent.key());
  EXPECT_EQ(got.value(), "v");
  EXPECT_EQ(got.session().client_id(), 7u);
  EXPECT_EQ(got.session().sequence(), 3u);
}

TEST(ClientRequestTest, InvalidUtf8IsInvalidArgumentNamingTheField) {
  unchecked::CompareAndSwapRequest sent;
  sent.set_key("key");
  sent.set_expected_value("old");
  sent.set_value("new\xff");
  unchecked::CompareAndSwapRequest got;
  grpc::Status s = ParseClientRequest(BytesOf(sent.SerializeAsString()),
                                      CompareAndSwapRequest::descriptor(), got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "value is not valid UTF-8 (byte 3)");

  sent.set_value("new");
  sent.set_key("\xc0\xaf");
  s = ParseClientRequest(BytesOf(sent.SerializeAsString()), CompareAndSwapRequest::descriptor(),
                         got);
  EXPECT_EQ(s.error_message(), "key is not valid UTF-8 (byte 0)");
}

TEST(ClientRequestTest, GarbageIsInvalidArgumentNamingTheType) {
  unchecked::GetRequest got;
  for (const std::string& garbage : {std::string("\xff\xff\xff\xff"),
                                     std::string("\x0a\x05"
                                                 "ab"),
                                     std::string("\x0a")}) {
    grpc::Status s = ParseClientRequest(BytesOf(garbage), GetRequest::descriptor(), got);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), "request does not parse as raft.GetRequest");
  }
}

TEST(ClientRequestTest, AnEmptyRequestIsTheDefaultMessage) {
  unchecked::GetRequest got;
  got.set_key("left over");
  EXPECT_TRUE(ParseClientRequest(grpc::ByteBuffer(), GetRequest::descriptor(), got).ok());
  EXPECT_TRUE(ParseClientRequest(BytesOf(""), GetRequest::descriptor(), got).ok());
  EXPECT_EQ(got.key(), "");
}

}  // namespace
}  // namespace raft::net
