// Listing a directory the layer extractor reaches through file descriptors (never by path, so a
// symlink swapped in by a layer is never followed): open one entry of a parent directory as a
// directory and read its entry names in one call, keeping the descriptor for the *at() calls
// that work on the entries. Thread-compatible.
#ifndef SLIPWAY_OCI_TAR_DIR_LISTING_H_
#define SLIPWAY_OCI_TAR_DIR_LISTING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/scoped_fd.h"

namespace oci {

struct DirListing {
  base::ScopedFd fd;               // the directory, opened O_RDONLY | O_DIRECTORY | O_CLOEXEC
  std::vector<std::string> names;  // its entries in readdir order, without `.` and `..`
};

// Opens `name` (relative to the directory `parent`; "." for `parent` itself) as a directory, with
// `extra_flags` (such as O_NOFOLLOW) added to the open flags, and lists it. `shown` names the
// directory in errors ("open `shown`: …", "readdir `shown`: …"); errno becomes the status code
// (ENOTDIR, ELOOP for a symlink under O_NOFOLLOW, ENOENT …).
absl::StatusOr<DirListing> OpenAndListDirAt(int parent, const std::string& name, int extra_flags,
                                            const std::string& shown);

}  // namespace oci

#endif  // SLIPWAY_OCI_TAR_DIR_LISTING_H_
