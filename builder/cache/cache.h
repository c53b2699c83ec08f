// The builder's local cache: cache keys -> step results, and the stat cache that lets a warm rebuild
// hash a build context without reading unchanged files.
//
// Layout of the cache directory ($XDG_CACHE_HOME/slipway, or --cache-dir):
//   blobs/            an OCI layout holding every layer, config and manifest the builder made
//   keys/<hex>        one JSON record per step key: the stage's layers and config after the step
//   stat/<hex>        one stat-cache file per context directory (hex = sha256 of its absolute path)
//   layers/           unpacked layers (runner::LayerCache), for RUN and for reading a stage's files
//   mounts/<hex>      RUN --mount=type=cache directories
// Crash safety: every file is written to a temp file, fsynced and renamed, and a key record is
// written only after every blob it names is committed, so `kill -9` at any point leaves a cache
// whose every record is usable. Two builds at once are safe: records and blobs are immutable and
// named by content; the stat cache merges under an exclusive flock. StepCache is thread-safe.
#ifndef SLIPWAY_BUILDER_CACHE_CACHE_H_
#define SLIPWAY_BUILDER_CACHE_CACHE_H_

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "oci/descriptor.h"
#include "oci/digest.h"
#include "oci/image_config.h"
#include "oci/layout/layout.h"

namespace builder {

// $XDG_CACHE_HOME/slipway, else $HOME/.cache/slipway.
std::string DefaultCacheDir();

// What a step leaves behind: the stage's whole image state after it.
struct StepRecord {
  oci::ImageConfig config;
  std::vector<oci::Descriptor> layers;  // blobs in the cache's layout
};

class StepCache {
 public:
  // Opens (creating) the cache at `dir`.
  static absl::StatusOr<std::unique_ptr<StepCache>> Open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  oci::Layout& layout() { return *layout_; }

  // The record for `key`, or nullopt on a miss (also when a blob it names has gone missing, so a
  // damaged cache rebuilds instead of failing).
  std::optional<StepRecord> Lookup(const oci::Digest& key) const;
  // Stores a record. Its blobs must already be committed to layout().
  absl::Status Store(const oci::Digest& key, const StepRecord& record);

 private:
  StepCache(std::string dir, std::unique_ptr<oci::Layout> layout)
      : dir_(std::move(dir)), layout_(std::move(layout)) {}
  std::string dir_;
  std::unique_ptr<oci::Layout> layout_;
};

// Maps files of one context directory to their content digests, trusting an earlier digest while
// (size, mtime, ctime, inode, device) are unchanged. Thread-safe.
class StatCache {
 public:
  // Loads the stat cache of `context_dir` from `cache_dir`/stat (missing or damaged: empty).
  static std::unique_ptr<StatCache> Load(const std::string& cache_dir,
                                         const std::string& context_dir);
  // The sha256 of the regular file at `path` (whose lstat is `st`), reading it only when the
  // cached entry does not match `st`. `relative` is the key (the path inside the context).
  absl::StatusOr<oci::Digest> FileDigest(const std::string& relative, const std::string& path,
                                         const struct stat& st);
  // Merges the entries used or computed in this build into the file on disk (flock + atomic
  // rename). Entries not seen this build are kept.
  absl::Status Save();
  // Files read (hashed) since Load; for tests and the benchmark.
  int64_t files_hashed() const;

 private:
  struct Entry {
    int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
    uint64_t ino = 0, dev = 0;
    std::string digest;
  };
  static std::map<std::string, Entry> Parse(const std::string& text);
  StatCache(std::string file) : file_(std::move(file)) {}
  std::string file_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Entry> fresh_ ABSL_GUARDED_BY(mu_);
  int64_t files_hashed_ ABSL_GUARDED_BY(mu_) = 0;
};

// Hashes a file's content with streaming SHA-256.
absl::StatusOr<oci::Digest> HashFile(const std::string& path);

}  // namespace builder

#endif  // SLIPWAY_BUILDER_CACHE_CACHE_H_
