// The deterministic layer writer: a set of entries -> a tar (libarchive, PAX/ustar), compressed with
// gzip (parallel, pigz-style fixed blocks joined in order) or zstd, with the diff_id (digest of the
// uncompressed tar) and the blob digest computed in the same streaming pass.
//
// Determinism rules (same entries -> same bytes on any machine, path, umask, mtime, thread count):
//  - entries sorted by path (byte order; a directory before its contents); duplicates are an error;
//  - mtime = the entry's own mtime when set, else options.mtime (callers clamp with
//    SOURCE_DATE_EPOCH), no atime/ctime;
//  - uid/gid from the entry (default 0), no uname/gname;
//  - modes kept (permission bits plus setuid/setgid/sticky), file type from the entry;
//  - xattrs kept (sorted), e.g. `security.capability`;
//  - gzip header without name or mtime, OS byte fixed; fixed level; output independent of threads.
#ifndef SLIPWAY_OCI_TAR_LAYER_WRITER_H_
#define SLIPWAY_OCI_TAR_LAYER_WRITER_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/byte_sink.h"
#include "oci/descriptor.h"
#include "oci/media_types.h"

namespace oci {

class Layout;  // oci/layout/layout.h

struct LayerEntry {
  enum class Type { kFile, kDirectory, kSymlink, kHardlink, kWhiteout, kOpaqueWhiteout, kCharDevice,
                    kBlockDevice, kFifo };
  Type type = Type::kFile;
  std::string path;  // relative, '/'-separated, no leading "/" or "./" (e.g. "usr/bin/env")
  mode_t mode = 0644;  // permission bits incl. setuid/setgid/sticky
  uid_t uid = 0;
  gid_t gid = 0;
  std::string link_target;  // symlink target, or hardlink's path inside the layer
  // Content of a regular file: either `source_path` (a host file read when the tar is written) or
  // `content` (bytes in memory).
  std::string source_path;
  std::string content;
  uint32_t dev_major = 0, dev_minor = 0;
  std::map<std::string, std::string> xattrs;
  // This entry's mtime (seconds since the epoch) instead of LayerWriterOptions::mtime, when set
  // (a RUN layer keeps the times its files had, clamped to SOURCE_DATE_EPOCH).
  std::optional<int64_t> mtime;
};

struct LayerWriterOptions {
  Compression compression = Compression::kGzip;
  // gzip: 1-9 (default 5, whose output stays within ~1% of `gzip -6`'s size at ~1.5x the speed;
  // see oci/tar/compressor.h); zstd: 1-19 (default 3).
  int level = -1;
  // Worker threads for compression; 0 = all cores. Never changes the output bytes.
  int threads = 0;
  // Every entry's mtime, in seconds since the epoch (SOURCE_DATE_EPOCH, default 0).
  int64_t mtime = 0;
};

struct LayerResult {
  Descriptor descriptor;  // the compressed blob: media type, digest, size
  Digest diff_id;         // digest of the uncompressed tar
  int64_t uncompressed_size = 0;
};

// Writes the layer blob into `sink` and returns its digests. `entries` need not be sorted.
absl::StatusOr<LayerResult> WriteLayer(std::vector<LayerEntry> entries,
                                       const LayerWriterOptions& options, ByteSink& sink);

// Writes the layer straight into `layout` as a committed blob. Defined in the separate target
// //oci/tar:layer_to_layout (so that this library does not depend on the layout store).
absl::StatusOr<LayerResult> WriteLayerToLayout(std::vector<LayerEntry> entries,
                                               const LayerWriterOptions& options, Layout& layout);

// Lists a host directory tree as entries (paths relative to `root`, prefixed with `prefix`), with
// modes, symlink targets, hardlinks (same inode -> kHardlink to the first path), and xattrs.
// uid/gid are set to 0 unless `keep_owners`.
absl::StatusOr<std::vector<LayerEntry>> EntriesFromDirectory(const std::string& root,
                                                             const std::string& prefix = "",
                                                             bool keep_owners = false);

// SOURCE_DATE_EPOCH from the environment, else 0. InvalidArgument if it is set but not a number.
absl::StatusOr<int64_t> SourceDateEpoch();

}  // namespace oci

#endif  // SLIPWAY_OCI_TAR_LAYER_WRITER_H_
