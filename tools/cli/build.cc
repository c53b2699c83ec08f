// `slipway build`: Dockerfile + context -> a reproducible OCI image (builder/exec), tagged into the
// local store (-t), written to `--output oci:DIR[:TAG]` or `docker-archive:FILE`, pushed to the
// registries the -t references name (--push), with the digest as the last line of stdout. Also
// `__build-run`, the internal helper that runs one RUN step in the sandbox (re-executed by the
// builder so that forking never happens in a threaded process).
//
// This file is where the registry client meets the builder (builder/ never includes pusher/):
// RegistryImageSource fills LocalImageSource's fallback, so FROM and --from names the local store
// lacks are pulled from their registries.
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>

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
#include "oci/image_config.h"
#include "oci/json_codec.h"
#include "oci/layout/image_source.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/layout/layout.h"
#include "oci/reference.h"
#include "pusher/cli_support.h"
#include "pusher/copy.h"
#include "pusher/notify.h"
#include "pusher/progress.h"
#include "pusher/session.h"
#include "pusher/transfer.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

// Opens the registry session on first use (a build that never names a registry never reads the
// credentials or the mirrors configuration). Thread-safe.
class LazySession {
 public:
  explicit LazySession(pusher::SessionFlags flags) : flags_(std::move(flags)) {}
  absl::StatusOr<pusher::Session*> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (session_ == nullptr) {
      if (progress_ == nullptr) progress_ = pusher::NewProgress(pusher::ProgressMode::kPlain);
      ASSIGN_OR_RETURN(session_, pusher::OpenSession(flags_, progress_.get()));
    }
    return session_.get();
  }

 private:
  const pusher::SessionFlags flags_;
  std::mutex mu_;
  std::unique_ptr<pusher::Progress> progress_;
  std::unique_ptr<pusher::Session> session_;
};

// Base images from registries: the platform's manifest is pulled (mirrors first, every blob
// verified) into `pull_dir`, an OCI layout that keeps what was downloaded (so a rebuild only asks
// the registry which digest the tag names now), and its blobs are then linked into the build's
// layout. The base is pinned as `registry/repository@sha256:…`. Thread-safe.
class RegistryImageSource : public builder::ImageSource {
 public:
  RegistryImageSource(LazySession* session, std::string pull_dir)
      : session_(session), pull_dir_(std::move(pull_dir)) {}

  absl::StatusOr<builder::SourceImage> Pull(absl::string_view ref, const oci::Platform& platform,
                                            oci::Layout& into) override {
    ASSIGN_OR_RETURN(oci::ImageLocation src, oci::ImageLocation::Parse(ref));
    if (src.kind != oci::ImageLocation::Kind::kRegistry) {
      return absl::InvalidArgumentError(absl::StrCat("`", ref, "` is not a registry reference"));
    }
    ASSIGN_OR_RETURN(pusher::Session * session, session_->Get());
    oci::ImageLocation dst;
    dst.kind = oci::ImageLocation::Kind::kOciLayout;
    dst.path = pull_dir_;
    // One tag per (reference, platform) in the pull layout; the name only has to be a valid tag.
    dst.tag = absl::StrCat(
        "pull-", oci::Digest::Of(absl::StrCat(src.registry_ref.ToString(), " ",
                                              platform.ToString())).hex().substr(0, 40));
    pusher::TransferOptions to;
    to.platform = &platform;
    absl::StatusOr<pusher::CopyResult> copied = pusher::CopyImage(*session, src, dst, to);
    if (!copied.ok()) return base::Annotate(copied.status(), absl::StrCat("pulling `", ref, "`"));
    ASSIGN_OR_RETURN(std::unique_ptr<oci::Layout> pulled, oci::Layout::Open(pull_dir_));
    const oci::Digest& digest = copied->transfer.root.digest;
    ASSIGN_OR_RETURN(oci::ImageRef image, oci::ReadImage(*pulled, digest.str(), &platform));
    RETURN_IF_ERROR_CTX(oci::CopyImageBlobs(*pulled, into, image), "copying `", ref, "`");
    builder::SourceImage out;
    out.pinned = absl::StrCat(src.registry_ref.Name(), "@", image.manifest_descriptor.digest.str());
    out.image = std::move(image);
    return out;
  }

