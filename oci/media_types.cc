// Classification of OCI and Docker media types.
#include "oci/media_types.h"

namespace oci {

bool IsManifest(absl::string_view media_type) {
  return media_type == kOciManifest || media_type == kDockerManifest;
}

bool IsIndex(absl::string_view media_type) {
  return media_type == kOciIndex || media_type == kDockerManifestList;
}

bool IsLayer(absl::string_view media_type) {
  return media_type == kOciLayer || media_type == kOciLayerGzip || media_type == kOciLayerZstd ||
         media_type == kOciLayerNondistributableGzip ||
         media_type == "application/vnd.oci.image.layer.nondistributable.v1.tar" ||
         media_type == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" ||
         media_type == kDockerLayerGzip || media_type == kDockerForeignLayerGzip ||
         media_type == "application/vnd.docker.image.rootfs.diff.tar";
}

Compression LayerCompression(absl::string_view media_type) {
  if (media_type == kOciLayerGzip || media_type == kOciLayerNondistributableGzip ||
      media_type == kDockerLayerGzip || media_type == kDockerForeignLayerGzip) {
    return Compression::kGzip;
  }
  if (media_type == kOciLayerZstd ||
      media_type == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd") {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

absl::string_view OciLayerMediaType(Compression compression) {
  switch (compression) {
    case Compression::kGzip:
      return kOciLayerGzip;
    case Compression::kZstd:
      return kOciLayerZstd;
    case Compression::kNone:
      break;
  }
  return kOciLayer;
}

}  // namespace oci
