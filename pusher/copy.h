// CopyImage: moves an image between any two of a registry, an `oci:` folder and the local store,
// by digest (the manifest bytes are kept, so the destination has the same digest). This is push
// (layout -> registry), pull (registry -> layout) and promotion (registry -> registry, mounting
// blobs when both are repositories of the same registry). A `docker-archive:` file can be the
// source (one image, loaded and verified) or the destination: a `docker load` archive holds image
// manifests, not an index, so one platform is copied and the archive is written as `slipway save`
// writes it (oci::WriteDockerArchive), named REF of `docker-archive:FILE:REF` when given.
//
// Registry sources use the mirrors configured for their registry: each mirror is tried in order
// and the registry itself last (unless `no-fallback`); a mirror that errs (5xx, timeout, refused)
// or lacks the image is skipped with a message. The result says which endpoint served.
#ifndef SLIPWAY_PUSHER_COPY_H_
#define SLIPWAY_PUSHER_COPY_H_

#include <string>

#include "absl/status/statusor.h"
#include "oci/layout/docker_archive.h"
#include "oci/reference.h"
#include "pusher/session.h"
#include "pusher/transfer.h"

namespace pusher {

struct CopyResult {
  TransferResult transfer;
  // The endpoint the image came from ("http://127.0.0.1:5001 (mirror)", "oci:/x").
  std::string served_by;
  // Where it went, with its tag ("127.0.0.1:5000/app:1", "oci:/out:latest").
  std::string destination;
  // The repository and tag at a registry destination (for notifications); empty otherwise.
  std::string dest_repository;
  std::string dest_tag;
};

// `options.tag` is ignored: the destination location names the tag (or, for layouts without one,
// the source's tag, else "latest"). `options.all_platforms` applies to registry/layout sources
// alike, except that a docker-archive destination always gets one platform (`options.platform`,
// else the host's). `archive` says how such a destination is written (member mtimes); the file
// appears only once complete.
absl::StatusOr<CopyResult> CopyImage(Session& session, const oci::ImageLocation& source,
                                     const oci::ImageLocation& destination,
                                     TransferOptions options,
                                     const oci::DockerArchiveOptions& archive = {});

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_COPY_H_
