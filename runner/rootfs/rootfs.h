// Root filesystems for containers, from images in an OCI layout.
//
// LayerCache: each layer is unpacked once (safe extractor, overlay whiteouts) into
// `<dir>/<diff_id hex>`, keyed by its diff_id and checked against it. Unpacking goes to a temp
// directory renamed into place under a per-layer flock, so concurrent containers share the cache
// and a crash mid-unpack leaves only a `.tmp-*` directory that the next unpack of that layer
// removes, never a half-made layer behind a name. Thread-compatible; safe across processes.
//
// PrepareRootfs: an overlay spec (read-only lowers from the cache, a fresh upper and work dir per
// container, mounted later inside the container's mount namespace on the cache's shared mount
// point) or, where overlayfs is not
// permitted, a private copy made by applying every layer into the container's directory.
#ifndef SLIPWAY_RUNNER_ROOTFS_ROOTFS_H_
#define SLIPWAY_RUNNER_ROOTFS_ROOTFS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/digest.h"
#include "oci/layout/layout.h"
#include "runner/sandbox/id_mapping.h"
#include "runner/sandbox/spec.h"

namespace runner {

// $SLIPWAY_LAYER_CACHE, else $XDG_CACHE_HOME/slipway/layers, else $HOME/.cache/slipway/layers.
std::string DefaultLayerCacheDir();

class LayerCache {
 public:
  // `rootless` selects user.* overlay xattrs and no chown. With ranged `mappings` (subordinate
  // ids, id_mapping.h), rootless layers are unpacked as root of a user namespace with them, owners
  // kept, into a folder of the cache for that mapping.
  LayerCache(std::string dir, bool rootless, IdMappings mappings = {})
      : dir_(std::move(dir)), rootless_(rootless), mappings_(std::move(mappings)) {}
  // The cache as the calling user uses it: root, or rootless with RootlessMappings(). An empty
  // `dir` means DefaultLayerCacheDir().
  static LayerCache ForThisUser(std::string dir);

  const std::string& dir() const { return dir_; }
  const IdMappings& mappings() const { return mappings_; }
  // Where this cache's unpacked layers live: `dir`, or `dir/<mapping key>`.
  std::string LayersDir() const;

  // The unpacked directory of the layer whose uncompressed digest is `diff_id`, unpacking the
  // blob at `blob_path` first if needed. When `blob_digest` is given, the blob's bytes are checked
  // against it before unpacking (DataLoss on a mismatch), besides the diff_id check.
  absl::StatusOr<std::string> Ensure(const oci::Digest& diff_id, const std::string& blob_path,
                                     const oci::Digest& blob_digest = oci::Digest());

  // Whether overlayfs with these lowers can be mounted here (probed once, in a throwaway mount
  // namespace, and remembered in the cache dir).
  bool OverlaySupported();

  // `<dir>/.mnt`, created if missing: the mount point of every container's overlay. Each mounts
  // it in its own private mount namespace, so they never see one another's.
  absl::StatusOr<std::string> MountPoint();

 private:
  // Rootless with subordinate ranges: layers are unpacked as root of a user namespace with the
  // mappings, owners kept, into a folder of their own.
  bool UnpacksInUserNamespace() const { return rootless_ && mappings_.ranged(); }

  std::string dir_;
  bool rootless_;
  IdMappings mappings_;
};

struct PreparedRootfs {
  std::string rootfs;    // the mount point / directory that becomes `/`
  OverlaySpec overlay;   // empty lower_dirs when `private_copy`
  // For a container (not for inspecting): the mount-point skeleton to put on top of
  // `overlay.lower_dirs` (mount_skeleton.h); empty when none is needed.
  std::string skeleton_dir;
  bool private_copy = false;
  // Directories to search (top-most first) for files of the image such as /etc/passwd.
  std::vector<std::string> read_dirs;
};

// Lays out `<container_dir>/{upper,work}` (overlay) or `<container_dir>/rootfs` (private copy) for
// `image` from `layout`.
absl::StatusOr<PreparedRootfs> PrepareRootfs(const oci::Layout& layout, const oci::ImageRef& image,
                                             LayerCache& cache, const std::string& container_dir);

// Runs `fn` on an O_PATH fd of the image's assembled root filesystem, read-only, without starting a
// container: for file checks. With several overlay lowers, `fn` runs in a forked child with its own
// mount namespace (and user namespace when rootless) holding a read-only overlay, so the mount
// never shows in the host's mount table and goes away with the child; its returned string comes
// back through a pipe. With one layer, or a private copy under `scratch_dir` (created, left for
// the caller to remove), `fn` runs here. `fn` must resolve paths inside the fd (see in_root.h).
absl::StatusOr<std::string> InspectImageRootfs(const oci::Layout& layout, const oci::ImageRef& image,
                                               LayerCache& cache, const std::string& scratch_dir,
                                               const std::function<std::string(int root_fd)>& fn);

}  // namespace runner

#endif  // SLIPWAY_RUNNER_ROOTFS_ROOTFS_H_
