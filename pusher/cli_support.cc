#include "pusher/cli_support.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/layout/layout.h"

namespace pusher {

absl::StatusOr<ProgressMode> ParseProgressMode(const std::string& text) {
  if (text == "auto") return ProgressMode::kAuto;
  if (text == "tty") return ProgressMode::kTty;
  if (text == "plain") return ProgressMode::kPlain;
  if (text == "quiet" || text == "none") return ProgressMode::kQuiet;
  return absl::InvalidArgumentError(
      absl::StrCat("--progress: want auto, tty, plain or quiet, got `", text, "`"));
}

absl::StatusOr<std::unique_ptr<Session>> OpenSession(const SessionFlags& flags,
                                                     Progress* progress,
                                                     std::optional<Credential> credential) {
  SessionOptions o;
  ASSIGN_OR_RETURN(o.mirrors, LoadMirrorConfig(flags.config_path.empty() ? DefaultConfigPath()
                                                                         : flags.config_path));
  o.insecure_registries = o.mirrors.insecure_registries;
  for (const std::string& h : flags.insecure_registries) o.insecure_registries.insert(h);
  o.progress = progress;
  o.credential_override = std::move(credential);
  return Session::Create(std::move(o));
}

absl::StatusOr<oci::ImageLocation> ParseReadLocation(const std::string& text) {
  ASSIGN_OR_RETURN(oci::ImageLocation loc, oci::ImageLocation::Parse(text));
  if (loc.kind != oci::ImageLocation::Kind::kRegistry) return loc;
  // A plain name the local store holds is read from there.
  oci::LayoutOptions lo;
  lo.create = false;
  absl::StatusOr<std::unique_ptr<oci::Layout>> store = oci::Layout::Open(oci::LocalStoreDir(), lo);
  if (!store.ok() || !loc.registry_ref.digest.empty()) return loc;
  const std::string familiar = loc.registry_ref.Familiar();
  if ((*store)->Resolve(familiar).ok()) {
    oci::ImageLocation local;
    local.kind = oci::ImageLocation::Kind::kLocalStore;
    size_t colon = familiar.rfind(':');
    local.name = familiar.substr(0, colon);
    local.tag = colon == std::string::npos ? "latest" : familiar.substr(colon + 1);
    if (oci::LocalStoreTag(local.name, local.tag) == familiar) return local;
  }
  return loc;
}

absl::StatusOr<oci::Reference> ParseRegistryReference(const std::string& text) {
  ASSIGN_OR_RETURN(oci::ImageLocation loc, oci::ImageLocation::Parse(text));
  if (loc.kind != oci::ImageLocation::Kind::kRegistry) {
    return absl::InvalidArgumentError(absl::StrCat("`", text, "` is not a registry reference"));
  }
  return loc.registry_ref;
}

}  // namespace pusher
