// Loader and Load (declared in instructions.h): the instructions of an Ast, in order, into stages
// of typed commands with BuildKit's ARG scoping.
#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "builder/instructions/convert.h"
#include "builder/instructions/expand.h"
#include "builder/instructions/instructions.h"
#include "builder/instructions/scope.h"
#include "builder/instructions/validate.h"
#include "builder/shell/unicode.h"

namespace builder::instructions {
namespace {

using dockerfile::Instruction;
using dockerfile::Node;

constexpr absl::string_view kPredefinedArgs[] = {"TARGETPLATFORM", "TARGETOS",     "TARGETARCH",
                                                 "TARGETVARIANT",  "BUILDPLATFORM", "BUILDOS",
                                                 "BUILDARCH",      "BUILDVARIANT"};

// The scope's ENV, sorted by name, in the arena (a stage's final ENV).
absl::Span<const KeyValue> SortedEnv(const Scope& scope, base::Arena* arena) {
  absl::Span<KeyValue> env = arena->NewArray<KeyValue>(scope.env().entries().size());
  for (size_t i = 0; i < env.size(); ++i) {
    env[i] = {scope.env().entries()[i].first, scope.env().entries()[i].second};
  }
  SortByName(env, [](const KeyValue& kv) { return kv.key; });
  return env;
}

// False if `base`, lower-cased, is not a valid stage name (ValidStageName), so names no stage:
// most FROM lines name an image (`alpine:3.19`, `registry/x`), which then needs no lower-cased
// copy and no lookup.
bool CouldNameStage(absl::string_view base) {
  if (base.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(base[0]))) return false;
  for (char c : base) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

// Everything a Loader keeps between instructions.
struct Loader::State {
  State(const LoadOptions& options, std::string file_name, char32_t escape, size_t size_hint,
        std::shared_ptr<base::PageRegion> region)
      : file(std::move(file_name)),
        storage(std::make_shared<base::Arena>(size_hint, std::move(region))),
        ctx{options, file, shell::Lexer(shell::LexOptions{escape}), storage.get()} {}

  const std::string file;
  std::shared_ptr<base::Arena> storage;  // what the commands make: expansions, texts, spans
  Ctx ctx;
  Dockerfile df;
  Scope global;  // predefined platform args, then ARGs before the first FROM
  FromExpander from_expander;  // FROM lines' expansions in the (by then complete) global scope
  Scope stage_scope;
  int stage = -1;  // the stage being loaded, or -1 before the first FROM
  // Its commands so far: copied to the arena, one after the other, when the stage ends (how many
  // there will be is not known before).
  std::vector<Command> commands;
  // Stage names -> index, for duplicate names and FROM <stage> (names are unique).
  absl::flat_hash_map<absl::string_view, int> stage_by_name;
  absl::Status error;  // the first error; nothing is added after it

