// `slipway images`: lists the local store's images (docker images).
#include <cstdio>
#include <iostream>
#include <set>

#include "nlohmann/json.hpp"
#include "oci/layout/layout.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/local_images.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway images [-q] [--format table|json]

Lists the images of the local store ($XDG_DATA_HOME/slipway, default ~/.local/share/slipway),
sorted by name: NAME:TAG, DIGEST (of the manifest, 12 hex digits), CREATED (from the image config)
and SIZE (the layers as stored, compressed, plus the config; layers shared by images count for each).

Options:
  -q, --quiet       print only the digests (12 hex digits, each once): `slipway rmi` takes them
  --format FORMAT   table (default) or json: an array of {name, tag, digest, created, size}, with
                    the full digest and the size in bytes
)";

int RunImages(const std::vector<std::string>& args) {
  FlagSet flags;
  bool quiet = false;
  flags.Bool("quiet", 'q', &quiet);
  std::string format = "table";
  flags.String("format", 0, &format);
  absl::StatusOr<std::vector<std::string>> positional =
      flags.ParsePositional(args, 0, 0, "takes no arguments");
  if (!positional.ok()) return ReportError("images", positional.status());
  if (format != "table" && format != "json") {
    return ReportError("images", UsageError("--format must be table or json"));
  }
  std::vector<LocalImage> images;
  oci::LayoutOptions options;
  options.create = false;
  absl::StatusOr<std::unique_ptr<oci::Layout>> store =
      oci::Layout::Open(oci::LocalStoreDir(), options);
  if (store.ok()) {
    absl::StatusOr<std::vector<LocalImage>> listed = ListLocalImages(**store);
    if (!listed.ok()) return ReportError("images", listed.status());
    images = *std::move(listed);
  } else if (!absl::IsNotFound(store.status())) {
    return ReportError("images", store.status());
  }  // No store yet: no images.
  for (const LocalImage& image : images) {
    if (!image.error.empty()) {
      std::cerr << "slipway images: " << image.name << ":" << image.tag << ": " << image.error
                << "\n";
    }
  }
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const LocalImage& image : images) {
      out.push_back({{"name", image.name},
                     {"tag", image.tag},
                     {"digest", image.digest.str()},
                     {"created", image.created},
                     {"size", image.size}});
    }
    std::cout << out.dump(2) << std::endl;
    return kExitOk;
  }
  if (quiet) {
    std::set<std::string> seen;
    for (const LocalImage& image : images) {
      std::string short_digest(image.digest.hex().substr(0, 12));
      if (seen.insert(short_digest).second) std::printf("%s\n", short_digest.c_str());
    }
    return kExitOk;
  }
  std::printf("%-40s  %-12s  %-20s  %s\n", "IMAGE", "DIGEST", "CREATED", "SIZE");
  for (const LocalImage& image : images) {
    std::string ref = image.name + ":" + image.tag;
    std::string created = image.created.empty() ? "-" : image.created;
    std::string size = image.error.empty() ? HumanSize(image.size) : "?";
    std::printf("%-40s  %-12s  %-20s  %s\n", ref.c_str(),
                std::string(image.digest.hex().substr(0, 12)).c_str(), created.c_str(),
                size.c_str());
  }
  return kExitOk;
}

}  // namespace

SLIPWAY_COMMAND(images, "List the images of the local store", kUsage, RunImages);

}  // namespace cli
