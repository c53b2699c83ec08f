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
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "base/arena.h"
#include "base/page_region.h"
#include "builder/dockerfile/parser.h"

namespace builder::instructions {

// The words of a command: views into the Dockerfile's storage (see Dockerfile).
using Words = dockerfile::Words;

struct KeyValue {
  absl::string_view key;
  absl::string_view value;
};

// Build args a command depends on (name -> value), sorted by name.
using BuildArgs = absl::Span<const std::pair<absl::string_view, absl::string_view>>;

struct Mount {
  enum class Type { kBind, kCache, kTmpfs, kSecret, kSsh };
  enum class Sharing { kShared, kPrivate, kLocked };
  Type type = Type::kBind;
  absl::string_view target;
  absl::string_view source;
  absl::string_view from;  // stage name/index or image (bind, cache)
  bool read_only = false;
  absl::string_view id;  // cache / secret / ssh id
  Sharing sharing = Sharing::kShared;
  std::optional<uint32_t> mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<int64_t> size_bytes;  // tmpfs
  bool required = false;              // secret / ssh
  absl::string_view env;              // secret exposed as an environment variable
};

// Parses one `--mount=` value (already expanded). The fields are views of `value` or, for the
// defaults it makes (`/run/secrets/<id>`), of copies in `arena`. InvalidArgument names the bad
// field.
absl::StatusOr<Mount> ParseMount(absl::string_view value, base::Arena* arena);
std::string MountTypeName(Mount::Type type);

// The payloads below are views into the Dockerfile's storage, like Command's fields.
struct FromCmd {
  absl::string_view base_name;   // expanded image reference, or a stage name
  absl::string_view stage_name;  // lower-cased AS name ("" if none)
  absl::string_view platform;    // expanded --platform ("" if none)
};
struct RunCmd {
  enum class Network : uint8_t { kDefault, kNone, kHost };  // --network=default|none|host
  enum class Security : uint8_t { kSandbox, kInsecure };    // --security=sandbox|insecure
  Words command;                                            // shell form: one string
  absl::Span<const dockerfile::Heredoc> files;
  absl::Span<const Mount> mounts;
  bool prepend_shell = true;
  Network network = Network::kDefault;  // also when not given
  Security security = Security::kSandbox;
};
struct CmdCmd {
  Words command;
  bool prepend_shell = true;
};
struct EntrypointCmd {
  Words command;
  bool prepend_shell = true;
};
struct ShellCmd {
  Words shell;
};
struct EnvCmd {
  absl::Span<const KeyValue> env;
};
struct LabelCmd {
  absl::Span<const KeyValue> labels;
};
struct MaintainerCmd {
  absl::string_view maintainer;
};
struct ExposeCmd {
  Words ports;  // normalised "80/tcp"
};
struct CopyCmd {  // COPY and ADD
  bool is_add = false;
  Words sources;
  absl::string_view dest;
  absl::Span<const dockerfile::Heredoc> source_contents;  // heredoc sources (content expanded)
  absl::string_view from;
  absl::string_view chown;
  absl::string_view chmod;
  bool link = false;
  bool parents = false;
  Words excludes;
  absl::string_view checksum;  // ADD
  bool keep_git_dir = false;   // ADD
  std::optional<bool> unpack;  // ADD
};
struct VolumeCmd {
  Words volumes;
};
struct UserCmd {
  absl::string_view user;
};
struct WorkdirCmd {
  absl::string_view path;
};
struct ArgCmd {
  struct Arg {
    absl::string_view key;
    std::optional<absl::string_view> value;  // expanded default
  };
  absl::Span<const Arg> args;
};
struct OnbuildCmd {
  absl::string_view expression;  // the trigger text, as written
};
struct StopSignalCmd {
  absl::string_view signal;
};
struct HealthcheckCmd {
  Words test;  // {"NONE"}, {"CMD", ...} or {"CMD-SHELL", cmd}
  absl::Duration interval = absl::ZeroDuration();
  absl::Duration timeout = absl::ZeroDuration();
  absl::Duration start_period = absl::ZeroDuration();
  absl::Duration start_interval = absl::ZeroDuration();
  int retries = 0;
};

// What the payload of a Command that was never loaded points at.
inline constexpr FromCmd kNoPayload{};

// What kind of command a Command is, and its fields: a pointer to one of the structs above, which
// lives in the Dockerfile's storage like everything else a Command views. Out of line, so that a
// Command is small (80 bytes) whatever its kind. Is/If/As/Visit work as std::holds_alternative,
// std::get_if, std::get and std::visit do on a variant of the structs.
class Payload {
 public:
  template <typename T>
  bool Is() const {
    return std::holds_alternative<const T*>(p_);
  }
  template <typename T>
  const T* If() const {  // nullptr if the payload is of another kind
    const T* const* p = std::get_if<const T*>(&p_);
    return p == nullptr ? nullptr : *p;
  }
  template <typename T>
  const T& As() const {  // throws std::bad_variant_access if the payload is of another kind
    return *std::get<const T*>(p_);
  }
  template <typename F>
  decltype(auto) Visit(F&& f) const {
    return std::visit([&f](const auto* p) -> decltype(auto) { return f(*p); }, p_);
  }
  // Points at `*p`, which must live as long as the Command (in the Dockerfile's storage).
  template <typename T>
  void Set(const T* p) {
    p_ = p;
  }

