#include "tools/cli/registry_flags.h"

#include <iostream>

#include "base/status_macros.h"
#include "oci/tar/layer_writer.h"
#include "pusher/notify.h"
#include "tools/cli/command.h"

namespace cli {

RegistryFlags::RegistryFlags(FlagSet& flags, Verb verb) {
  flags.Repeated("insecure-registry", 0, &session_.insecure_registries);
  flags.String("config", 0, &session_.config_path);
  if (verb == kTransfer) {
    flags.Int("jobs", 'j', &session_.jobs);
    flags.String("progress", 0, &session_.progress);
  }
}

absl::StatusOr<std::unique_ptr<pusher::Progress>> RegistryFlags::NewProgress() const {
  absl::StatusOr<pusher::ProgressMode> mode = pusher::ParseProgressMode(session_.progress);
  if (!mode.ok()) return UsageError(mode.status().message());
  return pusher::NewProgress(*mode);
}

absl::StatusOr<std::unique_ptr<pusher::Session>> RegistryFlags::OpenSession(
    pusher::Progress* progress, std::optional<pusher::Credential> credential) const {
  return pusher::OpenSession(session_, progress, std::move(credential));
}

pusher::TransferOptions RegistryFlags::TransferOptions(pusher::Progress* progress) const {
  pusher::TransferOptions to;
  to.jobs = static_cast<int>(session_.jobs);
  to.progress = progress;
  return to;
}

absl::Status NotifyAndPrintDigest(pusher::Session& session, const std::string& notify_url,
                                  const oci::ImageLocation& destination,
                                  const pusher::CopyResult& result) {
  if (!notify_url.empty() && destination.kind == oci::ImageLocation::Kind::kRegistry) {
    RETURN_IF_ERROR(pusher::NotifyPushed(session.plain_transport(), notify_url,
                                         destination.registry_ref, result.transfer.root.digest));
  }
  std::cout << result.transfer.root.digest.str() << std::endl;
  return absl::OkStatus();
}

absl::StatusOr<oci::DockerArchiveOptions> ArchiveOptions(const oci::ImageLocation& destination) {
  oci::DockerArchiveOptions options;
  if (destination.kind == oci::ImageLocation::Kind::kDockerArchive) {
    ASSIGN_OR_RETURN(options.mtime, oci::SourceDateEpoch());
  }
  return options;
}

absl::StatusOr<std::optional<oci::Platform>> ParsePlatformFlag(const std::string& text) {
  if (text.empty()) return std::nullopt;
  absl::StatusOr<oci::Platform> platform = oci::Platform::Parse(text);
  if (!platform.ok()) return UsageError(platform.status().message());
  return *platform;
}

}  // namespace cli
