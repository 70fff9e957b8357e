// Builders for log entries shared by the storage and log tests.
//
// Threading: test code only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/storage.h"

namespace raft {

// (term, index) of an entry with no payload.
struct TI {
  uint64_t term;
  uint64_t index;
};

inline std::vector<Entry> Ents(const std::vector<TI>& tis) {
  std::vector<Entry> out;
  for (const TI& ti : tis) out.push_back(Entry{Term{ti.term}, Index{ti.index}});
  return out;
}

// Entries [first, first + terms.size()) with the given terms and payload.
inline std::vector<Entry> Span(uint64_t first, const std::vector<uint64_t>& terms,
                               const std::string& data = "") {
  std::vector<Entry> out;
  for (size_t i = 0; i < terms.size(); i++) {
    out.push_back(Entry{Term{terms[i]}, Index{first + i}, EntryType::kNormal, data});
  }
  return out;
}

// An entry whose payload names its index and term, so mix-ups show.
inline Entry MakeEntry(uint64_t term, uint64_t index) {
  return Entry{Term{term}, Index{index}, EntryType::kNormal,
               "entry " + std::to_string(index) + " of term " + std::to_string(term)};
}

// MakeEntry for every index in [first, last].
inline std::vector<Entry> MakeEntries(uint64_t first, uint64_t last, uint64_t term) {
  std::vector<Entry> out;
  for (uint64_t i = first; i <= last; i++) out.push_back(MakeEntry(term, i));
  return out;
}

// Everything the storage holds after its snapshot.
inline std::vector<Entry> AllEntries(const Storage& s) {
  if (s.LastIndex() < s.FirstIndex()) return {};
  Result<std::vector<Entry>> r = s.Entries(s.FirstIndex(), s.LastIndex().Next(), UINT64_MAX);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : std::vector<Entry>{};
}

}  // namespace raft
