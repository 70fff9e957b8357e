// Always-on assertions for programmer errors (TigerBeetle style): a broken
// invariant stops the process with the failing condition and location, in
// release builds too. Operating errors (I/O, bad input) use Status instead.
#pragma once

#include <cstdio>
#include <cstdlib>

#define RAFT_ASSERT(cond)                                                               \
  do {                                                                                  \
    if (!(cond)) [[unlikely]] {                                                         \
      std::fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

#define RAFT_ASSERT_MSG(cond, msg)                                                                \
  do {                                                                                            \
    if (!(cond)) [[unlikely]] {                                                                   \
      std::fprintf(stderr, "%s:%d: assertion failed: %s (%s)\n", __FILE__, __LINE__, #cond, msg); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)
