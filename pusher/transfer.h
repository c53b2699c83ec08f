// Moving images between stores: the registry (through a Session) and OCI layouts (an `oci:` folder
// or the local store). An image is read through an ImageSource and written through an ImageSink;
// Transfer walks it (an index, its manifests, their configs and layers), moves the blobs the sink
// lacks several at a time (bounded), and writes manifests last, children before their index, so a
// reader never sees a manifest whose blobs are missing. Manifests are moved as the exact bytes read,
// so digests never change (copy/promotion is by digest).
//
// Registry to registry on the same host mounts blobs (`?mount=&from=`) instead of moving them;
// across hosts a blob is streamed through a temporary file. Pull verifies every blob against its
// digest and keeps nothing that does not match.
#ifndef SLIPWAY_PUSHER_TRANSFER_H_
#define SLIPWAY_PUSHER_TRANSFER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/descriptor.h"
#include "oci/layout/layout.h"
#include "pusher/progress.h"
#include "pusher/registry_client.h"

namespace pusher {

// Where an image is read from.
class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // The manifest or index the source names (tag or digest).
  virtual absl::StatusOr<ManifestBlob> Root() = 0;
  // A manifest or index by digest.
  virtual absl::StatusOr<ManifestBlob> Manifest(const oci::Descriptor& descriptor) = 0;
  // Streams a blob. The receiver verifies the digest (the only receiver, a layout's BlobWriter,
  // does so at Commit), so registry sources do not hash twice.
  virtual absl::Status StreamBlob(const oci::Descriptor& blob,
                                  const std::function<absl::Status(absl::string_view)>& write,
                                  const ProgressFn& progress) = 0;
  // Opens ranges of a blob for an upload (may first fetch it into a temporary file).
  virtual BlobOpener Opener(const oci::Descriptor& blob) = 0;
  // "host|repository" when the blobs live in a registry repository (for mounts), else "".
  virtual std::string MountKey() const { return ""; }
  // A human name ("127.0.0.1:5000/app:1", "oci:/x:latest").
  virtual std::string Describe() = 0;
};

// Where an image is written.
class ImageSink {
 public:
  virtual ~ImageSink() = default;
  // True when the sink already holds the blob.
  virtual absl::StatusOr<bool> HasBlob(const oci::Descriptor& blob) = 0;
  // Copies one blob from `source`. Returns the outcome.
  virtual absl::StatusOr<UploadOutcome> PutBlob(const oci::Descriptor& blob, ImageSource& source,
                                                const ProgressFn& progress) = 0;
  // Stores a manifest or index; `tag` empty means by digest only (children, digest references).
  virtual absl::Status PutManifest(const ManifestBlob& manifest, const std::string& tag) = 0;
  // True when the sink already has `manifest` under `tag` (or by digest when tag is empty).
  virtual absl::StatusOr<bool> HasManifest(const ManifestBlob& manifest, const std::string& tag) = 0;
};

struct TransferOptions {
  // Blobs moved at once. Default: 4.
  int jobs = 4;
  // When the source root is an index: pick one platform (this one; the host's when null and
  // all_platforms is false) and make its manifest the root, or keep every platform.
  bool all_platforms = false;
  const oci::Platform* platform = nullptr;
  // The tag the root is stored under at the sink ("" = by digest only).
  std::string tag;
  // Not owned; may be null.
  Progress* progress = nullptr;
};

struct TransferStats {
  int blobs_moved = 0;     // uploaded or downloaded
  int blobs_mounted = 0;
  int blobs_present = 0;   // the sink had them
  int manifests_written = 0;
  int64_t bytes_moved = 0;
};

struct TransferResult {
  oci::Descriptor root;  // what was stored (the platform manifest when one was picked)
  TransferStats stats;
};

absl::StatusOr<TransferResult> Transfer(ImageSource& source, ImageSink& sink,
                                        const TransferOptions& options);

// Sources and sinks. Registry ones take a client owned by a Session (not owned here); layout ones
// a Layout (not owned).
std::unique_ptr<ImageSource> RegistrySource(Registry* registry, std::string repository,
                                            std::string reference);
std::unique_ptr<ImageSource> LayoutSource(const oci::Layout* layout, std::string tag_or_digest);
std::unique_ptr<ImageSink> RegistrySink(Registry* registry, std::string repository);
std::unique_ptr<ImageSink> LayoutSink(oci::Layout* layout);

// Picks the manifest for `platform` from an index (variant compared when both give one).
absl::StatusOr<oci::Descriptor> PickPlatform(const oci::Index& index,
                                             const oci::Platform& platform);

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_TRANSFER_H_
