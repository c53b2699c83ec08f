// Typed, validated and expanded Dockerfile instructions, grouped into build stages.
//
// Load() turns a parsed Ast (builder/dockerfile) into stages of typed commands with BuildKit's rules:
// every instruction's flags and arguments are validated (EXPOSE ports, HEALTHCHECK durations,
// ONBUILD triggers, COPY/ADD flags, RUN --mount/--network/--security, ...), variables are expanded
// where BuildKit expands them, and ARG scoping is applied: ARGs before the first FROM are visible
// only in FROM lines unless a stage redeclares them; `--build-arg` overrides defaults; ENV wins over
// ARG; TARGET*/BUILD* platform args are predefined in the global scope; proxy args reach RUN without
// a declaration. Each command records the build args its expansion used, which enter its cache key.
//
// The base image's own ENV is unknown before it is pulled: LoadOptions::base_env lets the executor
// supply it so `ENV PATH=$PATH:/x` expands exactly as BuildKit would. Load is a pure function.
#ifndef SLIPWAY_BUILDER_INSTRUCTIONS_INSTRUCTIONS_H_
#define SLIPWAY_BUILDER_INSTRUCTIONS_INSTRUCTIONS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "builder/dockerfile/parser.h"

namespace builder::instructions {

struct KeyValue {
  std::string key;
  std::string value;
};

struct Mount {
  enum class Type { kBind, kCache, kTmpfs, kSecret, kSsh };
  enum class Sharing { kShared, kPrivate, kLocked };
  Type type = Type::kBind;
  std::string target;
  std::string source;
  std::string from;      // stage name/index or image (bind, cache)
  bool read_only = false;
  std::string id;        // cache / secret / ssh id
  Sharing sharing = Sharing::kShared;
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<int64_t> size_bytes;  // tmpfs
  bool required = false;              // secret / ssh
  std::string env;                    // secret exposed as an environment variable
};

// Parses one `--mount=` value (already expanded). InvalidArgument names the bad field.
absl::StatusOr<Mount> ParseMount(absl::string_view value);
std::string MountTypeName(Mount::Type type);

struct FromCmd {
  std::string base_name;  // expanded image reference, or a stage name
  std::string stage_name;  // lower-cased AS name ("" if none)
  std::string platform;    // expanded --platform ("" if none)
};
struct RunCmd {
  std::vector<std::string> command;  // shell form: one string
  bool prepend_shell = true;
  std::vector<dockerfile::Heredoc> files;
  std::vector<Mount> mounts;
  std::string network;   // "", "default", "none", "host"
  std::string security;  // "", "sandbox", "insecure"
};
struct CmdCmd {
  std::vector<std::string> command;
  bool prepend_shell = true;
};
struct EntrypointCmd {
  std::vector<std::string> command;
  bool prepend_shell = true;
};
struct ShellCmd {
  std::vector<std::string> shell;
};
struct EnvCmd {
  std::vector<KeyValue> env;
};
struct LabelCmd {
  std::vector<KeyValue> labels;
};
struct MaintainerCmd {
  std::string maintainer;
};
struct ExposeCmd {
  std::vector<std::string> ports;  // normalised "80/tcp"
};
struct CopyCmd {  // COPY and ADD
  bool is_add = false;
  std::vector<std::string> sources;
  std::string dest;
  std::vector<dockerfile::Heredoc> source_contents;  // heredoc sources
  std::string from;
  std::string chown;
  std::string chmod;
  bool link = false;
  bool parents = false;
  std::vector<std::string> excludes;
  std::string checksum;       // ADD
  bool keep_git_dir = false;  // ADD
  std::optional<bool> unpack;  // ADD
};
struct VolumeCmd {
  std::vector<std::string> volumes;
};
struct UserCmd {
  std::string user;
};
struct WorkdirCmd {
  std::string path;
};
struct ArgCmd {
  struct Arg {
    std::string key;
    std::optional<std::string> value;  // expanded default
  };
  std::vector<Arg> args;
};
struct OnbuildCmd {
  std::string expression;  // the trigger text, as written
};
struct StopSignalCmd {
  std::string signal;
};
struct HealthcheckCmd {
  std::vector<std::string> test;  // {"NONE"}, {"CMD", ...} or {"CMD-SHELL", cmd}
  absl::Duration interval = absl::ZeroDuration();
  absl::Duration timeout = absl::ZeroDuration();
  absl::Duration start_period = absl::ZeroDuration();
  absl::Duration start_interval = absl::ZeroDuration();
  int retries = 0;
};

using Payload = std::variant<FromCmd, RunCmd, CmdCmd, EntrypointCmd, ShellCmd, EnvCmd, LabelCmd,
                             MaintainerCmd, ExposeCmd, CopyCmd, VolumeCmd, UserCmd, WorkdirCmd,
                             ArgCmd, OnbuildCmd, StopSignalCmd, HealthcheckCmd>;

struct Command {
  std::string name;  // upper-case keyword: "RUN", "COPY", ...
  int start_line = 0;
  int end_line = 0;
  std::string original;  // the logical source line
  // Canonical text of the instruction after expansion (flags sorted as written, JSON for exec
  // form). This, not `original`, enters the cache key.
  std::string expanded;
  // Build args (name -> value) whose value this command depends on.
  std::map<std::string, std::string> args_used;
  Payload payload;
};

struct Stage {
  int index = 0;
  std::string name;       // lower-cased AS name, "" if none
  std::string base_name;  // expanded FROM reference
  std::string platform;   // expanded --platform
  int base_stage = -1;    // index of the stage FROM refers to, or -1 (image or scratch)
  int start_line = 0;
  std::vector<Command> commands;  // commands[0] is the FROM
  // ARG/ENV state at the end of the stage (for debugging and the executor).
  std::map<std::string, std::string> env;
};

struct Platform {
  std::string os = "linux";
  std::string arch;     // defaults to the host's (amd64, arm64, ...)
  std::string variant;  // e.g. "v7"
  std::string ToString() const;
};
absl::StatusOr<Platform> ParsePlatform(absl::string_view text);
Platform HostPlatform();

struct LoadOptions {
  // `--build-arg K=V` values. Default: none.
  std::map<std::string, std::string> build_args;
  // TARGETPLATFORM and BUILDPLATFORM. Default: the host's.
  Platform target_platform = HostPlatform();
  Platform build_platform = HostPlatform();
  // The base image's ENV for a FROM that names an image (not a stage), in order; used for
  // expansion. Default: none (expansion then sees only the Dockerfile's own ENV).
  std::function<std::vector<KeyValue>(const std::string& base_name)> base_env;
};

struct Dockerfile {
  std::vector<Stage> stages;
  std::vector<ArgCmd::Arg> global_args;  // ARGs before the first FROM, expanded
  // Build args given but never declared (BuildKit warns about these); proxies are never listed.
  std::vector<std::string> unused_build_args;
};

absl::StatusOr<Dockerfile> Load(const dockerfile::Ast& ast, const LoadOptions& options = {});
// The same, for a caller that has no further use for the AST: strings that commands keep as they
// are (`original`, RUN/CMD/ENTRYPOINT arguments, RUN heredocs) are moved out of it instead of
// copied, and `ast` is left valid but unspecified.
absl::StatusOr<Dockerfile> Load(dockerfile::Ast&& ast, const LoadOptions& options = {});

// Finds the stage named `name` (case-insensitive) or with index `name`; -1 if none.
int FindStage(const Dockerfile& df, absl::string_view name);

// Args that RUN sees without an ARG line, and that never enter a cache key (as in BuildKit).
bool IsProxyArg(absl::string_view name);

// The closest known instruction to `word` for "did you mean" hints ("" if nothing is close).
std::string SuggestInstruction(absl::string_view word);

// Parses Go's time.ParseDuration syntax ("1m30s", "500ms"). InvalidArgument on bad input.
absl::StatusOr<absl::Duration> ParseGoDuration(absl::string_view text);

}  // namespace builder::instructions

#endif  // SLIPWAY_BUILDER_INSTRUCTIONS_INSTRUCTIONS_H_
