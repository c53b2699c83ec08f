// Image references, parsed and normalised exactly as Docker's reference grammar does
// (github.com/distribution/reference): `busybox` -> `docker.io/library/busybox:latest`,
// `localhost:5000/a/b:t`, `repo@sha256:…`, `repo:tag@sha256:…`. Invalid names are refused with the reason.
//
// Also parses slipway's transport prefixes: `oci:DIR[:TAG]`, `docker-archive:FILE[:REF]`,
// `local:NAME[:TAG]`.
#ifndef SLIPWAY_OCI_REFERENCE_H_
#define SLIPWAY_OCI_REFERENCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oci/digest.h"

namespace oci {

// A registry reference. At least one of tag and digest is set after Parse (a bare name gets
// "latest").
struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "ghcr.io"
  std::string repository;  // "library/busybox", "a/b"
  std::string tag;         // "latest" (empty when only a digest was given)
  Digest digest;           // empty unless given

  // Parses and normalises. InvalidArgument says why (uppercase repository, tag over 128 chars,
  // bad digest, …).
  static absl::StatusOr<Reference> Parse(absl::string_view text);

  // "docker.io/library/busybox:latest", "r/a@sha256:…", "r/a:t@sha256:…".
  std::string ToString() const;
  // The name without tag or digest: "docker.io/library/busybox".
  std::string Name() const;
  // Docker's short form for display ("busybox:latest").
  std::string Familiar() const;
  // The tag if set, else the digest string: what to put after /manifests/.
  std::string Identifier() const;
  // The host to contact: "registry-1.docker.io" for docker.io, else `registry`.
  std::string ApiHost() const;
  bool operator==(const Reference& o) const {
    return registry == o.registry && repository == o.repository && tag == o.tag &&
           digest == o.digest;
  }
};

// Where an image lives, as the CLI names it.
struct ImageLocation {
  enum class Kind { kRegistry, kOciLayout, kDockerArchive, kLocalStore };
  Kind kind = Kind::kRegistry;
  Reference registry_ref;  // kRegistry
  std::string path;        // kOciLayout: directory; kDockerArchive: file
  std::string name;        // kLocalStore: repository name ("app"); kOciLayout: tag (may be empty)
  std::string tag;         // kLocalStore: tag ("latest" by default); kOciLayout: tag (may be empty);
                           // kDockerArchive: REF, the image's name in the archive (may be empty)

  // `oci:DIR[:TAG]`, `docker-archive:FILE[:REF]`, `local:NAME[:TAG]`, otherwise a registry
  // reference (an optional `docker://` prefix is accepted). For `oci:`, the text after the last `:`
  // is the tag only if it is a valid tag and DIR before it is non-empty; otherwise the whole text is
  // DIR (`oci:/a:b/c` is the folder `/a:b/c`). A trailing `:` is refused. For `docker-archive:`, as
  // skopeo reads it, FILE ends at the first `:` when what follows is a Docker reference without a
  // digest (`app:1.0`, `host:5000/team/app:1.0`, `app`), otherwise the whole text is FILE. `local:`
  // NAME must be a lowercase repository path; its tag defaults to "latest".
  static absl::StatusOr<ImageLocation> Parse(absl::string_view text);
  std::string ToString() const;
};

}  // namespace oci

#endif  // SLIPWAY_OCI_REFERENCE_H_
