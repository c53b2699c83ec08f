// The flags every registry verb (push, pull, copy, tags, catalog, digest, inspect, login) takes,
// registered in one place, and what they turn into: a pusher::Session, the progress printer and
// the transfer options. Also --platform, which the verbs that pick from an index share, and the
// --notify + digest line that ends push and copy.
//
//   FlagSet flags;
//   RegistryFlags registry(flags, RegistryFlags::kTransfer);
//   ASSIGN_OR_RETURN(std::vector<std::string> pos, flags.ParsePositional(args, 1, 1, "want REF"));
//   ASSIGN_OR_RETURN(std::unique_ptr<pusher::Progress> progress, registry.NewProgress());
//   ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session, registry.OpenSession(progress.get()));
#ifndef SLIPWAY_TOOLS_CLI_REGISTRY_FLAGS_H_
#define SLIPWAY_TOOLS_CLI_REGISTRY_FLAGS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "oci/descriptor.h"
#include "oci/layout/docker_archive.h"
#include "pusher/auth/credentials.h"
#include "oci/reference.h"
#include "pusher/cli_support.h"
#include "pusher/copy.h"
#include "pusher/progress.h"
#include "pusher/session.h"
#include "pusher/transfer.h"
#include "tools/cli/flags.h"

namespace cli {

class RegistryFlags {
 public:
  enum Verb {
    kQuery,     // --insecure-registry HOST (repeatable), --config FILE
    kTransfer,  // those, plus --jobs/-j N and --progress MODE (verbs that move blobs)
  };

  // Registers the flags on `flags`. Parsing writes into this object, so it must outlive the
  // FlagSet's Parse call; it is neither copyable nor movable for that reason.
  RegistryFlags(FlagSet& flags, Verb verb);
  RegistryFlags(const RegistryFlags&) = delete;
  RegistryFlags& operator=(const RegistryFlags&) = delete;

  // The printer --progress names (stderr). A mode other than auto, tty, plain or quiet is a
  // usage error.
  absl::StatusOr<std::unique_ptr<pusher::Progress>> NewProgress() const;

  // Opens a session: the slipway config (--config, mirrors, insecure registries, plus
  // --insecure-registry) and Docker's credentials, or `credential` when given. `progress` (not
  // owned, may be null) receives retry and mirror messages.
  absl::StatusOr<std::unique_ptr<pusher::Session>> OpenSession(
      pusher::Progress* progress, std::optional<pusher::Credential> credential = std::nullopt) const;

  // Transfer options with --jobs and `progress` (not owned) set; the rest at their defaults.
  pusher::TransferOptions TransferOptions(pusher::Progress* progress) const;

  const pusher::SessionFlags& session_flags() const { return session_; }

 private:
  pusher::SessionFlags session_;
};

// The end of push and copy: POSTs the push event to `notify_url` (--notify) when one is given and
// `destination` is a registry, then prints the image digest as the last line of standard output.
absl::Status NotifyAndPrintDigest(pusher::Session& session, const std::string& notify_url,
                                  const oci::ImageLocation& destination,
                                  const pusher::CopyResult& result);

// How copy and pull write a `docker-archive:` destination: as `slipway save` does, every member's
// mtime from SOURCE_DATE_EPOCH (default 0). Other destinations ignore it, so an unusable
// SOURCE_DATE_EPOCH is an error only for a docker-archive destination.
absl::StatusOr<oci::DockerArchiveOptions> ArchiveOptions(const oci::ImageLocation& destination);

// Parses a --platform value (`os/arch[/variant]`): nullopt when `text` is empty, a usage error when
// it does not parse.
absl::StatusOr<std::optional<oci::Platform>> ParsePlatformFlag(const std::string& text);

}  // namespace cli

#endif  // SLIPWAY_TOOLS_CLI_REGISTRY_FLAGS_H_
