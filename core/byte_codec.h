// Little-endian integer and length-prefixed string encoding shared by every
// on-disk and in-log format (commands, WAL records, snapshot files, the
// key-value snapshot image). ByteReader never reads past its input: each
// call reports failure instead, so truncated or hostile bytes fail cleanly.
//
// Threading: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace raft {

inline void PutU8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
inline void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
// u32 length, then the bytes.
inline void PutBytes(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads the little-endian unsigned integer of `bytes` width at data[pos]
// (the caller has checked the bounds).
inline uint64_t LoadUint(std::string_view data, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; i++) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(data[pos + static_cast<size_t>(i)])) << (8 * i);
  }
  return v;
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  bool U8(uint8_t& v) { return Uint(v, 1); }
  bool U32(uint32_t& v) { return Uint(v, 4); }
  bool U64(uint64_t& v) { return Uint(v, 8); }
  // A u32 length, then that many bytes.
  bool Bytes(std::string& v) {
    std::string_view view;
    if (!Bytes(view)) return false;
    v.assign(view);
    return true;
  }
  // The same, as a view into the data (no copy).
  bool Bytes(std::string_view& v) {
    uint32_t n = 0;
    if (!U32(n) || n > Remaining()) return false;
    v = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // Exactly n bytes.
  bool Raw(std::string& v, uint64_t n) {
    if (n > Remaining()) return false;
    v.assign(data_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  size_t Remaining() const { return data_.size() - pos_; }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  template <typename T>
  bool Uint(T& v, int bytes) {
    if (Remaining() < static_cast<size_t>(bytes)) return false;
    v = static_cast<T>(LoadUint(data_, pos_, bytes));
    pos_ += static_cast<size_t>(bytes);
    return true;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace raft
