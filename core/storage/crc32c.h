// CRC32C (Castagnoli), the checksum of every WAL record and snapshot file.
// Chosen over CRC32 for its better error detection on storage payloads and
// because it is what etcd, RocksDB and ext4 use. Table-driven, slicing by 8.
#pragma once

#include <cstdint>
#include <string_view>

namespace raft {

// Uses the CPU's crc32 instruction when present, else the tables.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);
// The table-driven version alone (tests cross-check the two).
uint32_t Crc32cPortable(std::string_view data, uint32_t crc = 0);

}  // namespace raft