  absl::Status Located(const Node& n, const absl::Status& s) const {
    return dockerfile::LocatedError(file, n.start_line, s.message());
  }
  // `s`, kept as the error if it is one (Add returns through here).
  absl::Status Kept(absl::Status s) {
    if (!s.ok()) error = s;
    return s;
  }
  // The ENV state after the stage's last command is kept once, when the stage ends: what the
  // stage inherited from its base stage (or image) plus its own ENV lines, even when the stage is
  // nothing but its FROM (a later `FROM <that stage>` inherits it).
  void EndStage() {
    if (stage < 0) return;
    df.stages[stage].env = SortedEnv(stage_scope, storage.get());
    df.stages[stage].commands = storage->CopyArray(absl::Span<const Command>(commands));
    commands.clear();
  }
  absl::Status AddFrom(const Node& n);
  // A FROM, or a line before the first FROM: out of line, so that Add (a line inside a stage, the
  // usual case) saves and restores fewer registers.
  ABSL_ATTRIBUTE_NOINLINE absl::Status AddOutsideStage(const Node& n);
  // A stage-level ARG without a value takes the global default: carried in just for this line.
  ABSL_ATTRIBUTE_NOINLINE void CarryGlobalDefaults(const Node& n);
  // Kept(Located(n, s)). Out of line, like the two above: Add, the usual line, then saves and
  // restores fewer registers.
  ABSL_ATTRIBUTE_NOINLINE absl::Status Fail(const Node& n, const absl::Status& s);
  // Keeps its error (Kept): nothing is added after it.
  absl::Status Add(const Node& n);
};

Loader::Loader(const LoadOptions& options, absl::string_view file_name, char32_t escape,
               size_t size_hint, std::shared_ptr<base::PageRegion> region)
    : state_(std::make_unique<State>(options,
                                     file_name.empty() ? "Dockerfile" : std::string(file_name),
                                     escape, size_hint + 4096, std::move(region))) {
  base::Arena* arena = state_->storage.get();
  for (const auto& [name, value] : options.build_args) {
    state_->ctx.build_args.Set(arena->Copy(name), arena->Copy(value));
  }
  const Platform& tp = options.target_platform;
  const Platform& bp = options.build_platform;
  const std::string predefined_values[] = {tp.ToString(), tp.os, tp.arch, tp.variant,
                                           bp.ToString(), bp.os, bp.arch, bp.variant};
  for (size_t i = 0; i < 8; ++i) {
    state_->global.SetArg(kPredefinedArgs[i], arena->Copy(predefined_values[i]));
  }
}

Loader::~Loader() = default;

absl::Status Loader::Add(const Node& n) {
  State& st = *state_;
  // State::Add keeps its error itself, so that the usual line is a tail call here.
  if (ABSL_PREDICT_TRUE(st.error.ok())) return st.Add(n);
  return st.error;
}

absl::Status Loader::State::AddFrom(const Node& n) {
  EndStage();
  Stage& s = df.stages.emplace_back();
  stage = s.index = static_cast<int>(df.stages.size()) - 1;
  RETURN_IF_ERROR(ConvertFrom(ctx, n, global, &from_expander, &s, &commands.emplace_back()));
  if (!s.name.empty() && !stage_by_name.emplace(s.name, s.index).second) {
    return Err(absl::StrCat("duplicate stage name ", shell::GoQuote(s.name)));
  }
  stage_scope.Clear();
  if (CouldNameStage(s.base_name)) {
    auto prev = stage_by_name.find(absl::AsciiStrToLower(s.base_name));
    if (prev != stage_by_name.end() && prev->second != s.index) {
      s.base_stage = prev->second;
      // The image config (ENV) is inherited, ARGs are not.
      for (const KeyValue& kv : df.stages[prev->second].env) stage_scope.SetEnv(kv.key, kv.value);
    }
  }
  if (s.base_stage < 0 && ctx.options.base_env && !absl::EqualsIgnoreCase(s.base_name, "scratch")) {
    for (const std::string& e : ctx.options.base_env(s.base_name)) {
      size_t eq = e.find('=');
      absl::string_view entry = storage->Copy(e);
      stage_scope.SetEnv(entry.substr(0, eq),
                         eq == std::string::npos ? absl::string_view() : entry.substr(eq + 1));
    }
  }
  return absl::OkStatus();
}

absl::Status Loader::State::AddOutsideStage(const Node& n) {
  const Instruction k = n.instruction;
  if (k == Instruction::kFrom) {
    absl::Status s = AddFrom(n);
    return s.ok() ? s : Located(n, s);
  }
  if (k != Instruction::kArg) {
    if (k == Instruction::kUnknown) return Located(n, UnknownInstruction(n.keyword));
    return Located(n, Err(absl::StrCat(dockerfile::InstructionName(k),
                                       ": no build stage in current context (only ARG may "
                                       "come before the first FROM)")));
  }
  Command cmd;
  absl::Status s = ConvertCommand(ctx, n, &global, &cmd);
  if (!s.ok()) return Located(n, s);
  for (const auto& a : cmd.payload.As<ArgCmd>().args) df.global_args.push_back(a);
  return absl::OkStatus();
}

void Loader::State::CarryGlobalDefaults(const Node& n) {
  for (absl::string_view word : n.args) {
    if (word.find('=') != absl::string_view::npos || stage_scope.args().Has(word)) continue;
    if (const auto* g = global.args().FindEntry(word)) stage_scope.SetArg(g->first, g->second);
  }
}

absl::Status Loader::State::Fail(const Node& n, const absl::Status& s) {
  return Kept(Located(n, s));
}

absl::Status Loader::State::Add(const Node& n) {
  const Instruction k = n.instruction;
  if (k == Instruction::kFrom || stage < 0) return Kept(AddOutsideStage(n));
  if (k == Instruction::kArg) CarryGlobalDefaults(n);
  absl::Status s = ConvertCommand(ctx, n, &stage_scope, &commands.emplace_back());
  return s.ok() ? s : Fail(n, s);
}

absl::StatusOr<Dockerfile> Loader::Finish(const dockerfile::Ast& ast) {
  State& st = *state_;
  RETURN_IF_ERROR(st.error);
  st.EndStage();
  if (st.df.stages.empty()) {
    return dockerfile::LocatedError(st.file, ast.end_line, "no FROM instruction: nothing to build");
  }
  for (const auto& [name, value] : st.ctx.options.build_args) {
    bool predefined = std::find(std::begin(kPredefinedArgs), std::end(kPredefinedArgs),
                                absl::string_view(name)) != std::end(kPredefinedArgs);
    if (!st.ctx.declared.contains(name) && !IsProxyArg(name) && !predefined) {
      st.df.unused_build_args.push_back(name);
    }
  }
  st.df.ast_storage = ast.storage;
  st.df.storage = std::move(st.storage);
  return std::move(st.df);
}

absl::StatusOr<Dockerfile> Load(const dockerfile::Ast& ast, const LoadOptions& options) {
  // What the commands make is about as much as the source.
  Loader loader(options, ast.file_name, ast.escape,
                ast.storage == nullptr ? 0 : ast.storage->used(),
                ast.storage == nullptr ? nullptr : ast.storage->region());
  for (const Node& n : ast.children) RETURN_IF_ERROR(loader.Add(n));
  return loader.Finish(ast);
}

}  // namespace builder::instructions
