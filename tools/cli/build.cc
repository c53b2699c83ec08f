// `slipway build`: Dockerfile + context -> a reproducible OCI image (builder/exec), tagged into the
// local store (-t), written to `--output oci:DIR[:TAG]` or `docker-archive:FILE`, with the digest
// as the last line of stdout. Also `__build-run`, the internal helper that runs one RUN step in
// the sandbox (re-executed by the builder so that forking never happens in a threaded process).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/env.h"
#include "base/status_macros.h"
#include "builder/cache/cache.h"
#include "builder/exec/executor.h"
#include "builder/exec/progress.h"
#include "builder/exec/run.h"
#include "builder/source/image_source.h"
#include "nlohmann/json.hpp"
#include "oci/layout/docker_archive.h"
#include "oci/layout/layout.h"
#include "oci/reference.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] =
    "usage: slipway build [-f FILE] [-t REF]... [--target STAGE] [--build-arg K=V]...\n"
    "                     [--platform P] [--output oci:DIR[:TAG]|docker-archive:FILE]\n"
    "                     [--no-cache] [--cache-dir DIR] [--secret id=ID,src=PATH]...\n"
    "                     [--timestamp now] [--progress auto|tty|plain|json]\n"
    "                     [--metadata-file F] CONTEXT\n"
    "\n"
    "Builds the Dockerfile (default CONTEXT/Dockerfile) into a reproducible OCI image. -t NAME[:TAG]\n"
    "tags it into the local store ($XDG_DATA_HOME/slipway); the image digest is printed last.\n"
    "--cache-from/--cache-to and --push need the registry client and are not wired in yet.\n";

