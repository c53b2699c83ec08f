// The safe layer extractor: applies a layer (tar, tar+gzip or tar+zstd, detected from the bytes)
// onto a root directory.
//
// Nothing is ever written outside `root`, whatever the tar holds: every path is resolved inside the
// root (openat2 RESOLVE_IN_ROOT, or a component-by-component O_NOFOLLOW walk where openat2 is
// missing), so `..`, absolute symlinks, symlinks chained through earlier entries and hardlinks to
// outside paths are contained or refused. Symlinks themselves are stored exactly as written (a
// target climbing with `../` is legitimate); only writes *through* links are confined.
// Whiteouts: `.wh.NAME` deletes NAME, `.wh..wh..opq` makes its directory opaque; any other `.wh.`
// name is an error. Device nodes are refused unless allowed. Memory stays flat: the tar is streamed.
#ifndef SLIPWAY_OCI_TAR_LAYER_EXTRACTOR_H_
#define SLIPWAY_OCI_TAR_LAYER_EXTRACTOR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "oci/digest.h"

namespace oci {

struct ExtractOptions {
  // How whiteouts are applied.
  //  kApply: delete the named paths in `root` (flattening layers into one tree).
  //  kOverlay: keep them as overlayfs whiteouts (0/0 char device for `.wh.NAME`; the opaque xattr for
  //            `.wh..wh..opq`), for a directory used as an overlayfs lower layer.
  enum class Whiteouts { kApply, kOverlay };
  Whiteouts whiteouts = Whiteouts::kApply;
  // Prefix of the overlay opaque xattr: "trusted." (root) or "user." (rootless, with userxattr).
  std::string overlay_xattr_prefix = "trusted.";
  // Create device nodes found in the layer (needs CAP_MKNOD). Default: refused with an error.
  bool allow_devices = false;
  // chown entries to the tar's uid/gid. Default: only when running as root.
  bool preserve_owners = true;
  // When set, the digest of the uncompressed stream must equal it (DataLoss otherwise). The check
  // runs at the end: on DataLoss the root holds the layer's files and must be discarded.
  Digest expected_diff_id;
  // Resolve paths with the component-by-component O_NOFOLLOW walk even when openat2 exists (the
  // walk is otherwise used only where openat2 is ENOSYS). For tests. Default: false.
  bool resolve_without_openat2 = false;
};

struct ExtractStats {
  int64_t entries = 0;
  int64_t bytes = 0;  // uncompressed tar bytes
  Digest diff_id;     // digest of the uncompressed tar
};

// Applies the layer read from `fd` (not owned; read to the end) onto the existing directory `root`.
// Entries are applied as they are read; on error the root is left partly changed (callers extract
// into a fresh directory and discard it on failure). Names climbing above the root with `..`, and
// hardlinks to directories, are refused with PermissionDenied; absolute names and symlinks are
// resolved inside the root. Runs of zero bytes in files become holes.
absl::StatusOr<ExtractStats> ApplyLayer(int fd, const std::string& root,
                                        const ExtractOptions& options = {});

}  // namespace oci

#endif  // SLIPWAY_OCI_TAR_LAYER_EXTRACTOR_H_
