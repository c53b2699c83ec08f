// Shared plumbing for the registry CLI verbs (tools/cli/{push,pull,copy,login,logout,tags,catalog,
// digest}.cc): the flags every one of them takes, turned into a Session, and how image locations
// named on the command line are read (a plain name the local store holds is used from there).
#ifndef SLIPWAY_PUSHER_CLI_SUPPORT_H_
#define SLIPWAY_PUSHER_CLI_SUPPORT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "oci/reference.h"
#include "pusher/progress.h"
#include "pusher/session.h"

namespace pusher {

struct SessionFlags {
  std::vector<std::string> insecure_registries;  // --insecure-registry (repeatable)
  std::string config_path;                       // --config (default DefaultConfigPath())
  std::string progress = "auto";                 // --progress auto|tty|plain|quiet
  int64_t jobs = 4;                              // --jobs
};

// Parses --progress. InvalidArgument for other values.
absl::StatusOr<ProgressMode> ParseProgressMode(const std::string& text);

// Builds a session: loads the slipway config (mirrors, insecure-registries) and Docker's
// credentials. `progress` (not owned, may be null) receives retry and mirror messages.
absl::StatusOr<std::unique_ptr<Session>> OpenSession(const SessionFlags& flags,
                                                     Progress* progress,
                                                     std::optional<Credential> credential = std::nullopt);

// Parses where an image is read from: `oci:`, `local:`, or a registry reference, except that a
// plain reference the local store has a tag for (Reference::Familiar()) means the local store.
absl::StatusOr<oci::ImageLocation> ParseReadLocation(const std::string& text);

// A registry reference for verbs that only talk to registries (tags, digest, login…).
absl::StatusOr<oci::Reference> ParseRegistryReference(const std::string& text);

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_CLI_SUPPORT_H_
