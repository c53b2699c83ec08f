#include "builder/exec/executor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/scoped_temp_dir.h"
#include "base/status_macros.h"
#include "builder/dockerfile/parser.h"
#include "builder/exec/copy.h"
#include "builder/exec/fs_view.h"
#include "builder/ignore/ignore.h"
#include "builder/instructions/instructions.h"
#include "oci/tar/layer_writer.h"
#include "runner/rootfs/rootfs.h"
#include "runner/sandbox/process.h"

namespace builder {
namespace {

namespace ins = instructions;
using oci::ImageConfig;

constexpr char kDefaultPath[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string Rfc3339(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

std::string FirstLine(absl::string_view s) { return std::string(s.substr(0, s.find('\n'))); }

// The image state of a stage between steps.
struct State {
  ImageConfig config;
  std::vector<oci::Descriptor> layers;
  oci::Digest key;
  bool cmd_set = false;  // CMD set in this stage (a new ENTRYPOINT then keeps it)
};

oci::Digest Chain(const oci::Digest& parent, absl::string_view what, ins::BuildArgs args,
                  absl::string_view extra) {
  oci::Sha256 sha;
  auto field = [&](absl::string_view s) {
    sha.Update(absl::StrCat(s.size(), ":"));
    sha.Update(s);
  };
  field("slipway-step-v1");
  field(parent.str());
  field(what);
  for (const auto& [k, v] : args) {
    if (ins::IsProxyArg(k)) continue;
    field(k);
    field(v);
  }
  field(extra);
  return sha.Finish();
}

std::vector<std::string> Strings(ins::Words words) {
  return std::vector<std::string>(words.begin(), words.end());
}

class Counter {
 public:
  explicit Counter(int n) : n_(n) {}
  void Acquire() {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(+[](int* n) { return *n > 0; }, &n_));
    --n_;
  }
  void Release() {
    absl::MutexLock l(&mu_);
    ++n_;
  }

 private:
  absl::Mutex mu_;
  int n_;
};

class Executor {
 public:
  Executor(const BuildOptions& o, StepCache& cache) : o_(o), cache_(cache) {}

  absl::StatusOr<BuildResult> Run();

 private:
  absl::StatusOr<State> BuildStage(int index);
  absl::StatusOr<State> FromImage(const ins::Stage& stage);
  absl::Status Step(const ins::Stage& stage, const ins::Command& cmd, int pos, int total,
                    State* st, const std::string& display_stage);
  absl::Status Metadata(const ins::Command& cmd, State* st);
  absl::Status DoCopy(const ins::Command& cmd, const ins::CopyCmd& copy, State* st,
                      const oci::Digest& parent_key, bool* cached, StepInfo* info);
  absl::Status DoRun(const ins::Command& cmd, const ins::RunCmd& run, State* st,
                     const oci::Digest& parent_key, bool* cached, StepInfo* info);
  absl::Status DoWorkdir(const ins::Command& cmd, absl::string_view path, State* st);
  absl::Status RunOnbuild(const ins::Stage& stage, State* st, const std::string& display);
  absl::StatusOr<std::unique_ptr<FsView>> View(const State& st);
  absl::StatusOr<State> StateOf(absl::string_view from);  // a stage or an image
  absl::Status AddLayer(std::vector<oci::LayerEntry> entries, State* st,
                        const std::string& created_by);
  void History(State* st, const std::string& created_by, bool empty_layer);
  // The step cache, remembering every key this build hit or stored (BuildResult::step_keys).
  std::optional<StepRecord> LookupKey(const oci::Digest& key) {
    std::optional<StepRecord> hit = cache_.Lookup(key);
    if (hit) {
      absl::MutexLock l(&mu_);
      used_keys_.insert(key.str());
    }
    return hit;
  }
  absl::Status StoreKey(const oci::Digest& key, const StepRecord& record) {
    RETURN_IF_ERROR(cache_.Store(key, record));
    absl::MutexLock l(&mu_);
    used_keys_.insert(key.str());
    return absl::OkStatus();
  }
  absl::Status Fail(const ins::Command& cmd, const absl::Status& s) {
    if (absl::StartsWith(s.message(), "Dockerfile") || absl::StartsWith(s.message(), file_name_)) {
      return s;
    }
    return absl::Status(s.code(), absl::StrCat(file_name_, ":", cmd.start_line, ": ", cmd.name(),
                                               ": ", s.message()));
  }

  const BuildOptions& o_;
  StepCache& cache_;
  std::string file_name_ = "Dockerfile";
  ins::Dockerfile df_;
  oci::Platform platform_;
  int64_t epoch_ = 0;
  std::optional<BuildContext> context_;
  bool context_filtered_ = false;  // .dockerignore has patterns
  std::unique_ptr<StatCache> stat_cache_;
  std::unique_ptr<runner::LayerCache> layer_cache_;
  std::vector<std::shared_future<absl::StatusOr<State>>> futures_;
  absl::Mutex mu_;
  std::map<std::string, State> images_ ABSL_GUARDED_BY(mu_);  // pulled bases by reference
  std::vector<std::string> bases_ ABSL_GUARDED_BY(mu_);
  int next_step_ ABSL_GUARDED_BY(mu_) = 0;
  int steps_ ABSL_GUARDED_BY(mu_) = 0;
  int cached_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> used_keys_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Counter> slots_;
};

absl::StatusOr<State> Executor::StateOf(absl::string_view ref_view) {
  const std::string ref(ref_view);
  {
    absl::MutexLock l(&mu_);
    auto it = images_.find(ref);
    if (it != images_.end()) return it->second;
  }
  if (o_.source == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("no image source to pull `", ref, "`"));
  }
  ASSIGN_OR_RETURN(SourceImage img, o_.source->Pull(ref, platform_, cache_.layout()));
  State st;
  st.config = img.image.config;
  st.layers = img.image.manifest.layers;
  if (st.layers.size() != st.config.diff_ids.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("image `", ref, "` has ", st.layers.size(), " layers but ",
                     st.config.diff_ids.size(), " diff_ids"));
  }
  st.key = Chain(oci::Digest(), "FROM", {}, img.image.manifest_descriptor.digest.str());
  absl::MutexLock l(&mu_);
  images_[ref] = st;
  bases_.push_back(img.pinned);
  return st;
}

absl::StatusOr<std::unique_ptr<FsView>> Executor::View(const State& st) {
  std::vector<std::string> dirs;
  for (size_t i = 0; i < st.layers.size(); ++i) {
    ASSIGN_OR_RETURN(std::string dir,
                     layer_cache_->Ensure(st.config.diff_ids[i],
                                          cache_.layout().BlobPath(st.layers[i].digest)));
    dirs.push_back(dir);
  }
  return std::make_unique<FsView>(std::move(dirs));
}

void Executor::History(State* st, const std::string& created_by, bool empty_layer) {
  oci::HistoryEntry h;
  h.created = st->config.created;
  h.created_by = created_by;
  h.comment = "buildkit.dockerfile.v0";
  h.empty_layer = empty_layer;
  st->config.history.push_back(std::move(h));
}

absl::Status Executor::AddLayer(std::vector<oci::LayerEntry> entries, State* st,
                                const std::string& created_by) {
  if (entries.empty()) {
    History(st, created_by, true);
    return absl::OkStatus();
  }
  oci::LayerWriterOptions lo;
  lo.compression = o_.compression;
  lo.mtime = epoch_;
  ASSIGN_OR_RETURN(oci::LayerResult layer,
                   oci::WriteLayerToLayout(std::move(entries), lo, cache_.layout()));
  st->layers.push_back(layer.descriptor);
  st->config.diff_ids.push_back(layer.diff_id);
  History(st, created_by, false);
  return absl::OkStatus();
}

absl::Status Executor::Metadata(const ins::Command& cmd, State* st) {
  oci::ContainerConfig& c = st->config.config;
  std::string created_by = FirstLine(cmd.expanded);
  auto shell_form = [&](ins::Words command, bool prepend) {
    if (!prepend) return Strings(command);
    std::vector<std::string> out =
        c.shell.has_value() ? *c.shell : std::vector<std::string>{"/bin/sh", "-c"};
    out.push_back(absl::StrJoin(command, " "));
    return out;
  };
  return cmd.payload.Visit([&](const auto& p) -> absl::Status {
    using T = std::decay_t<decltype(p)>;
    if constexpr (std::is_same_v<T, ins::EnvCmd>) {
      for (const ins::KeyValue& kv : p.env) {
        std::string entry = absl::StrCat(kv.key, "=", kv.value);
        bool replaced = false;
        for (std::string& e : c.env) {
          if (absl::StartsWith(e, absl::StrCat(kv.key, "="))) {
            e = entry;
            replaced = true;
          }
        }
        if (!replaced) c.env.push_back(entry);
      }
    } else if constexpr (std::is_same_v<T, ins::LabelCmd>) {
      for (const ins::KeyValue& kv : p.labels)
        c.labels[std::string(kv.key)] = std::string(kv.value);
    } else if constexpr (std::is_same_v<T, ins::MaintainerCmd>) {
      st->config.author = std::string(p.maintainer);
    } else if constexpr (std::is_same_v<T, ins::ExposeCmd>) {
      for (absl::string_view port : p.ports) c.exposed_ports.emplace(port);
    } else if constexpr (std::is_same_v<T, ins::UserCmd>) {
      c.user = std::string(p.user);
    } else if constexpr (std::is_same_v<T, ins::VolumeCmd>) {
      for (absl::string_view v : p.volumes) c.volumes.emplace(v);
    } else if constexpr (std::is_same_v<T, ins::EntrypointCmd>) {
      c.entrypoint = shell_form(p.command, p.prepend_shell);
      if (!st->cmd_set) c.cmd.reset();
    } else if constexpr (std::is_same_v<T, ins::CmdCmd>) {
      c.cmd = shell_form(p.command, p.prepend_shell);
      st->cmd_set = true;
    } else if constexpr (std::is_same_v<T, ins::ShellCmd>) {
      c.shell = Strings(p.shell);
    } else if constexpr (std::is_same_v<T, ins::StopSignalCmd>) {
      c.stop_signal = std::string(p.signal);
    } else if constexpr (std::is_same_v<T, ins::OnbuildCmd>) {
      c.on_build.emplace_back(p.expression);
    } else if constexpr (std::is_same_v<T, ins::HealthcheckCmd>) {
      oci::HealthConfig h;
      h.test = Strings(p.test);
      h.interval_ns = absl::ToInt64Nanoseconds(p.interval);
      h.timeout_ns = absl::ToInt64Nanoseconds(p.timeout);
      h.start_period_ns = absl::ToInt64Nanoseconds(p.start_period);
      h.start_interval_ns = absl::ToInt64Nanoseconds(p.start_interval);
      h.retries = p.retries;
      c.healthcheck = h;
    } else if constexpr (std::is_same_v<T, ins::ArgCmd>) {
      return absl::OkStatus();  // ARG leaves no history (as BuildKit)
    } else {
      return absl::InternalError(absl::StrCat("unexpected instruction ", cmd.name()));
    }
    History(st, created_by, true);
    return absl::OkStatus();
  });
}

absl::Status Executor::DoWorkdir(const ins::Command& cmd, absl::string_view path, State* st) {
  std::string dir(path);
  if (dir.empty() || dir[0] != '/') {
    dir = absl::StrCat(st->config.config.working_dir.empty() ? "/" : st->config.config.working_dir,
                       "/", dir);
  }
  dir = "/" + CleanRel(dir);
  st->config.config.working_dir = dir;
  std::string created_by = absl::StrCat("WORKDIR ", dir);
  std::vector<oci::LayerEntry> entries;
  if (dir != "/") {
    ASSIGN_OR_RETURN(std::unique_ptr<FsView> view, View(*st));
    ASSIGN_OR_RETURN(std::string rel, view->ResolveParents(dir));
    std::string resolved;
    ASSIGN_OR_RETURN(std::optional<FsView::Hit> hit, view->Stat(rel, &resolved));
    if (!hit) {
      // Create the missing directories (0755, root-owned, as BuildKit's mkdir -p).
      std::vector<std::string> parts = absl::StrSplit(rel, '/', absl::SkipEmpty());
      std::string cur;
      for (const std::string& p : parts) {
        cur = cur.empty() ? p : absl::StrCat(cur, "/", p);
        if (view->Lstat(cur).has_value()) continue;
        oci::LayerEntry e;
        e.type = oci::LayerEntry::Type::kDirectory;
        e.path = cur;
        e.mode = 0755;
        entries.push_back(e);
      }
    } else if (!S_ISDIR(hit->info.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat("`", dir, "` exists and is not a directory"));
    }
  }
  return AddLayer(std::move(entries), st, created_by);
}

absl::Status Executor::DoCopy(const ins::Command& cmd, const ins::CopyCmd& copy, State* st,
                              const oci::Digest& parent_key, bool* cached, StepInfo* info) {
  CopyPlanInput in;
  in.cmd = &copy;
  in.workdir = st->config.config.working_dir.empty() ? "/" : st->config.config.working_dir;
  // ADD unpacks archives and downloads URLs here; it lives until the layer is written.
  std::optional<base::ScopedTempDir> scratch;
  if (copy.is_add) {
    ASSIGN_OR_RETURN(base::ScopedTempDir t, base::ScopedTempDir::Create(
                                                "add-", absl::StrCat(cache_.dir(), "/tmp")));
    scratch.emplace(std::move(t));
    in.scratch_dir = scratch->path();
    int n = 0;
    for (absl::string_view source : copy.sources) {
      const std::string s(source);
      if (!IsUrl(s)) continue;
      if (!copy.from.empty()) return absl::InvalidArgumentError("ADD --from cannot take a URL");
      std::string dir = absl::StrCat(scratch->path(), "/url-", n++);
      RETURN_IF_ERROR(base::Env::Default()->CreateDirs(dir, 0700));
      ASSIGN_OR_RETURN(oci::Digest got, DownloadUrl(s, dir + "/file", std::string(copy.checksum)));
      (void)got;
      in.downloads[s] = dir + "/file";
    }
  }
  std::unique_ptr<FsView> from_view, dest_view;
  if (!copy.from.empty()) {
    int idx = ins::FindStage(df_, copy.from);
    State from_state;
    if (idx >= 0) {
      ASSIGN_OR_RETURN(from_state, futures_[idx].get());
    } else {
      ASSIGN_OR_RETURN(from_state, StateOf(copy.from));
    }
    ASSIGN_OR_RETURN(from_view, View(from_state));
    in.from = from_view.get();
  } else {
    in.context = &*context_;
  }
  if (!copy.link && !st->layers.empty()) {
    ASSIGN_OR_RETURN(dest_view, View(*st));
    in.dest = dest_view.get();
  }
  ASSIGN_OR_RETURN(CopyPlan plan, PlanCopy(in));
  std::string created_by = absl::StrCat(FirstLine(cmd.expanded), " # buildkit");
  if (copy.link) {
    // --link: the layer depends only on what it copies, never on the stage below, so its record
    // holds just the layer and is found again under any parent. The stage's key still chains.
    oci::Digest link_key = Chain(oci::Digest(), cmd.expanded, cmd.args_used,
                                 absl::StrCat("link ", plan.content_digest.str(), " platform ",
                                              platform_.ToString()));
    st->key = Chain(parent_key, "COPY --link", {}, link_key.str());
    std::optional<StepRecord> layer;
    if (!o_.no_cache) layer = LookupKey(link_key);
    if (layer && layer->layers.size() == 1 && layer->config.diff_ids.size() == 1) {
      *cached = true;
    } else {
      State alone;
      alone.config.os = platform_.os;
      alone.config.architecture = platform_.architecture;
      RETURN_IF_ERROR(AddLayer(std::move(plan.entries), &alone, created_by));
      if (alone.layers.empty()) {
        History(st, created_by, true);
        return absl::OkStatus();
      }
      layer = StepRecord{alone.config, alone.layers};
      RETURN_IF_ERROR(StoreKey(link_key, *layer));
    }
    st->layers.push_back(layer->layers[0]);
    st->config.diff_ids.push_back(layer->config.diff_ids[0]);
    History(st, created_by, false);
    return absl::OkStatus();
  }
  st->key = Chain(parent_key, cmd.expanded, cmd.args_used, plan.content_digest.str());
  if (!o_.no_cache) {
    if (std::optional<StepRecord> hit = LookupKey(st->key)) {
      st->config = std::move(hit->config);
      st->layers = std::move(hit->layers);
      *cached = true;
      return absl::OkStatus();
    }
  }
  (void)info;
  RETURN_IF_ERROR(AddLayer(std::move(plan.entries), st, created_by));
  return StoreKey(st->key, StepRecord{st->config, st->layers});
}

absl::Status Executor::DoRun(const ins::Command& cmd, const ins::RunCmd& run, State* st,
                             const oci::Digest& parent_key, bool* cached, StepInfo* info) {
  // BuildKit runs such a step only when the build is granted the security.insecure entitlement
  // (all capabilities, no seccomp filter); slipway never grants it.
  if (run.security == ins::RunCmd::Security::kInsecure) {
    return absl::PermissionDeniedError(
        "--security=insecure needs the security.insecure entitlement, which slipway does not "
        "grant");
  }
  // Inputs that do not come from the instruction text: the content of bind mounts.
  std::string extra;
  ASSIGN_OR_RETURN(base::ScopedTempDir tmp, base::ScopedTempDir::Create(
                                                "run-", absl::StrCat(cache_.dir(), "/tmp")));
  std::vector<runner::BindMount> mounts;
  std::vector<std::string> mount_points;
  std::vector<std::string> secret_env;
  int n = 0, ssh_n = 0;
  bool ssh_env_set = false;
  for (const ins::Mount& m : run.mounts) {
    std::string target(m.target);
    if (!target.empty() && target[0] != '/') {
      target = absl::StrCat(st->config.config.working_dir.empty() ? "/" : st->config.config.working_dir,
                            "/", target);
    }
    std::string host = absl::StrCat(tmp.path(), "/m", n++);
    switch (m.type) {
      case ins::Mount::Type::kCache: {
        std::string id = m.id.empty() ? target : std::string(m.id);
        host = absl::StrCat(cache_.dir(), "/mounts/", oci::Digest::Of(id).hex());
        RETURN_IF_ERROR(base::Env::Default()->CreateDirs(host, m.mode.value_or(0755)));
        if (m.uid || m.gid) {
          if (chown(host.c_str(), m.uid.value_or(0), m.gid.value_or(0)) != 0) {
            return base::ErrnoError(errno, "chown cache mount");
          }
        }
        mounts.push_back({host, target, m.read_only});
        break;
      }
      case ins::Mount::Type::kTmpfs:
        RETURN_IF_ERROR(base::Env::Default()->CreateDirs(host, 0755));
        mounts.push_back({host, target, false});
        break;
      case ins::Mount::Type::kSecret: {
        std::string id = m.id.empty() ? CleanRel(target).substr(CleanRel(target).rfind('/') + 1)
                                      : std::string(m.id);
        auto it = o_.secrets.find(id);
        if (it == o_.secrets.end()) {
          if (m.required) {
            return absl::InvalidArgumentError(absl::StrCat("secret ", id, ": not provided"));
          }
          break;
        }
        ASSIGN_OR_RETURN(std::string value, base::Env::Default()->ReadFile(it->second));
        if (!m.env.empty()) {
          secret_env.push_back(absl::StrCat(m.env, "=", value));
          if (m.target.empty()) break;
        }
        if (target.empty()) target = absl::StrCat("/run/secrets/", id);
        RETURN_IF_ERROR(base::Env::Default()->WriteFileAtomically(host, value, m.mode.value_or(0400)));
        if (chown(host.c_str(), m.uid.value_or(0), m.gid.value_or(0)) != 0) {
          return base::ErrnoError(errno, "chown secret");
        }
        mounts.push_back({host, target, true});
        break;
      }
      case ins::Mount::Type::kBind: {
        ins::CopyCmd c;
        const absl::string_view source[] = {m.source.empty() ? "/" : m.source};
        c.sources = source;
        c.dest = "/";
        c.from = m.from;
        CopyPlanInput in;
        in.cmd = &c;
        std::unique_ptr<FsView> from_view;
        if (!m.from.empty()) {
          int idx = ins::FindStage(df_, m.from);
          State from_state;
          if (idx >= 0) {
            ASSIGN_OR_RETURN(from_state, futures_[idx].get());
          } else {
            ASSIGN_OR_RETURN(from_state, StateOf(m.from));
          }
          ASSIGN_OR_RETURN(from_view, View(from_state));
          in.from = from_view.get();
        } else {
          in.context = &*context_;
        }
        ASSIGN_OR_RETURN(CopyPlan plan, PlanCopy(in));
        absl::StrAppend(&extra, "bind ", target, " ", plan.content_digest.str(), "\n");
        // A read-only bind of the context, when no .dockerignore pattern hides anything, shows the
        // context folder itself (the same files the walk saw; nothing is copied). The resolved
        // source must stay inside the context.
        if (m.from.empty() && m.read_only && !context_filtered_) {
          std::string rel = CleanRel(m.source.empty() ? "/" : std::string(m.source));
          std::string wanted = rel.empty() ? o_.context_dir : absl::StrCat(o_.context_dir, "/", rel);
          char real[PATH_MAX], real_ctx[PATH_MAX];
          if (realpath(wanted.c_str(), real) != nullptr &&
              realpath(o_.context_dir.c_str(), real_ctx) != nullptr &&
              (std::string(real) == real_ctx ||
               absl::StartsWith(real, absl::StrCat(real_ctx, "/")))) {
            mounts.push_back({real, target, true});
            break;
          }
        }
        // Otherwise materialise what the mount shows in the step's temp dir (so the step cannot
        // change the source; `rw` writes land in the copy and are thrown away with it).
        RETURN_IF_ERROR(base::Env::Default()->CreateDirs(host, 0755));
        // A file source is mounted as that file; a directory (even one holding a single file) as
        // the directory.
        std::string root = host;
        std::string rel = CleanRel(m.source.empty() ? "/" : std::string(m.source));
        bool source_is_file = false;
        if (in.from != nullptr) {
          ASSIGN_OR_RETURN(std::optional<FsView::Hit> hit, in.from->Stat(rel));
          source_is_file = hit.has_value() && !S_ISDIR(hit->info.st_mode);
        } else if (!rel.empty()) {
          struct stat sst;
          source_is_file = stat(absl::StrCat(o_.context_dir, "/", rel).c_str(), &sst) == 0 &&
                           !S_ISDIR(sst.st_mode);
        }
        if (source_is_file && plan.entries.size() == 1 &&
            plan.entries[0].type == oci::LayerEntry::Type::kFile) {
          root = absl::StrCat(host, "/", plan.entries[0].path);
        }
        for (const oci::LayerEntry& e : plan.entries) {
          std::string p = absl::StrCat(host, "/", e.path);
          if (e.type == oci::LayerEntry::Type::kDirectory) {
            RETURN_IF_ERROR(base::Env::Default()->CreateDirs(p, e.mode));
          } else if (e.type == oci::LayerEntry::Type::kSymlink) {
            if (symlink(e.link_target.c_str(), p.c_str()) != 0) return base::ErrnoError(errno, "symlink");
          } else {
            std::string data = e.content;
            if (!e.source_path.empty()) {
              ASSIGN_OR_RETURN(data, base::Env::Default()->ReadFile(e.source_path));
            }
            // A throwaway copy: no fsync.
            ASSIGN_OR_RETURN(base::ScopedFd out, base::Env::Default()->Open(
                                                     p, O_WRONLY | O_CREAT | O_EXCL, e.mode));
            RETURN_IF_ERROR(base::WriteAll(out.get(), data));
            if (fchmod(out.get(), e.mode) != 0) return base::ErrnoError(errno, "fchmod");
          }
        }
        mounts.push_back({root, target, m.read_only});
        break;
      }
      case ins::Mount::Type::kSsh: {
        std::string id = m.id.empty() ? "default" : std::string(m.id);
        auto it = o_.ssh.find(id);
        if (it == o_.ssh.end()) {
          if (m.required) {
            return absl::InvalidArgumentError(absl::StrCat(
                "no SSH key ", id, " forwarded from the client (pass --ssh ", id, ")"));
          }
          break;
        }
        if (target.empty()) target = absl::StrCat("/run/buildkit/ssh_agent.", ssh_n++);
        struct stat sock;
        if (stat(it->second.c_str(), &sock) != 0 || !S_ISSOCK(sock.st_mode)) {
          return absl::InvalidArgumentError(absl::StrCat("--ssh ", id, ": `", it->second,
                                                         "` is not a socket"));
        }
        mounts.push_back({it->second, target, false});
        // The first SSH mount is the agent the command's ssh/git clients use, as in BuildKit.
        if (!ssh_env_set) secret_env.push_back(absl::StrCat("SSH_AUTH_SOCK=", target));
        ssh_env_set = true;
        break;
      }
    }
    if (!target.empty()) mount_points.push_back(target);
  }

  st->key = Chain(parent_key, cmd.expanded, cmd.args_used,
                  absl::StrCat(extra, "platform ", platform_.ToString()));
  if (!o_.no_cache) {
    if (std::optional<StepRecord> hit = LookupKey(st->key)) {
      st->config = std::move(hit->config);
      st->layers = std::move(hit->layers);
      *cached = true;
      return absl::OkStatus();
    }
  }
  if (o_.run == nullptr) return absl::FailedPreconditionError("RUN is not available in this build");

  const oci::ContainerConfig& c = st->config.config;
  std::vector<std::string> args;
  std::string script = run.command.empty() ? "" : std::string(run.command[0]);
  if (run.prepend_shell) {
    args = c.shell.has_value() ? *c.shell : std::vector<std::string>{"/bin/sh", "-c"};
    std::string trimmed(absl::StripAsciiWhitespace(script));
    if (run.files.size() == 1 && absl::StartsWith(trimmed, "<<") &&
        trimmed.find(' ') == std::string::npos) {
      script = std::string(run.files[0].content);  // RUN <<EOF: the heredoc is the script
    } else {
      for (const auto& h : run.files) absl::StrAppend(&script, "\n", h.content, h.name);
    }
    args.push_back(script);
  } else {
    args = Strings(run.command);
  }

  ASSIGN_OR_RETURN(std::unique_ptr<FsView> view, View(*st));
  RunRequest req;
  for (auto it = view->dirs().rbegin(); it != view->dirs().rend(); ++it) req.lower_dirs.push_back(*it);
  if (req.lower_dirs.empty()) {
    std::string empty = absl::StrCat(tmp.path(), "/empty");
    RETURN_IF_ERROR(base::Env::Default()->CreateDirs(empty));
    req.lower_dirs.push_back(empty);
  }
  req.upper_dir = absl::StrCat(tmp.path(), "/upper");
  req.work_dir = absl::StrCat(tmp.path(), "/work");
  req.rootfs_dir = absl::StrCat(tmp.path(), "/rootfs");
  for (const std::string& d : {req.upper_dir, req.work_dir, req.rootfs_dir}) {
    RETURN_IF_ERROR(base::Env::Default()->CreateDirs(d, 0755));
  }
  ASSIGN_OR_RETURN(std::string passwd, view->ReadFile("/etc/passwd"));
  ASSIGN_OR_RETURN(std::string group, view->ReadFile("/etc/group"));
  ASSIGN_OR_RETURN(runner::ResolvedUser user, runner::ResolveUser(c.user, passwd, group));
  req.process.uid = user.uid;
  req.process.gid = user.gid;
  req.process.additional_gids = user.additional_gids;
  req.process.args = args;
  req.process.cwd = c.working_dir.empty() ? "/" : c.working_dir;
  req.process.env = c.env;
  bool has_path = false;
  for (const std::string& e : c.env) has_path |= absl::StartsWith(e, "PATH=");
  if (!has_path) req.process.env.push_back(kDefaultPath);
  for (const auto& [k, v] : cmd.args_used) {
    bool shadowed = false;
    for (const std::string& e : c.env) shadowed |= absl::StartsWith(e, absl::StrCat(k, "="));
    if (!shadowed) req.process.env.push_back(absl::StrCat(k, "=", v));
  }
  for (const std::string& e : secret_env) req.process.env.push_back(e);
  req.network = run.network == ins::RunCmd::Network::kNone ? runner::NetworkMode::kNone
                                                           : runner::NetworkMode::kHost;
  if (req.network == runner::NetworkMode::kHost && view->Lstat("etc").has_value()) {
    for (const char* f : {"/etc/resolv.conf", "/etc/hosts"}) {
      if (access(f, R_OK) == 0) {
        req.mounts.push_back({f, f, true});
        mount_points.push_back(f);
      }
    }
  }
  req.mounts.insert(req.mounts.end(), mounts.begin(), mounts.end());

  std::string tail;
  auto on_output = [&](absl::string_view data) {
    if (o_.progress != nullptr) o_.progress->Output(*info, data);
    tail.append(data.data(), data.size());
    if (tail.size() > 8192) tail.erase(0, tail.size() - 4096);
  };
  ASSIGN_OR_RETURN(int code, o_.run->Run(req, on_output));
  if (code != 0) {
    std::vector<std::string> lines = absl::StrSplit(tail, '\n', absl::SkipEmpty());
    if (lines.size() > 10) lines.erase(lines.begin(), lines.end() - 10);
    std::string shown = run.prepend_shell ? absl::StrJoin(args, " ") : absl::StrJoin(args, " ");
    return absl::FailedPreconditionError(absl::StrCat(
        file_name_, ":", cmd.start_line, ": RUN ", FirstLine(shown),
        ": process did not complete successfully: exit code: ", code,
        lines.empty() ? "" : "\n------\n" + absl::StrJoin(lines, "\n") + "\n------"));
  }
  ASSIGN_OR_RETURN(std::vector<oci::LayerEntry> entries,
                   UpperToEntries(req.upper_dir, *view, mount_points, epoch_));
  std::string created_by = absl::StrCat("RUN ", absl::StrJoin(args, " "), " # buildkit");
  RETURN_IF_ERROR(AddLayer(std::move(entries), st, created_by));
  return StoreKey(st->key, StepRecord{st->config, st->layers});
}

absl::Status Executor::Step(const ins::Stage& stage, const ins::Command& cmd, int pos, int total,
                            State* st, const std::string& display_stage) {
  StepInfo info;
  {
    absl::MutexLock l(&mu_);
    info.id = ++next_step_;
    ++steps_;
  }
  info.stage = display_stage;
  info.index = pos;
  info.total = total;
  info.text = FirstLine(cmd.expanded);
  info.line = cmd.start_line;
  (void)stage;
  if (o_.progress != nullptr) o_.progress->Started(info);
  absl::Time start = absl::Now();
  bool cached = false;
  oci::Digest parent_key = st->key;
  absl::Status s = cmd.payload.Visit([&](const auto& p) -> absl::Status {
    using T = std::decay_t<decltype(p)>;
    if constexpr (std::is_same_v<T, ins::CopyCmd>) {
      return DoCopy(cmd, p, st, parent_key, &cached, &info);
    } else if constexpr (std::is_same_v<T, ins::RunCmd>) {
      return DoRun(cmd, p, st, parent_key, &cached, &info);
    } else if constexpr (std::is_same_v<T, ins::WorkdirCmd>) {
      st->key = Chain(parent_key, cmd.expanded, cmd.args_used, "");
      if (!o_.no_cache) {
        if (std::optional<StepRecord> hit = LookupKey(st->key)) {
          st->config = std::move(hit->config);
          st->layers = std::move(hit->layers);
          cached = true;
          return absl::OkStatus();
        }
      }
      RETURN_IF_ERROR(DoWorkdir(cmd, p.path, st));
      return StoreKey(st->key, StepRecord{st->config, st->layers});
    } else {
      st->key = Chain(parent_key, cmd.expanded, cmd.args_used, "");
      return Metadata(cmd, st);
    }
  });
  if (!s.ok()) s = Fail(cmd, s);
  if (cached) {
    absl::MutexLock l(&mu_);
    ++cached_;
  }
  if (o_.progress != nullptr) o_.progress->Finished(info, cached, absl::Now() - start, s);
  return s;
}

absl::Status Executor::RunOnbuild(const ins::Stage& stage, State* st, const std::string& display) {
  std::vector<std::string> triggers = std::move(st->config.config.on_build);
  st->config.config.on_build.clear();
  if (triggers.empty()) return absl::OkStatus();
  std::string text = "FROM scratch\n";
  for (const std::string& t : triggers) absl::StrAppend(&text, t, "\n");
  dockerfile::ParseOptions po;
  po.file_name = absl::StrCat(file_name_, ":", stage.start_line, " (ONBUILD)");
  ASSIGN_OR_RETURN(dockerfile::Ast ast, dockerfile::Parse(text, po));
  ins::LoadOptions lo;
  lo.build_args = o_.build_args;
  lo.base_env = [env = st->config.config.env](absl::string_view) { return env; };
  ASSIGN_OR_RETURN(ins::Dockerfile df, ins::Load(ast, lo));
  absl::Span<const ins::Command> cmds = df.stages[0].commands;
  for (size_t i = 1; i < cmds.size(); ++i) {
    ins::Command cmd = cmds[i];
    cmd.start_line = stage.start_line;
    RETURN_IF_ERROR(Step(stage, cmd, i, cmds.size() - 1, st, display + " onbuild"));
  }
  return absl::OkStatus();
}

absl::StatusOr<State> Executor::BuildStage(int index) {
  const ins::Stage& stage = df_.stages[index];
  // Wait for the stages this one reads, then take a slot.
  std::set<int> deps;
  if (stage.base_stage >= 0) deps.insert(stage.base_stage);
  for (const ins::Command& cmd : stage.commands) {
    if (const auto* c = cmd.payload.If<ins::CopyCmd>(); c && !c->from.empty()) {
      int d = ins::FindStage(df_, c->from);
      if (d >= 0) deps.insert(d);
    }
    if (const auto* r = cmd.payload.If<ins::RunCmd>()) {
      for (const ins::Mount& m : r->mounts) {
        int d = m.from.empty() ? -1 : ins::FindStage(df_, m.from);
        if (d >= 0) deps.insert(d);
      }
    }
  }
  for (int d : deps) {
    if (d == index) {
      return absl::InvalidArgumentError(absl::StrCat(file_name_, ":", stage.start_line,
                                                     ": stage refers to itself"));
    }
    RETURN_IF_ERROR(futures_[d].get().status());
  }
  slots_->Acquire();
  struct Release {
    Counter* c;
    ~Release() { c->Release(); }
  } release{slots_.get()};

  std::string display = stage.name.empty() ? absl::StrCat("stage-", index) : std::string(stage.name);
  State st;
  const ins::Command& from = stage.commands[0];
  StepInfo info;
  {
    absl::MutexLock l(&mu_);
    info.id = ++next_step_;
    ++steps_;
  }
  info.stage = display;
  info.index = 1;
  info.total = stage.commands.size();
  info.text = FirstLine(from.expanded);
  info.line = from.start_line;
  if (o_.progress != nullptr) o_.progress->Started(info);
  absl::Time start = absl::Now();
  absl::Status from_status;
  if (stage.base_stage >= 0) {
    absl::StatusOr<State> base = futures_[stage.base_stage].get();
    st = *base;
    st.cmd_set = false;
  } else if (absl::AsciiStrToLower(stage.base_name) == "scratch") {
    st.config.os = platform_.os;
    st.config.architecture = platform_.architecture;
    st.config.variant = platform_.variant;
    st.config.config.env = {kDefaultPath};
    st.key = Chain(oci::Digest(), "FROM scratch", {}, platform_.ToString());
  } else {
    absl::StatusOr<State> base = StateOf(stage.base_name);
    if (!base.ok()) {
      from_status = Fail(from, base.status());
    } else {
      st = *base;
    }
  }
  if (o_.progress != nullptr) o_.progress->Finished(info, false, absl::Now() - start, from_status);
  RETURN_IF_ERROR(from_status);
  st.config.created = Rfc3339(epoch_);
  RETURN_IF_ERROR(RunOnbuild(stage, &st, display));
  for (size_t i = 1; i < stage.commands.size(); ++i) {
    RETURN_IF_ERROR(Step(stage, stage.commands[i], i + 1, stage.commands.size(), &st, display));
  }
  return st;
}

absl::StatusOr<BuildResult> Executor::Run() {
  if (o_.timestamp_now) {
    epoch_ = absl::ToUnixSeconds(absl::Now());
  } else if (o_.epoch.has_value()) {
    epoch_ = *o_.epoch;
  } else {
    ASSIGN_OR_RETURN(epoch_, oci::SourceDateEpoch());
  }
  if (o_.platform.empty()) {
    platform_ = oci::Platform::Host();
  } else {
    ASSIGN_OR_RETURN(platform_, oci::Platform::Parse(o_.platform));
  }
  ASSIGN_OR_RETURN(ignore::BuildFiles files,
                   ignore::LoadBuildFiles(o_.context_dir, o_.dockerfile_path));
  dockerfile::ParseOptions po;
  file_name_ = po.file_name = "Dockerfile";
  ASSIGN_OR_RETURN(dockerfile::Ast ast, dockerfile::Parse(files.dockerfile, po));
  ins::LoadOptions lo;
  lo.build_args = o_.build_args;
  ASSIGN_OR_RETURN(ins::Platform tp, ins::ParsePlatform(platform_.ToString()));
  lo.target_platform = tp;
  ASSIGN_OR_RETURN(df_, ins::Load(ast, lo));
  if (df_.stages.empty()) return absl::InvalidArgumentError("the Dockerfile has no FROM");

  int target = static_cast<int>(df_.stages.size()) - 1;
  if (!o_.target.empty()) {
    target = ins::FindStage(df_, o_.target);
    if (target < 0) {
      return absl::InvalidArgumentError(absl::StrCat("target stage \"", o_.target,
                                                     "\" could not be found"));
    }
  }
  // Stages the target needs.
  std::set<int> needed;
  std::vector<int> todo = {target};
  while (!todo.empty()) {
    int i = todo.back();
    todo.pop_back();
    if (!needed.insert(i).second) continue;
    const ins::Stage& s = df_.stages[i];
    if (s.base_stage >= 0) todo.push_back(s.base_stage);
    for (const ins::Command& cmd : s.commands) {
      if (const auto* c = cmd.payload.If<ins::CopyCmd>(); c && !c->from.empty()) {
        int d = ins::FindStage(df_, c->from);
        if (d >= 0) todo.push_back(d);
      }
      if (const auto* r = cmd.payload.If<ins::RunCmd>()) {
        for (const ins::Mount& m : r->mounts) {
          int d = m.from.empty() ? -1 : ins::FindStage(df_, m.from);
          if (d >= 0) todo.push_back(d);
        }
      }
    }
  }
  // Base images' ENV feeds expansion (ENV PATH=$PATH:/x): pull them, then load again.
  std::map<std::string, std::vector<std::string>, std::less<>> base_env;
  for (int i : needed) {
    const ins::Stage& s = df_.stages[i];
    if (s.base_stage >= 0 || absl::AsciiStrToLower(s.base_name) == "scratch") continue;
    absl::StatusOr<State> base = StateOf(s.base_name);
    if (!base.ok()) {
      return base::Annotate(base.status(), absl::StrCat(file_name_, ":", s.start_line, ": FROM ",
                                                         s.base_name));
    }
    base_env[std::string(s.base_name)] = base->config.config.env;
  }
  if (!base_env.empty()) {
    lo.base_env = [&base_env](absl::string_view name) {
      auto it = base_env.find(name);
      return it == base_env.end() ? std::vector<std::string>{} : it->second;
    };
    ASSIGN_OR_RETURN(df_, ins::Load(ast, lo));
  }

  stat_cache_ = StatCache::Load(cache_.dir(), o_.context_dir);
  ASSIGN_OR_RETURN(BuildContext ctx, BuildContext::Load(o_.context_dir, files.patterns,
                                                        stat_cache_.get()));
  context_ = std::move(ctx);
  context_filtered_ = !files.patterns.empty();
  layer_cache_ = std::make_unique<runner::LayerCache>(absl::StrCat(cache_.dir(), "/layers"),
                                                      geteuid() != 0);
  RETURN_IF_ERROR(base::Env::Default()->CreateDirs(absl::StrCat(cache_.dir(), "/tmp")));
  int jobs = o_.jobs > 0 ? o_.jobs : std::max(1u, std::thread::hardware_concurrency());
  slots_ = std::make_unique<Counter>(jobs);

  std::vector<std::promise<absl::StatusOr<State>>> promises(df_.stages.size());
  for (auto& p : promises) futures_.push_back(p.get_future().share());
  for (size_t i = 0; i < df_.stages.size(); ++i) {
    if (!needed.count(i)) {
      promises[i].set_value(absl::FailedPreconditionError("stage not built"));
    }
  }
  std::vector<std::thread> threads;
  for (int i : needed) {
    threads.emplace_back([this, i, &promises] { promises[i].set_value(BuildStage(i)); });
  }
  for (std::thread& t : threads) t.join();
  // Report the first failure in stage order.
  for (int i : needed) RETURN_IF_ERROR(futures_[i].get().status());
  RETURN_IF_ERROR(stat_cache_->Save());

  State st = *futures_[target].get();
  BuildResult result;
  st.config.created = Rfc3339(epoch_);
  result.config = st.config;
  result.layers = st.layers;
  ASSIGN_OR_RETURN(result.manifest, oci::WriteImage(cache_.layout(), st.config, st.layers,
                                                    oci::kOciManifest));
  absl::MutexLock l(&mu_);
  result.bases = bases_;
  result.steps = steps_;
  result.cached_steps = cached_;
  result.files_hashed = stat_cache_->files_hashed();
  for (const std::string& k : used_keys_) {
    absl::StatusOr<oci::Digest> d = oci::Digest::Parse(k);
    if (d.ok()) result.step_keys.push_back(*d);
  }
  return result;
}

}  // namespace

absl::StatusOr<BuildResult> Build(const BuildOptions& options, StepCache& cache) {
  Executor e(options, cache);
  return e.Run();
}

absl::Status ExportImage(StepCache& cache, const BuildResult& result, oci::Layout& dest,
                         const std::string& tag) {
  oci::ImageRef image;
  image.manifest_descriptor = result.manifest;
  image.manifest.config.digest = oci::Digest();
  ASSIGN_OR_RETURN(std::string manifest_json, cache.layout().ReadBlob(result.manifest.digest));
  ASSIGN_OR_RETURN(image.manifest, oci::Manifest::Parse(manifest_json));
  RETURN_IF_ERROR(oci::CopyImageBlobs(cache.layout(), dest, image));
  if (tag.empty()) return absl::OkStatus();
  // A rebuild that changed nothing leaves index.json alone (no rewrite, no fsync).
  absl::StatusOr<oci::Descriptor> current = dest.Resolve(tag);
  if (current.ok() && current->digest == result.manifest.digest) return absl::OkStatus();
  RETURN_IF_ERROR(dest.Tag(result.manifest, tag));
  return absl::OkStatus();
}

}  // namespace builder
