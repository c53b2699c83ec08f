// libarchive, opened on first use: link //third_party/lazy:archive instead of -larchive and call
// archive_* as usual (headers from libarchive-dev). lazy_archive.cc forwards the functions slipway
// uses; calling one it lacks is a link error, so add it there. When libarchive.so.13 is missing,
// the functions return their documented failure values (NULL, ARCHIVE_FATAL; archive_error_string
// says why) and ArchiveLibrary().Load() gives the reason as a status.
#ifndef SLIPWAY_THIRD_PARTY_LAZY_LAZY_ARCHIVE_H_
#define SLIPWAY_THIRD_PARTY_LAZY_LAZY_ARCHIVE_H_

#include "third_party/lazy/lazy_library.h"

namespace lazy {

// The process-wide libarchive.so.13 (Debian package libarchive13).
LazyLibrary& ArchiveLibrary();

}  // namespace lazy

#endif  // SLIPWAY_THIRD_PARTY_LAZY_LAZY_ARCHIVE_H_
