// What `slipway images`, `rmi` and `prune` share about the local store (oci::LocalStoreDir()): the
// images it holds, which of its tags a name on the command line means, and which layers (diff_ids)
// its images still need. Read-only helpers; the verbs do the writing.
#ifndef SLIPWAY_TOOLS_CLI_LOCAL_IMAGES_H_
#define SLIPWAY_TOOLS_CLI_LOCAL_IMAGES_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/digest.h"
#include "oci/layout/layout.h"

namespace cli {

// One tag of the store, for `slipway images`.
struct LocalImage {
  std::string name;      // "app", "registry.example:5000/team/app"
  std::string tag;       // "latest"
  oci::Digest digest;    // of what the tag points at (a manifest, or an index)
  std::string created;   // the config's `created` (RFC 3339), empty if unset or unreadable
  int64_t size = 0;      // the layers' sizes plus the config's (of the host's image for an index)
  std::string error;     // why created/size could not be read (the image is listed anyway)
};

// Every tag of `store`, sorted by name, then tag.
absl::StatusOr<std::vector<LocalImage>> ListLocalImages(const oci::Layout& store);

// Splits a store tag "NAME:TAG" at the last `:` after the last `/` (no tag: "latest").
void SplitStoreTag(const std::string& store_tag, std::string* name, std::string* tag);

// The store tags `text` names, as `docker rmi` reads it: an exact store tag (`app:1`); `local:NAME[:TAG]`;
// a registry-style name in its familiar form (`app` = `app:latest`, `docker.io/library/x` = `x:latest`);
// or a manifest digest `sha256:HEX` or a prefix of HEX (12 hex digits as `images` prints them), which
// names every tag pointing at it. NotFound ("no such image: `text` in the local store (DIR)") when
// nothing matches; InvalidArgument when a digest prefix matches several images.
absl::StatusOr<std::vector<std::string>> StoreTagsNamedBy(const oci::Layout& store,
                                                          const std::string& text);

// The diff_id hex of every layer of every image the store's index.json reaches (all platforms of
// an index). Fails rather than guess when an entry cannot be read, so a caller deleting what is
// not in the set deletes nothing then.
absl::StatusOr<std::set<std::string>> StoreDiffIds(const oci::Layout& store);

// "1.5MB", "820kB", "12B": sizes as `docker images` prints them (powers of 1000).
std::string HumanSize(int64_t bytes);

}  // namespace cli

#endif  // SLIPWAY_TOOLS_CLI_LOCAL_IMAGES_H_
