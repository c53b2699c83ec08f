#include "builder/source/image_source.h"

#include <unistd.h>

#include <cerrno>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/layout/image_source.h"
#include "oci/reference.h"

namespace builder {

absl::Status CopyBlob(const oci::Layout& from, oci::Layout& to, const oci::Digest& digest) {
  if (to.HasBlob(digest)) return absl::OkStatus();
  if (!from.HasBlob(digest)) {
    return absl::NotFoundError(absl::StrCat("blob `", digest.str(), "` is missing from `",
                                            from.dir(), "`"));
  }
  // Blobs are immutable and named by content, so sharing the inode is safe. The destination's
  // blobs/sha256 directory exists once the layout is opened.
  if (link(from.BlobPath(digest).c_str(), to.BlobPath(digest).c_str()) == 0 || errno == EEXIST) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<oci::BlobReader> reader, from.OpenBlob(digest));
  ASSIGN_OR_RETURN(std::unique_ptr<oci::BlobWriter> writer, to.NewBlobWriter());
  std::string buf(1 << 20, '\0');
  while (true) {
    ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) break;
    RETURN_IF_ERROR(writer->Write(absl::string_view(buf.data(), n)));
  }
  ASSIGN_OR_RETURN(oci::Digest got, writer->Commit(digest));
  (void)got;
  return absl::OkStatus();
}

absl::Status CopyImage(const oci::Layout& from, oci::Layout& to, const oci::ImageRef& image) {
  for (const oci::Descriptor& layer : image.manifest.layers) {
    RETURN_IF_ERROR(CopyBlob(from, to, layer.digest));
  }
  RETURN_IF_ERROR(CopyBlob(from, to, image.manifest.config.digest));
  return CopyBlob(from, to, image.manifest_descriptor.digest);
}

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
  RETURN_IF_ERROR_CTX(CopyImage(*opened->layout, into, image), "copying `", ref, "`");
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
