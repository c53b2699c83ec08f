// COPY and ADD as layers written straight from their sources (no container): Docker's path rules
// turned into a list of layer entries, plus the digest of exactly what the step reads (paths,
// types, modes, owners, link targets and file contents, never mtimes), which is the step's content
// input to its cache key.
//
// Path rules (Docker/BuildKit): sources are relative to the context (or the `--from` root); `*`,
// `?` and `[...]` match within one path segment; a directory source copies its contents, not the
// directory itself; a file goes to DEST/basename when DEST ends in `/`, names an existing
// directory, or there are several sources; missing parents are created (0755, owned by --chown);
// symlinks are copied as links (a source named explicitly is followed); context files are owned by
// 0:0 unless --chown; `--from` files keep their owners; `--chmod` (octal or symbolic) applies to
// every copied entry. Pure planning: nothing here writes a layer. Thread-compatible.
#ifndef SLIPWAY_BUILDER_EXEC_COPY_H_
#define SLIPWAY_BUILDER_EXEC_COPY_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "builder/cache/cache.h"
#include "builder/exec/fs_view.h"
#include "builder/ignore/ignore.h"
#include "builder/instructions/instructions.h"
#include "oci/digest.h"
#include "oci/tar/layer_writer.h"

namespace builder {

// The build context, walked once (filtered by .dockerignore). Thread-safe after Load.
class BuildContext {
 public:
  static absl::StatusOr<BuildContext> Load(const std::string& dir,
                                           const std::vector<std::string>& ignore_patterns,
                                           StatCache* stat_cache);
  const std::string& dir() const { return dir_; }
  // Every included path (relative, sorted) with its lstat.
  const std::vector<ignore::WalkEntry>& entries() const { return entries_; }
  const ignore::WalkEntry* Find(const std::string& rel) const;
  StatCache* stat_cache() const { return stat_cache_; }

 private:
  std::string dir_;
  std::vector<ignore::WalkEntry> entries_;
  StatCache* stat_cache_ = nullptr;  // Not owned.
};

struct CopyPlanInput {
  const instructions::CopyCmd* cmd = nullptr;
  std::string workdir = "/";
  // Exactly one of these is the source: the context, or a stage/image tree for --from.
  const BuildContext* context = nullptr;
  const FsView* from = nullptr;
  // The destination stage's tree (for existing directories and --chown names); null for --link
  // or when the stage is empty (scratch).
  const FsView* dest = nullptr;
  // Where ADD may unpack archives (a temp dir kept alive by the caller until the layer is written).
  std::string scratch_dir;
  // ADD URL sources, already downloaded (and checked against --checksum) by the caller: URL -> the
  // local file. The file is added as BuildKit does: named after the URL's last path segment, mode
  // 0600 unless --chmod, never extracted.
  std::map<std::string, std::string> downloads;
};

struct CopyPlan {
  std::vector<oci::LayerEntry> entries;
  oci::Digest content_digest;  // over every entry and every file's content
};

absl::StatusOr<CopyPlan> PlanCopy(const CopyPlanInput& input);

// Whether an ADD source is a URL (http:// or https://).
bool IsUrl(absl::string_view source);

// Downloads `url` into the new file `path` with libcurl (redirects followed, HTTP errors are
// errors, proxies from the environment). With `checksum` ("sha256:<hex>"), the content must match
// it (InvalidArgument otherwise). Returns the content's digest.
absl::StatusOr<oci::Digest> DownloadUrl(const std::string& url, const std::string& path,
                                        const std::string& checksum);

// Applies a --chmod value ("755", "0644", "u+x,go-w", "a=rX") to `mode` (permission bits and the
// file type's X rule). InvalidArgument for bad syntax.
absl::StatusOr<mode_t> ApplyChmod(absl::string_view spec, mode_t mode, bool is_dir);

// Resolves "user[:group]" against /etc/passwd and /etc/group text (numbers need no entry). A user
// alone uses the user's primary group (or the same number when numeric and unknown).
absl::StatusOr<std::pair<uid_t, gid_t>> ResolveChown(absl::string_view spec,
                                                     const std::string& passwd,
                                                     const std::string& group);

// Go's filepath.Match for one '/'-separated path (wildcards never cross '/').
bool PathMatch(absl::string_view pattern, absl::string_view path);

}  // namespace builder

#endif  // SLIPWAY_BUILDER_EXEC_COPY_H_
