#include "builder/source/image_source.h"

#include <unistd.h>

#include <cerrno>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/layout/image_source.h"
#include "oci/reference.h"

namespace builder {

absl::StatusOr<SourceImage> LocalImageSource::Pull(absl::string_view ref,
                                                   const oci::Platform& platform,
                                                   oci::Layout& into) {
  ASSIGN_OR_RETURN(oci::ImageLocation location, oci::ImageLocation::Parse(ref));
  absl::StatusOr<oci::OpenedImage> opened = oci::OpenImageForRead(location);
  if (!opened.ok()) {
    bool registry_name = location.kind == oci::ImageLocation::Kind::kRegistry;
    if (registry_name && (absl::IsUnimplemented(opened.status()) ||
                          absl::IsNotFound(opened.status()))) {
      if (fallback_ != nullptr) return fallback_->Pull(ref, platform, into);
      return absl::NotFoundError(absl::StrCat(
          "image `", ref, "` is not in the local store (", oci::LocalStoreDir(),
          ") and no registry client is configured"));
    }
    return opened.status();
  }
  ASSIGN_OR_RETURN(oci::ImageRef image,
                   oci::ReadImage(*opened->layout, opened->tag_or_digest, &platform));
  RETURN_IF_ERROR_CTX(oci::CopyImageBlobs(*opened->layout, into, image), "copying `", ref, "`");
  SourceImage out;
  out.image = std::move(image);
  std::string where;
  switch (location.kind) {
    case oci::ImageLocation::Kind::kOciLayout:
      where = absl::StrCat("oci:", location.path);
      break;
    case oci::ImageLocation::Kind::kDockerArchive:
      where = absl::StrCat("docker-archive:", location.path);
      break;
    case oci::ImageLocation::Kind::kLocalStore:
      where = absl::StrCat("local:", location.name);
      break;
    case oci::ImageLocation::Kind::kRegistry:
      where = absl::StrCat("local:", location.registry_ref.Name());
      break;
  }
  out.pinned = absl::StrCat(where, "@", out.image.manifest_descriptor.digest.str());
  return out;
}

}  // namespace builder
