// Where FROM and `--from=IMAGE` images come from: an interface that resolves a reference (as written
// in the Dockerfile) for a platform, pins it by manifest digest and copies its manifest, config and
// layer blobs into the build's own layout, so the executor only ever reads one store.
//
// builder/ never talks to a registry itself: the CLI passes a registry-backed ImageSource as the
// `fallback` of LocalImageSource (the local store and `oci:`/`docker-archive:`/`local:` locations are
// always read first, as DESIGN.md says for reads). Implementations must be thread-safe: stages pull
// their bases in parallel.
#ifndef SLIPWAY_BUILDER_SOURCE_IMAGE_SOURCE_H_
#define SLIPWAY_BUILDER_SOURCE_IMAGE_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oci/descriptor.h"
#include "oci/layout/layout.h"

namespace builder {

struct SourceImage {
  // The image as stored in the destination layout (manifest descriptor, manifest, config).
  oci::ImageRef image;
  // Where it came from, pinned: e.g. "oci:/x/base@sha256:…" or "docker.io/library/busybox@sha256:…".
  std::string pinned;
};

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // Resolves `ref` for `platform` (chosen from an index when `ref` names one) and copies the image's
  // manifest, config and layer blobs into `into`. NotFound when no source has it.
  virtual absl::StatusOr<SourceImage> Pull(absl::string_view ref, const oci::Platform& platform,
                                           oci::Layout& into) = 0;
};

// Reads `oci:DIR[:TAG]`, `local:NAME[:TAG]`, `docker-archive:FILE`, and plain names held by the
// local store (oci::OpenImageForRead). Plain names the local store lacks go to `fallback` (not
// owned; may be null, then NotFound says that no registry client is configured).
class LocalImageSource : public ImageSource {
 public:
  explicit LocalImageSource(ImageSource* fallback = nullptr) : fallback_(fallback) {}
  absl::StatusOr<SourceImage> Pull(absl::string_view ref, const oci::Platform& platform,
                                   oci::Layout& into) override;

 private:
  ImageSource* const fallback_;  // Not owned.
};

}  // namespace builder

#endif  // SLIPWAY_BUILDER_SOURCE_IMAGE_SOURCE_H_