 private:
  LazySession* const session_;  // Not owned.
  const std::string pull_dir_;
};

// --cache-to / --cache-from: the step cache through a registry. The cache is an OCI image manifest
// (artifactType kCacheArtifactType) whose config blob lists the step records this build used
// ({"slipway.buildcache": 1, "records": [{"key", "config", "layers"}]}: each key's image config
// and layer descriptors, exactly as the local cache keeps them) and whose layers are every blob
// those records name, so the registry keeps them and one pull brings a CI machine everything.
constexpr char kCacheArtifactType[] = "application/vnd.slipway.buildcache.v1";
constexpr char kCacheConfigType[] = "application/vnd.slipway.buildcache.config.v1+json";

absl::StatusOr<std::string> ExportCache(pusher::Session& session, builder::StepCache& cache,
                                        const std::vector<oci::Digest>& keys,
                                        const oci::Reference& ref) {
  nlohmann::json records = nlohmann::json::array();
  std::map<std::string, oci::Descriptor> blobs;
  for (const oci::Digest& key : keys) {
    std::optional<builder::StepRecord> record = cache.Lookup(key);
    if (!record) continue;
    nlohmann::json layers = nlohmann::json::array();
    for (const oci::Descriptor& d : record->layers) {
      layers.push_back(oci::EncodeDescriptor(d, oci::JsonFormat::kCompact));
      blobs[d.digest.str()] = d;
    }
    records.push_back({{"key", key.str()}, {"config", record->config.Encode()}, {"layers", layers}});
  }
  nlohmann::json doc = {{"slipway.buildcache", 1}, {"records", records}};
  oci::Manifest manifest;
  manifest.media_type = std::string(oci::kOciManifest);
  manifest.artifact_type = kCacheArtifactType;
  ASSIGN_OR_RETURN(manifest.config, cache.layout().WriteBlob(doc.dump(), kCacheConfigType));
  for (const auto& [digest, d] : blobs) manifest.layers.push_back(d);
  ASSIGN_OR_RETURN(oci::Descriptor root,
                   cache.layout().WriteBlob(manifest.Encode(), oci::kOciManifest));
  std::unique_ptr<pusher::ImageSource> source = pusher::LayoutSource(&cache.layout(), root.digest.str());
  std::unique_ptr<pusher::ImageSink> sink =
      pusher::RegistrySink(session.ForHost(ref.registry), ref.repository);
  pusher::TransferOptions to;
  to.tag = ref.tag.empty() ? "latest" : ref.tag;
  std::string where = absl::StrCat(ref.Name(), ":", to.tag);
  absl::StatusOr<pusher::TransferResult> r = pusher::Transfer(*source, *sink, to);
  if (!r.ok()) return base::Annotate(r.status(), absl::StrCat("--cache-to `", where, "`"));
  return absl::StrCat(where, " (", records.size(), " steps, ", blobs.size(), " blobs)");
}

