// FsView: a read-only view of an image's file tree as the union of its unpacked layers (overlayfs
// layout: a 0/0 character device is a whiteout, a directory with the `<prefix>overlay.opaque=y`
// xattr hides the layers below it), without mounting anything. The executor uses it to read
// /etc/passwd and /etc/group, to see whether WORKDIR and COPY destinations exist, and as the
// source of `COPY --from`. Immutable after construction; thread-safe.
#ifndef SLIPWAY_BUILDER_EXEC_FS_VIEW_H_
#define SLIPWAY_BUILDER_EXEC_FS_VIEW_H_

#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace builder {

class FsView {
 public:
  struct Hit {
    std::string host_path;  // the file in the layer directory that provides it
    struct stat info;       // its lstat
  };
  // `layer_dirs` bottom-most first (image order).
  explicit FsView(std::vector<std::string> layer_dirs,
                  std::string opaque_xattr = "trusted.overlay.opaque")
      : dirs_(std::move(layer_dirs)), opaque_xattr_(std::move(opaque_xattr)) {}

  // The entry at the absolute or relative `path` (no symlink is followed, except in `..`-free
  // parents when `follow_parents`); nullopt when absent.
  std::optional<Hit> Lstat(const std::string& path) const;
  // Like Lstat but resolves symlinks in every component, including the last, inside the view
  // (absolute targets are relative to the view's root). `resolved` receives the final path.
  absl::StatusOr<std::optional<Hit>> Stat(const std::string& path,
                                          std::string* resolved = nullptr) const;
  // Names in the directory `path` (union of the layers, minus whiteouts), sorted.
  std::vector<std::string> ListDir(const std::string& path) const;
  // Whole content of a file ("" when absent).
  absl::StatusOr<std::string> ReadFile(const std::string& path) const;
  // Resolves symlinks in the parents of `path` (not the last component).
  absl::StatusOr<std::string> ResolveParents(const std::string& path) const;

  const std::vector<std::string>& dirs() const { return dirs_; }

 private:
  enum class Probe { kMissing, kFound, kWhiteout };
  // Whether the layer `i` hides `rel` in the layers below (a whiteout, a non-directory or an
  // opaque directory at `rel` or one of its parents).
  bool Blocks(size_t i, const std::string& rel) const;
  std::vector<std::string> dirs_;
  std::string opaque_xattr_;
};

// "/a/./b/../c/" -> "a/c" (relative, no leading slash; "" is the root).
std::string CleanRel(const std::string& path);

}  // namespace builder

#endif  // SLIPWAY_BUILDER_EXEC_FS_VIEW_H_
