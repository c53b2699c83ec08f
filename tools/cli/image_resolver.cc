#include "tools/cli/image_resolver.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/layout/layout.h"
#include "pusher/cli_support.h"
#include "pusher/copy.h"
#include "pusher/progress.h"
#include "tools/cli/command.h"

namespace cli {
namespace {

absl::StatusOr<std::unique_ptr<oci::Layout>> OpenStore(bool create) {
  oci::LayoutOptions lo;
  lo.create = create;
  return oci::Layout::Open(oci::LocalStoreDir(), lo);
}

// What the local store holds for `ref` (a tag or digest to read there), or nullopt.
std::optional<std::string> FindLocal(const oci::Layout& store, const oci::Reference& ref) {
  if (ref.digest.empty()) {
    if (store.Resolve(ref.Familiar()).ok()) return ref.Familiar();
    return std::nullopt;
  }
  // A manifest (or index) stored by digest, e.g. built here or pulled by `slipway pull`.
  if (store.HasBlob(ref.digest)) return ref.digest.str();
  // An index digest pulled before: its platform manifest is tagged with the reference.
  absl::StatusOr<oci::Descriptor> d = store.Resolve(LocalStoreKey(ref));
  if (d.ok()) return d->digest.str();
  return std::nullopt;
}

absl::StatusOr<std::shared_ptr<const runner::RunImage>> OpenFromStore(
    std::unique_ptr<oci::Layout> store, const std::string& key, const std::string& name) {
  auto image = std::make_shared<runner::RunImage>();
  image->opened.layout = std::move(store);
  image->opened.tag_or_digest = key;
  absl::StatusOr<oci::ImageRef> ref = oci::ReadImage(*image->opened.layout, key);
  if (!ref.ok()) {
    return base::Annotate(ref.status(), absl::StrCat("reading the image `", name, "` from `",
                                                     image->opened.layout->dir(), "`"));
  }
  image->ref = *std::move(ref);
  return std::shared_ptr<const runner::RunImage>(std::move(image));
}

}  // namespace

absl::StatusOr<PullPolicy> ParsePullPolicy(const std::string& text) {
  if (text == "missing") return PullPolicy::kMissing;
  if (text == "always") return PullPolicy::kAlways;
  if (text == "never") return PullPolicy::kNever;
  return absl::InvalidArgumentError(
      absl::StrCat("--pull: want missing, always or never, got `", text, "`"));
}

void AddImageResolveFlags(FlagSet& flags, ImageResolveOptions* options) {
  flags.Custom("pull", 0, [options](absl::string_view text) {
    absl::StatusOr<PullPolicy> policy = ParsePullPolicy(std::string(text));
    if (!policy.ok()) return UsageError(policy.status().message());
    options->pull = *policy;
    return absl::OkStatus();
  });
  flags.Repeated("insecure-registry", 0, &options->insecure_registries);
  flags.String("config", 0, &options->config_path);
}

std::string LocalStoreKey(const oci::Reference& ref) { return ref.Familiar(); }

absl::StatusOr<std::shared_ptr<const runner::RunImage>> OpenImageForRun(
    const std::string& name, const ImageResolveOptions& options) {
  absl::StatusOr<oci::ImageLocation> location = oci::ImageLocation::Parse(name);
  if (!location.ok()) {
    return base::Annotate(location.status(), absl::StrCat("image name `", name, "`"));
  }
  if (location->kind != oci::ImageLocation::Kind::kRegistry) return runner::OpenRunImage(name);
  const oci::Reference& ref = location->registry_ref;

  // The local store first: build-then-run needs no registry (DESIGN.md).
  const bool recheck_tag = options.pull == PullPolicy::kAlways && ref.digest.empty();
  if (!recheck_tag) {
    absl::StatusOr<std::unique_ptr<oci::Layout>> store = OpenStore(/*create=*/false);
    if (store.ok()) {
      if (std::optional<std::string> key = FindLocal(**store, ref)) {
        return OpenFromStore(*std::move(store), *key, name);
      }
    }
    if (options.pull == PullPolicy::kNever) {
      return absl::NotFoundError(absl::StrCat("`", ref.ToString(), "` is not in the local store (",
                                              oci::LocalStoreDir(),
                                              ") and --pull never forbids asking its registry"));
    }
  }

  // Pull into the local store, then open what was stored (by its digest: no race with a retag).
  pusher::SessionFlags sf;
  sf.insecure_registries = options.insecure_registries;
  sf.config_path = options.config_path;
  sf.progress = options.progress;
  ASSIGN_OR_RETURN(pusher::ProgressMode mode, pusher::ParseProgressMode(sf.progress));
  std::unique_ptr<pusher::Progress> progress = pusher::NewProgress(mode);
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session,
                   pusher::OpenSession(sf, progress.get()));
  oci::ImageLocation dest;
  dest.kind = oci::ImageLocation::Kind::kOciLayout;  // the local store's folder, our own tag
  dest.path = oci::LocalStoreDir();
  dest.tag = LocalStoreKey(ref);
  pusher::TransferOptions to;
  to.jobs = static_cast<int>(sf.jobs);
  to.progress = progress.get();
  absl::StatusOr<pusher::CopyResult> pulled = pusher::CopyImage(*session, *location, dest, to);
  if (!pulled.ok()) {
    return base::Annotate(pulled.status(),
                          absl::StrCat("`", name, "` is not in the local store; pulling it"));
  }
  const pusher::TransferStats& st = pulled->transfer.stats;
  progress->Message(absl::StrCat("pulled ", ref.ToString(), " from ", pulled->served_by,
                                 " into the local store as ", dest.tag, ": ", st.blobs_moved,
                                 " blobs downloaded (", pusher::HumanBytes(st.bytes_moved), "), ",
                                 st.blobs_present, " already present"));
  ASSIGN_OR_RETURN(std::unique_ptr<oci::Layout> store, OpenStore(/*create=*/false));
  return OpenFromStore(std::move(store), pulled->transfer.root.digest.str(), name);
}

}  // namespace cli