// Pulls a cache exported by ExportCache into `pull_dir` and adds its records (and their blobs) to
// the local cache. Returns the number of records added.
absl::StatusOr<int> ImportCache(pusher::Session& session, builder::StepCache& cache,
                                const std::string& pull_dir, const std::string& text) {
  ASSIGN_OR_RETURN(oci::ImageLocation src, oci::ImageLocation::Parse(text));
  if (src.kind != oci::ImageLocation::Kind::kRegistry) {
    return absl::InvalidArgumentError(absl::StrCat("`", text, "` is not a registry reference"));
  }
  oci::ImageLocation dst;
  dst.kind = oci::ImageLocation::Kind::kOciLayout;
  dst.path = pull_dir;
  dst.tag = absl::StrCat("cache-", oci::Digest::Of(src.registry_ref.ToString()).hex().substr(0, 40));
  ASSIGN_OR_RETURN(pusher::CopyResult copied,
                   pusher::CopyImage(session, src, dst, pusher::TransferOptions()));
  ASSIGN_OR_RETURN(std::unique_ptr<oci::Layout> pulled, oci::Layout::Open(pull_dir));
  ASSIGN_OR_RETURN(std::string manifest_json, pulled->ReadBlob(copied.transfer.root.digest));
  ASSIGN_OR_RETURN(oci::Manifest manifest, oci::Manifest::Parse(manifest_json));
  if (manifest.config.media_type != kCacheConfigType) {
    return absl::InvalidArgumentError(absl::StrCat("`", text, "` is not a slipway build cache"));
  }
  ASSIGN_OR_RETURN(std::string config_json, pulled->ReadBlob(manifest.config.digest));
  nlohmann::json doc = nlohmann::json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("records") ||
      !doc["records"].is_array()) {
    return absl::InvalidArgumentError(absl::StrCat("`", text, "`: malformed cache record list"));
  }
  int added = 0;
  for (const nlohmann::json& r : doc["records"]) {
    if (!r.is_object() || !r.value("key", nlohmann::json()).is_string() ||
        !r.value("config", nlohmann::json()).is_string() ||
        !r.value("layers", nlohmann::json()).is_array()) {
      return absl::InvalidArgumentError(absl::StrCat("`", text, "`: malformed cache record"));
    }
    ASSIGN_OR_RETURN(oci::Digest key, oci::Digest::Parse(r["key"].get<std::string>()));
    if (cache.Lookup(key)) continue;
    builder::StepRecord record;
    ASSIGN_OR_RETURN(record.config, oci::ImageConfig::Parse(r["config"].get<std::string>()));
    for (const nlohmann::json& l : r["layers"]) {
      if (!l.is_string()) return absl::InvalidArgumentError("malformed cache layer");
      ASSIGN_OR_RETURN(oci::Descriptor d, oci::ParseDescriptor(l.get<std::string>()));
      RETURN_IF_ERROR(oci::CopyBlob(*pulled, cache.layout(), d.digest));
      record.layers.push_back(std::move(d));
    }
    RETURN_IF_ERROR(cache.Store(key, record));
    ++added;
  }
  return added;
}

// Pushes the built image (by digest from `layout`) to `ref`'s registry under its tag. Only missing
// blobs move; the manifest goes last. Returns "registry/repository:tag".
absl::StatusOr<std::string> PushBuilt(pusher::Session& session, const oci::Layout& layout,
                                      const oci::Descriptor& manifest, const oci::Reference& ref,
                                      pusher::Progress* progress) {
  std::unique_ptr<pusher::ImageSource> source = pusher::LayoutSource(&layout, manifest.digest.str());
  std::unique_ptr<pusher::ImageSink> sink =
      pusher::RegistrySink(session.ForHost(ref.registry), ref.repository);
  pusher::TransferOptions to;
  to.tag = ref.tag;
  to.progress = progress;
  std::string where = absl::StrCat(ref.Name(), ":", ref.tag);
  absl::StatusOr<pusher::TransferResult> r = pusher::Transfer(*source, *sink, to);
  if (!r.ok()) return base::Annotate(r.status(), absl::StrCat("pushing `", where, "`"));
  if (r->root.digest != manifest.digest) {
    return absl::InternalError(absl::StrCat("pushing `", where, "` stored ", r->root.digest.str(),
                                            " instead of ", manifest.digest.str()));
  }
  return where;
}

