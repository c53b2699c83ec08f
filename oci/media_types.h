// Media types of OCI and Docker image documents and layers, and helpers to classify them.
#ifndef SLIPWAY_OCI_MEDIA_TYPES_H_
#define SLIPWAY_OCI_MEDIA_TYPES_H_

#include "absl/strings/string_view.h"

namespace oci {

inline constexpr absl::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr absl::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr absl::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr absl::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr absl::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr absl::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr absl::string_view kOciLayerNondistributableGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr absl::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";

inline constexpr absl::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr absl::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr absl::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr absl::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr absl::string_view kDockerForeignLayerGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

// OCI or Docker image manifest.
bool IsManifest(absl::string_view media_type);
// OCI index or Docker manifest list.
bool IsIndex(absl::string_view media_type);
// Any layer media type we can unpack (tar, tar+gzip, tar+zstd, Docker gzip, foreign/nondistributable).
bool IsLayer(absl::string_view media_type);

enum class Compression { kNone, kGzip, kZstd };
// The compression a layer media type implies; kNone for unknown types.
Compression LayerCompression(absl::string_view media_type);
// The OCI layer media type for a compression: tar, tar+gzip or tar+zstd.
absl::string_view OciLayerMediaType(Compression compression);

}  // namespace oci

#endif  // SLIPWAY_OCI_MEDIA_TYPES_H_
