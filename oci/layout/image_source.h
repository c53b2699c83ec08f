// Opening the images the CLI names (`oci:DIR[:TAG]`, `local:NAME[:TAG]`, `docker-archive:FILE`, or a
// plain registry name the local store holds) as a layout plus the tag or digest to read there, and
// opening write destinations (`oci:` and `local:` only: a plain name means a registry, never the
// local store). Shared by `slipway inspect`, `slipway image --base` and, later, the builder's FROM.
#ifndef SLIPWAY_OCI_LAYOUT_IMAGE_SOURCE_H_
#define SLIPWAY_OCI_LAYOUT_IMAGE_SOURCE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "base/scoped_temp_dir.h"
#include "oci/layout/layout.h"
#include "oci/reference.h"

namespace oci {

struct OpenedImage {
  std::unique_ptr<Layout> layout;
  std::string tag_or_digest;  // what to pass to ReadImage
  // For docker-archive: the temporary layout the archive was loaded into (removed with this).
  std::optional<base::ScopedTempDir> scratch;
};

// Opens `location` for reading. `docker-archive:FILE:REF` picks the image named REF in the archive
// (one without REF must hold a single image). `oci:DIR` without a tag picks the layout's only index entry
// (InvalidArgument listing the tags if there are several). A registry reference is looked up in
// the local store under its familiar name ("busybox:latest"); if it is not there, Unimplemented
// (registry reads are wired in by the CLI's registry support).
absl::StatusOr<OpenedImage> OpenImageForRead(const ImageLocation& location);

struct ImageDestination {
  std::unique_ptr<Layout> layout;  // created if missing
  std::string tag;                 // the index.json ref.name to set
};

// Opens `location` for writing: `oci:DIR[:TAG]` (TAG default "latest") or `local:NAME[:TAG]`.
// InvalidArgument for anything else.
absl::StatusOr<ImageDestination> OpenImageForWrite(const ImageLocation& location);

}  // namespace oci

#endif  // SLIPWAY_OCI_LAYOUT_IMAGE_SOURCE_H_
