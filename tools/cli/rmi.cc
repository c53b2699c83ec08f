// `slipway rmi`: removes tags from the local store (docker rmi); --prune collects their blobs.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "oci/layout/layout.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/local_images.h"
#include "tools/cli/prune_cmd.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway rmi [--prune] IMAGE...

Removes images from the local store: each IMAGE is a tag as `slipway images` lists it (`app:1`),
a name (`app` is `app:latest`, `local:NAME[:TAG]`), or a digest (`sha256:…`, or the 12 hex digits
`images` prints), which removes every tag pointing at it. Prints what it untagged. The blobs stay
until `slipway prune` (or --prune) collects them. An IMAGE the store does not hold is an error
(exit 1); the others are still removed.

Options:
  --prune   collect the blobs nothing else uses right away (as `slipway prune`)
)";

int RunRmi(const std::vector<std::string>& args) {
  FlagSet flags;
  bool prune = false;
  flags.Bool("prune", 0, &prune);
  absl::StatusOr<std::vector<std::string>> positional =
      flags.ParsePositional(args, 1, SIZE_MAX, "expected at least one image");
  if (!positional.ok()) return ReportError("rmi", positional.status());
  oci::LayoutOptions options;
  options.create = false;
  absl::StatusOr<std::unique_ptr<oci::Layout>> store =
      oci::Layout::Open(oci::LocalStoreDir(), options);
  if (!store.ok()) {
    if (absl::IsNotFound(store.status())) {
      return ReportError("rmi", absl::NotFoundError(absl::StrCat(
                                    "no such image: `", positional->front(),
                                    "` (the local store ", oci::LocalStoreDir(), " is empty)")));
    }
    return ReportError("rmi", store.status());
  }
  int rc = kExitOk;
  for (const std::string& name : *positional) {
    absl::StatusOr<std::vector<std::string>> tags = StoreTagsNamedBy(**store, name);
    if (!tags.ok()) {
      rc = ReportError("rmi", tags.status());
      continue;
    }
    for (const std::string& tag : *tags) {
      absl::Status s = (*store)->Untag(tag);
      if (!s.ok()) {
        rc = ReportError("rmi", s);
        continue;
      }
      std::cout << "untagged: " << tag << "\n";
    }
  }
  if (prune) {
    int prune_rc = CollectLocalStore(**store, /*layers=*/false);
    if (rc == kExitOk) rc = prune_rc;
  }
  return rc;
}

}  // namespace

SLIPWAY_COMMAND(rmi, "Remove images from the local store", kUsage, RunRmi);

}  // namespace cli