constexpr char kUsage[] =
    "usage: slipway build [-f FILE] [-t REF]... [--target STAGE] [--build-arg K=V]...\n"
    "                     [--platform P] [--output oci:DIR[:TAG]|docker-archive:FILE[:REF]]\n"
    "                     [--no-cache] [--cache-dir DIR] [--secret id=ID,src=PATH]...\n"
    "                     [--ssh ID[=SOCKET]]...\n"
    "                     [--timestamp now] [--progress auto|tty|plain|json]\n"
    "                     [--metadata-file F] [--push] [--notify URL] [--insecure-registry HOST]...\n"
    "                     [--config FILE] [--cache-from REF]... [--cache-to REF]... CONTEXT\n"
    "\n"
    "Builds the Dockerfile (default CONTEXT/Dockerfile) into a reproducible OCI image. -t NAME[:TAG]\n"
    "tags it into the local store ($XDG_DATA_HOME/slipway); with --push every -t is also pushed to\n"
    "the registry it names (a plain name means Docker Hub). FROM names the local store lacks are\n"
    "pulled from their registries (mirrors from --config first). --cache-to REF pushes the steps this\n"
    "build used (records and layers) to a registry; --cache-from REF imports them first (a cache\n"
    "that cannot be read is a warning). --notify URL POSTs {repository, tag, digest, time} as JSON for\n"
    "each tag --push pushed. The image digest is printed last.\n";

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
  std::vector<std::string> ssh;
  flags.Repeated("ssh", 0, &ssh);
  flags.String("timestamp", 0, &timestamp);
  flags.String("progress", 0, &progress);
  flags.String("metadata-file", 0, &metadata_file);
  flags.Bool("push", 0, &push);
  std::string notify;
  flags.String("notify", 0, &notify);
  pusher::SessionFlags sf;
  flags.Repeated("insecure-registry", 0, &sf.insecure_registries);
  flags.String("config", 0, &sf.config_path);
  ASSIGN_OR_RETURN(std::vector<std::string> positional, flags.Parse(args));
  if (flags.help_requested()) {
    std::cout << kUsage;
    return absl::OkStatus();
  }
  if (positional.size() != 1) return UsageError("build takes exactly one CONTEXT directory");
  std::vector<oci::Reference> cache_to_refs;
  for (const std::string& c : cache_to) {
    // BuildKit spells it `type=registry,ref=REF`; a bare REF is accepted too.
    std::string ref = c;
    for (absl::string_view part : absl::StrSplit(c, ',')) {
      if (absl::ConsumePrefix(&part, "ref=")) ref = std::string(part);
    }
    ASSIGN_OR_RETURN(oci::Reference r, oci::Reference::Parse(ref));
    cache_to_refs.push_back(r);
  }
  if (push && tags.empty()) return UsageError("--push needs at least one -t REF");
  if (!notify.empty() && !push) return UsageError("--notify needs --push");
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
  for (const std::string& spec : ssh) {
    // `--ssh ID[=SOCKET]`: the socket defaults to $SSH_AUTH_SOCK, as `docker build --ssh default`.
    size_t eq = spec.find('=');
    std::string id = spec.substr(0, eq);
    std::string path = eq == std::string::npos ? "" : spec.substr(eq + 1);
    if (path.empty()) {
      const char* agent = std::getenv("SSH_AUTH_SOCK");
      if (agent == nullptr || agent[0] == '\0') {
        return UsageError(absl::StrCat("--ssh ", id, ": SSH_AUTH_SOCK is not set; pass ", id,
                                       "=SOCKET"));
      }
      path = agent;
    }
    if (id.empty()) return UsageError("--ssh wants ID[=SOCKET]");
    o.ssh[id] = path;
  }
  ASSIGN_OR_RETURN(builder::ProgressMode mode, builder::ParseProgressMode(progress, stderr));
  std::unique_ptr<builder::Progress> prog = builder::NewProgress(mode, stderr);
  o.progress = prog.get();
  // Registry reads plug in here as the fallback of the local source (builder never sees pusher/).
  LazySession session(sf);
  RegistryImageSource registry(&session, absl::StrCat(o.cache_dir, "/pulled"));
  builder::LocalImageSource source(&registry);
  o.source = &source;
  builder::SandboxRunExecutor run({"/proc/self/exe", "__build-run"});
  o.run = &run;

  // Validate the outputs before building.
  std::vector<oci::ImageLocation> dests;
  for (const std::string& out : outputs) {
    ASSIGN_OR_RETURN(oci::ImageLocation loc, oci::ImageLocation::Parse(out));
    if (loc.kind == oci::ImageLocation::Kind::kRegistry) {
      return UsageError(absl::StrCat("--output `", out,
                                     "`: want oci:DIR[:TAG] or docker-archive:FILE[:REF]"));
    }
    dests.push_back(loc);
  }
  std::vector<std::pair<std::string, std::string>> local_tags;  // (familiar, store tag)
  std::vector<oci::Reference> push_refs;
  for (const std::string& t : tags) {
    ASSIGN_OR_RETURN(oci::Reference ref, oci::Reference::Parse(t));
    if (ref.tag.empty()) return UsageError(absl::StrCat("-t `", t, "`: a tag is needed"));
    push_refs.push_back(ref);
    local_tags.push_back({ref.Familiar(), oci::LocalStoreTag(ref.Familiar().substr(0, ref.Familiar().rfind(':')), ref.tag)});
  }

  ASSIGN_OR_RETURN(std::unique_ptr<builder::StepCache> cache, builder::StepCache::Open(o.cache_dir));
  // A cache that cannot be imported only makes the build slower: a warning, as BuildKit.
  for (const std::string& c : cache_from) {
    std::string ref = c;
    for (absl::string_view part : absl::StrSplit(c, ',')) {
      if (absl::ConsumePrefix(&part, "ref=")) ref = std::string(part);
    }
    absl::StatusOr<pusher::Session*> s = session.Get();
    absl::StatusOr<int> added =
        s.ok() ? ImportCache(**s, *cache, absl::StrCat(o.cache_dir, "/pulled"), ref) : s.status();
    if (added.ok()) {
      std::cerr << "slipway: --cache-from " << ref << ": " << *added << " steps imported\n";
    } else {
      std::cerr << "slipway: --cache-from " << ref << ": " << added.status().message()
                << " (ignored)\n";
    }
  }
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
      if (!loc.tag.empty()) {  // docker-archive:FILE:REF names the image too
        ASSIGN_OR_RETURN(oci::Reference named, oci::Reference::Parse(loc.tag));
        if (std::find(img.repo_tags.begin(), img.repo_tags.end(), named.Familiar()) ==
            img.repo_tags.end()) {
          img.repo_tags.push_back(named.Familiar());
        }
      }
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
  std::vector<std::string> pushed;
  if (push) {
    ASSIGN_OR_RETURN(pusher::Session * s, session.Get());
    std::unique_ptr<pusher::Progress> push_progress = pusher::NewProgress(
        mode == builder::ProgressMode::kJson ? pusher::ProgressMode::kQuiet
                                             : pusher::ProgressMode::kPlain);
    for (const oci::Reference& ref : push_refs) {
      ASSIGN_OR_RETURN(std::string where,
                       PushBuilt(*s, cache->layout(), built->manifest, ref, push_progress.get()));
      push_progress->Message(absl::StrCat("pushed ", where, "@", built->manifest.digest.str()));
      pushed.push_back(where);
      if (!notify.empty()) {
        // One event per pushed tag, as `slipway push --notify` sends after its push.
        RETURN_IF_ERROR_CTX(
            pusher::NotifyPushed(s->plain_transport(), notify, ref, built->manifest.digest),
            "--notify");
      }
    }
  }
  for (const oci::Reference& ref : cache_to_refs) {
    ASSIGN_OR_RETURN(pusher::Session * s, session.Get());
    ASSIGN_OR_RETURN(std::string what, ExportCache(*s, *cache, built->step_keys, ref));
    std::cerr << "slipway: --cache-to " << what << "\n";
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
    j["pushed"] = pushed;
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
