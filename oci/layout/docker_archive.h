// `docker save` / `docker load` archives, to and from an OCI image layout, plus importing a layer
// file into a layout.
//
// Writing produces the classic format that every `docker load` accepts (see
// ../shared/conformance/docker-image-spec/spec.md): `<config-hex>.json` (the config bytes as stored),
// one `<layer-id>/{VERSION,json,layer.tar}` folder per layer (uncompressed tar, checked against the
// config's diff_ids), `manifest.json` and `repositories`. The archive is deterministic: entries sorted
// by name, every mtime = options.mtime, uid/gid 0, no user/group names; the file appears atomically.
//
// Reading accepts the legacy format and Docker 25+'s OCI-style one (whose manifest.json points into
// `blobs/sha256/`), plain or gzip/zstd-compressed, follows symlinked and hardlinked layer members, and
// verifies every layer against the config's diff_ids (DataLoss on a mismatch). Layers are stored as
// they are in the archive (tar, tar+gzip or tar+zstd media types); the config bytes are kept, so the
// image ID (config digest) is Docker's. Functions are thread-compatible.
#ifndef SLIPWAY_OCI_LAYOUT_DOCKER_ARCHIVE_H_
#define SLIPWAY_OCI_LAYOUT_DOCKER_ARCHIVE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/env.h"
#include "oci/descriptor.h"
#include "oci/digest.h"
#include "oci/layout/layout.h"

namespace oci {

struct DockerArchiveOptions {
  // File access for the archive itself. Default: base::Env::Default(). Not owned.
  base::Env* env = nullptr;
  // The mtime of every member, in seconds since the epoch. Default: 0.
  int64_t mtime = 0;
};

struct DockerArchiveImage {
  // An image manifest (not an index) stored in the layout.
  Descriptor manifest;
  // Docker references ("app:1.0", "localhost:5000/a/b:t"); written in Docker's familiar form.
  std::vector<std::string> repo_tags;
};

// Writes `images` from `layout` to `path` as a `docker load` archive.
absl::Status WriteDockerArchive(const Layout& layout, const std::vector<DockerArchiveImage>& images,
                                const std::string& path, const DockerArchiveOptions& options = {});

struct LoadedImage {
  Descriptor manifest;  // the OCI manifest written into the layout (not tagged)
  Digest config;        // the config digest (Docker's image ID)
  std::vector<std::string> repo_tags;  // as listed in the archive's manifest.json
};

// Reads one image from a `docker save` archive into `layout`. `tag` picks the image whose RepoTags
// hold that reference (compared after Docker normalisation, so "app" matches "docker.io/library/
// app:latest"); an empty `tag` requires the archive to hold exactly one image.
absl::StatusOr<LoadedImage> ReadDockerArchive(const std::string& path, absl::string_view tag,
                                              Layout& layout,
                                              const DockerArchiveOptions& options = {});

struct ImportedLayer {
  Descriptor descriptor;  // the blob as stored: media type from its compression, digest, size
  Digest diff_id;         // digest of the uncompressed tar
};

// Copies a layer file (a tar, possibly gzip- or zstd-compressed) into `layout` unchanged.
absl::StatusOr<ImportedLayer> ImportLayerFile(const std::string& path, Layout& layout,
                                              base::Env* env = nullptr);

// The diff_id of a layer blob: its digest when uncompressed, else the digest of its decompressed
// bytes (the blob is verified as it is read).
absl::StatusOr<Digest> LayerDiffId(const Layout& layout, const Descriptor& layer);

}  // namespace oci

#endif  // SLIPWAY_OCI_LAYOUT_DOCKER_ARCHIVE_H_