 private:
  std::variant<const FromCmd*, const RunCmd*, const CmdCmd*, const EntrypointCmd*, const ShellCmd*,
               const EnvCmd*, const LabelCmd*, const MaintainerCmd*, const ExposeCmd*,
               const CopyCmd*, const VolumeCmd*, const UserCmd*, const WorkdirCmd*, const ArgCmd*,
               const OnbuildCmd*, const StopSignalCmd*,
               const HealthcheckCmd*>
      p_ = &kNoPayload;  // an empty FROM until Set
};

struct Command {
  dockerfile::Instruction instruction = dockerfile::Instruction::kUnknown;
  int start_line = 0;
  int end_line = 0;
  absl::string_view original;  // the logical source line
  // Canonical text of the instruction after expansion (flags sorted as written, JSON for exec
  // form). This, not `original`, enters the cache key.
  absl::string_view expanded;
  // Build args whose value this command depends on.
  BuildArgs args_used;
  Payload payload;

  // The upper-case keyword: "RUN", "COPY", ...
  absl::string_view name() const { return dockerfile::InstructionName(instruction); }
};
// A big Dockerfile has thousands: keep them small (payloads are out of line for that).
static_assert(sizeof(void*) != 8 || sizeof(Command) <= 80, "Command grew");

struct Stage {
  int index = 0;
  absl::string_view name;       // lower-cased AS name, "" if none
  absl::string_view base_name;  // expanded FROM reference
  absl::string_view platform;   // expanded --platform
  int base_stage = -1;  // index of the stage FROM refers to, or -1 (image or scratch)
  int start_line = 0;
  absl::Span<const Command> commands;  // commands[0] is the FROM (in the Dockerfile's storage)
  // ENV state at the end of the stage (for debugging and the executor), sorted by key.
  absl::Span<const KeyValue> env;
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
  // The base image's ENV for a FROM that names an image (not a stage), in order, as "K=V" strings
  // (an image config's Env); used for expansion. Default: none (expansion then sees only the
  // Dockerfile's own ENV).
  std::function<std::vector<std::string>(absl::string_view base_name)> base_env;
};

// The typed commands of a Dockerfile. Every view and span in it points into `storage` or into
// the storage of the Ast it was loaded from (kept alive by `ast_storage`): a Dockerfile can be
// copied and moved freely, and what it views lives as long as any copy.
struct Dockerfile {
  std::vector<Stage> stages;
  std::vector<ArgCmd::Arg> global_args;  // ARGs before the first FROM, expanded
  // Build args given but never declared (BuildKit warns about these); proxies are never listed.
  std::vector<std::string> unused_build_args;
  std::shared_ptr<const base::Arena> ast_storage;
  // Expanded words, canonical texts, spans. For a big Dockerfile its blocks come from a
  // PageRegion (storage->region(), base/page_region.h), which what is built from the Dockerfile,
  // its graph, takes memory from too.
  std::shared_ptr<const base::Arena> storage;
};

absl::StatusOr<Dockerfile> Load(const dockerfile::Ast& ast, const LoadOptions& options = {});

// dockerfile::Parse and Load in one pass, without keeping the AST: each instruction is loaded as
// soon as it is read (dockerfile::Parser), so the nodes are never all in memory at once. The same
// result and errors as Parse then Load (a parse error anywhere wins over a load error). Parse's
// warnings are appended to `warnings` (if not null) once the whole file parsed.
absl::StatusOr<Dockerfile> ParseAndLoad(absl::string_view source,
                                        const dockerfile::ParseOptions& parse_options = {},
                                        const LoadOptions& options = {},
                                        std::vector<std::string>* warnings = nullptr);
// The same, taking over `source` instead of copying it (the Dockerfile keeps it).
absl::StatusOr<Dockerfile> ParseAndLoad(std::string&& source,
                                        const dockerfile::ParseOptions& parse_options = {},
                                        const LoadOptions& options = {},
                                        std::vector<std::string>* warnings = nullptr);
inline absl::StatusOr<Dockerfile> ParseAndLoad(const char* source,
                                               const dockerfile::ParseOptions& parse_options = {},
                                               const LoadOptions& options = {},
                                               std::vector<std::string>* warnings = nullptr) {
  return ParseAndLoad(absl::string_view(source), parse_options, options, warnings);
}

// Load, one instruction at a time: Add each of an Ast's children in order, then Finish with the
// Ast (whose storage the commands view). Load and ParseAndLoad are exactly that. After an error,
// Add and Finish return that error. Not thread-safe.
class Loader {
 public:
  // `options` must outlive the Loader. `size_hint`: about how many bytes the commands will make
  // (the source's size is a good guess). `region`: where the commands' storage gets its blocks
  // while it has room (Parser::region()); null for the heap.
  Loader(const LoadOptions& options, absl::string_view file_name, char32_t escape,
         size_t size_hint = 0, std::shared_ptr<base::PageRegion> region = nullptr);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Converts the next instruction. InvalidArgument "<file>:<line>: <reason>" on a bad one.
  absl::Status Add(const dockerfile::Node& node);
  // The Dockerfile, once every instruction of `ast` was added.
  absl::StatusOr<Dockerfile> Finish(const dockerfile::Ast& ast);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

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