absl::Status DoBuild(const std::vector<std::string>& args) {
  FlagSet flags;
  std::string file, target, platform, cache_dir, timestamp, progress = "auto", metadata_file;
  std::vector<std::string> tags, build_args, outputs, secrets, cache_from, cache_to;
  bool no_cache = false, push = false;
  flags.String("file", 'f', &file);
  flags.Repeated("tag", 't', &tags);
  flags.String("target", 0, &target);
  flags.Repeated("build-arg", 0, &build_args);
  flags.String("platform", 0, &platform);
  flags.Repeated("output", 'o', &outputs);
  flags.Bool("no-cache", 0, &no_cache);
  flags.String("cache-dir", 0, &cache_dir);
  flags.Repeated("cache-from", 0, &cache_from);
  flags.Repeated("cache-to", 0, &cache_to);
  flags.Repeated("secret", 0, &secrets);
  flags.String("timestamp", 0, &timestamp);
  flags.String("progress", 0, &progress);
  flags.String("metadata-file", 0, &metadata_file);
  flags.Bool("push", 0, &push);
  ASSIGN_OR_RETURN(std::vector<std::string> positional, flags.Parse(args));
  if (flags.help_requested()) {
    std::cout << kUsage;
    return absl::OkStatus();
  }
  if (positional.size() != 1) return UsageError("build takes exactly one CONTEXT directory");
  if (!cache_from.empty() || !cache_to.empty() || push) {
    return absl::UnimplementedError(
        "--cache-from, --cache-to and --push need the registry client, which build does not use "
        "yet; build with --output or -t and run `slipway push`");
  }
  builder::BuildOptions o;
  o.context_dir = positional[0];
  char real[PATH_MAX];
  if (realpath(o.context_dir.c_str(), real) != nullptr) o.context_dir = real;
  o.dockerfile_path = file;
  o.target = target;
  o.platform = platform;
  o.no_cache = no_cache;
  o.cache_dir = cache_dir.empty() ? builder::DefaultCacheDir() : cache_dir;
  if (!timestamp.empty()) {
    if (timestamp != "now") return UsageError("--timestamp takes only `now`");
    o.timestamp_now = true;
  }
  for (const std::string& kv : build_args) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      const char* v = std::getenv(kv.c_str());
      if (v != nullptr) o.build_args[kv] = v;
    } else {
      o.build_args[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  for (const std::string& s : secrets) {
    std::string id, src;
    for (absl::string_view part : absl::StrSplit(s, ',')) {
      if (absl::ConsumePrefix(&part, "id=")) id = std::string(part);
      else if (absl::ConsumePrefix(&part, "src=") || absl::ConsumePrefix(&part, "source="))
        src = std::string(part);
    }
    if (id.empty() || src.empty()) return UsageError("--secret wants id=ID,src=PATH");
    o.secrets[id] = src;
  }
  ASSIGN_OR_RETURN(builder::ProgressMode mode, builder::ParseProgressMode(progress, stderr));
  std::unique_ptr<builder::Progress> prog = builder::NewProgress(mode, stderr);
  o.progress = prog.get();
  // Registry reads plug in here as the fallback of the local source (builder never sees pusher/).
  builder::LocalImageSource source(/*fallback=*/nullptr);
  o.source = &source;
  builder::SandboxRunExecutor run({"/proc/self/exe", "__build-run"});
  o.run = &run;

  // Validate the outputs before building.
  std::vector<oci::ImageLocation> dests;
  for (const std::string& out : outputs) {
    ASSIGN_OR_RETURN(oci::ImageLocation loc, oci::ImageLocation::Parse(out));
    if (loc.kind == oci::ImageLocation::Kind::kRegistry) {
      return UsageError(absl::StrCat("--output `", out,
                                     "`: want oci:DIR[:TAG] or docker-archive:FILE"));
    }
    dests.push_back(loc);
  }
  std::vector<std::pair<std::string, std::string>> local_tags;  // (familiar, store tag)
  for (const std::string& t : tags) {
    ASSIGN_OR_RETURN(oci::Reference ref, oci::Reference::Parse(t));
    if (ref.tag.empty()) return UsageError(absl::StrCat("-t `", t, "`: a tag is needed"));
    local_tags.push_back({ref.Familiar(), oci::LocalStoreTag(ref.Familiar().substr(0, ref.Familiar().rfind(':')), ref.tag)});
  }

  ASSIGN_OR_RETURN(std::unique_ptr<builder::StepCache> cache, builder::StepCache::Open(o.cache_dir));
  absl::StatusOr<builder::BuildResult> built = builder::Build(o, *cache);
  if (!built.ok()) return built.status();

  if (!local_tags.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<oci::Layout> store, oci::Layout::Open(oci::LocalStoreDir()));
    for (const auto& [familiar, tag] : local_tags) {
      RETURN_IF_ERROR(builder::ExportImage(*cache, *built, *store, tag));
    }
  }
  for (const oci::ImageLocation& loc : dests) {
    if (loc.kind == oci::ImageLocation::Kind::kDockerArchive) {
      oci::DockerArchiveImage img;
      img.manifest = built->manifest;
      for (const auto& [familiar, tag] : local_tags) img.repo_tags.push_back(familiar);
      oci::DockerArchiveOptions ao;
      RETURN_IF_ERROR(oci::WriteDockerArchive(cache->layout(), {img}, loc.path, ao));
    } else {
      ASSIGN_OR_RETURN(std::unique_ptr<oci::Layout> layout, oci::Layout::Open(
          loc.kind == oci::ImageLocation::Kind::kOciLayout ? loc.path : oci::LocalStoreDir()));
      std::string tag = loc.kind == oci::ImageLocation::Kind::kOciLayout
                            ? (loc.tag.empty() ? "latest" : loc.tag)
                            : oci::LocalStoreTag(loc.name, loc.tag);
      RETURN_IF_ERROR(builder::ExportImage(*cache, *built, *layout, tag));
    }
  }
  if (!metadata_file.empty()) {
    nlohmann::json j;
    j["containerimage.digest"] = built->manifest.digest.str();
    j["containerimage.config.digest"] = built->manifest.size > 0
                                            ? nlohmann::json(std::string())
                                            : nlohmann::json(nullptr);
    ASSIGN_OR_RETURN(std::string manifest_json, cache->layout().ReadBlob(built->manifest.digest));
    ASSIGN_OR_RETURN(oci::Manifest manifest, oci::Manifest::Parse(manifest_json));
    j["containerimage.config.digest"] = manifest.config.digest.str();
    nlohmann::json layers = nlohmann::json::array();
    for (const oci::Descriptor& d : built->layers) {
      layers.push_back({{"digest", d.digest.str()}, {"size", d.size}, {"mediaType", d.media_type}});
    }
    j["layers"] = layers;
    nlohmann::json names = nlohmann::json::array();
    for (const auto& [familiar, tag] : local_tags) names.push_back(familiar);
    j["image.name"] = names;
    j["bases"] = built->bases;
    j["steps"] = built->steps;
    j["cached_steps"] = built->cached_steps;
    RETURN_IF_ERROR(base::Env::Default()->WriteFileAtomically(metadata_file, j.dump(2) + "\n"));
  }
  std::cout << built->manifest.digest.str() << std::endl;
  return absl::OkStatus();
}

int RunBuild(const std::vector<std::string>& args) {
  absl::Status s = DoBuild(args);
  if (!s.ok()) return ReportError("build", s);
  return kExitOk;
}

int RunBuildHelper(const std::vector<std::string>& args) {
  if (args.size() != 1) return kExitUsage;
  return builder::RunHelperMain(args[0]);
}

}  // namespace

SLIPWAY_COMMAND(build, "Build an image from a Dockerfile", kUsage, RunBuild);
SLIPWAY_COMMAND(__build-run, "(internal) run one RUN step for build", "", RunBuildHelper);

}  // namespace cli
