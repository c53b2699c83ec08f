#include "builder/instructions/convert.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "builder/instructions/canonical_text.h"
#include "builder/instructions/flags.h"
#include "builder/instructions/validate.h"
#include "builder/shell/unicode.h"

namespace builder::instructions {

using dockerfile::Instruction;
using dockerfile::Node;
namespace {

// A payload of kind T for `out`, in the arena: T() to be filled in, or a copy of `value`.
template <typename T>
T& NewPayload(Ctx& ctx, Command* out) {
  T* p = ctx.arena->New<T>();
  out->payload.Set(p);
  return *p;
}
template <typename T>
void NewPayload(Ctx& ctx, Command* out, const T& value) {
  out->payload.Set(ctx.arena->New<T>(value));
}

// For an instruction that accepts no flags: the error Flags gives for the flags given, if any. Most
// lines have none, and build no Flags.
absl::Status NoFlags(absl::string_view instruction, Words given) {
  return given.empty() ? absl::OkStatus() : Flags(instruction, {}).Parse(given);
}

// True if the canonical text `<name> <words[0]>` is `n`'s line exactly as written: the keyword is
// `name` (as cased here), no flags, and the one word is the view of the rest of that same line.
// Then it need not be built (most RUN, CMD, WORKDIR... lines). Inline: for RUN, with `name` a
// constant, the keyword compare is a few instructions, not a loop behind a call.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool NameThenWord(const Node& n, absl::string_view name,
                                                      Words words) {
  if (words.size() != 1 || !n.flags.empty()) return false;
  const absl::string_view line = n.original;
  const absl::string_view word = words[0];
  const size_t k = name.size();
  // The cheap checks first; then the keyword as written (`line`'s first k bytes) must be `name`
  // byte for byte: a short loop, not a memcmp call.
  if (line.data() != n.keyword.data() || n.keyword.size() != k ||
      line.size() != k + 1 + word.size() || word.data() != line.data() + k + 1 || line[k] != ' ') {
    return false;
  }
  for (size_t i = 0; i < k; ++i) {
    if (line[i] != name[i]) return false;
  }
  return true;
}

// RUN's --mount, --network and --security, into `run` and (as flags) the canonical text.
absl::Status ApplyRunFlags(Ctx& ctx, const Flags& flags, const Scope& scope, RunCmd* run) {
  Text& text = ctx.text;
  Words raw_mounts = flags.List("mount");
  absl::Span<Mount> mounts = ctx.arena->NewArray<Mount>(raw_mounts.size());
  for (size_t i = 0; i < raw_mounts.size(); ++i) {
    bool quote;
    ASSIGN_OR_RETURN(absl::string_view v, Expand(ctx, scope, raw_mounts[i], &quote));
    absl::StatusOr<Mount> m = ParseMount(v, ctx.arena);
    if (!m.ok()) return Err(absl::StrCat("--mount=", v, ": ", m.status().message()));
    mounts[i] = *m;
    AppendFlagKnown("--mount=", v, quote, &text);
  }
  run->mounts = mounts;
  if (absl::string_view network = flags.String("network"); !network.empty()) {
    if (network == "none") {
      run->network = RunCmd::Network::kNone;
    } else if (network == "host") {
      run->network = RunCmd::Network::kHost;
    } else if (network != "default") {
      return Err(absl::StrCat("unsupported network mode ", shell::GoQuote(network),
                              ": want default, none or host"));
    }
    AppendFlag("--network=", network, &text);
  }
  if (absl::string_view security = flags.String("security"); !security.empty()) {
    if (security == "insecure") {
      run->security = RunCmd::Security::kInsecure;
    } else if (security != "sandbox") {
      return Err(absl::StrCat("unsupported security mode ", shell::GoQuote(security),
                              ": want sandbox or insecure"));
    }
    AppendFlag("--security=", security, &text);
  }
  return absl::OkStatus();
}

// A RUN payload for `n`, its fields as written; the flags' fields are left at their defaults.
RunCmd& NewRun(Ctx& ctx, const Node& n, Command* out) {
  RunCmd& run = NewPayload<RunCmd>(ctx, out);  // filled in place
  run.command = n.args;
  run.prepend_shell = !n.json;
  run.files = n.heredocs;
  return run;
}

// Any RUN: flags, exec form, heredocs, a line written otherwise than its canonical text.
ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertRunGeneral(Ctx& ctx, const Node& n, Scope* scope,
                                                       Command* out) {
  static constexpr FlagSpec kRunFlags[] = {{"mount", FlagKind::kList},
                                           {"network", FlagKind::kString},
                                           {"security", FlagKind::kString}};
  Flags flags("RUN", kRunFlags);
  RETURN_IF_ERROR(flags.Parse(n.flags));
  if (n.args.empty() && n.heredocs.empty()) return Err("RUN requires at least one argument");
  RunCmd& run = NewRun(ctx, n, out);
  // The canonical text, "RUN", the flags, the command.
  Text& text = ctx.text;
  text = "RUN";
  if (!n.flags.empty()) RETURN_IF_ERROR(ApplyRunFlags(ctx, flags, *scope, &run));
  // The command sees every ARG in scope as an environment variable, so all of them are inputs
  // (what the mounts read is among them).
  ctx.used.SetAll(scope->VisibleArgs(ctx.arena));
  text.push_back(' ');
  if (n.json) {
    AppendJsonArray(run.command, &text);
  } else if (!run.command.empty()) {
    text.append(run.command[0].data(), run.command[0].size());
  }
  AppendHeredocs(run.files, &text);
  return absl::OkStatus();
}

absl::Status ConvertRun(Ctx& ctx, const Node& n, Scope* scope, Command* out) {
  // Most RUN lines are shell form, without flags or heredocs, and written as their canonical text
  // (`RUN make`): nothing to parse or build then. What ConvertRunGeneral makes of such a line:
  // the payload, every visible ARG as inputs, and the line itself as the text.
  if (n.json || !n.heredocs.empty() || !NameThenWord(n, "RUN", n.args)) {
    return ConvertRunGeneral(ctx, n, scope, out);
  }
  NewRun(ctx, n, out);
  ctx.used.SetAll(scope->VisibleArgs(ctx.arena));
  ctx.text_is_original = true;
  return absl::OkStatus();
}

// COPY and ADD.
ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertCopy(Ctx& ctx, const Node& n, Scope* scope,
                                                 Command* out) {
  bool add = n.instruction == Instruction::kAdd;
  static constexpr FlagSpec kCopy[] = {
      {"chown", FlagKind::kString}, {"chmod", FlagKind::kString}, {"link", FlagKind::kBool},
      {"exclude", FlagKind::kList}, {"from", FlagKind::kString},  {"parents", FlagKind::kBool}};
  static constexpr FlagSpec kAdd[] = {
      {"chown", FlagKind::kString},    {"chmod", FlagKind::kString},
      {"link", FlagKind::kBool},       {"exclude", FlagKind::kList},
      {"checksum", FlagKind::kString}, {"keep-git-dir", FlagKind::kBool},
      {"unpack", FlagKind::kBool}};
  Flags flags(out->name(),
              add ? absl::Span<const FlagSpec>(kAdd) : absl::Span<const FlagSpec>(kCopy));
  RETURN_IF_ERROR(flags.Parse(n.flags));
  if (n.args.size() < 2) {
    return Err(absl::StrCat(out->name(), " requires at least two arguments, but only ",
                            n.args.size() == 1 ? "one was" : "none were",
                            " provided. Destination could not be determined"));
  }
  CopyCmd& copy = NewPayload<CopyCmd>(ctx, out);
  copy.is_add = add;
  Text& text = ctx.text;
  text = out->name();
  struct StringFlag {
    const char* name_eq;
    absl::string_view CopyCmd::*field;
  };
  static constexpr StringFlag kStringFlags[] = {{"--from=", &CopyCmd::from},
                                                {"--chown=", &CopyCmd::chown},
                                                {"--chmod=", &CopyCmd::chmod},
                                                {"--checksum=", &CopyCmd::checksum}};
  for (const StringFlag& f : kStringFlags) {
    absl::string_view name = absl::string_view(f.name_eq + 2);
    name.remove_suffix(1);
    if (!flags.Has(name)) continue;
    ASSIGN_OR_RETURN(absl::string_view v, Expand(ctx, *scope, flags.String(name)));
    AppendFlag(f.name_eq, v, &text);
    copy.*f.field = v;
  }
  if (flags.Has("from") && copy.from.empty()) return Err("--from must not be empty");
  if (!copy.chmod.empty() && !ValidChmod(copy.chmod)) {
    return Err(absl::StrCat("invalid chmod parameter ", shell::GoQuote(copy.chmod),
                            ": want octal (0755) or symbolic (u+x,g-w)"));
  }
  if (flags.Has("chown") && copy.chown.empty()) return Err("--chown must not be empty");
  Words raw_excludes = flags.List("exclude");
  absl::Span<absl::string_view> excludes =
      ctx.arena->NewArray<absl::string_view>(raw_excludes.size());
  for (size_t i = 0; i < raw_excludes.size(); ++i) {
    ASSIGN_OR_RETURN(excludes[i], Expand(ctx, *scope, raw_excludes[i]));
    AppendFlag("--exclude=", excludes[i], &text);
  }
  copy.excludes = excludes;
  copy.link = flags.Bool("link").value_or(false);
  if (copy.link) text.append(" --link");
  copy.parents = flags.Bool("parents").value_or(false);
  if (copy.parents) text.append(" --parents");
  copy.keep_git_dir = flags.Bool("keep-git-dir").value_or(false);
  if (copy.keep_git_dir) text.append(" --keep-git-dir");
  copy.unpack = flags.Bool("unpack");
  if (copy.unpack) text.append(*copy.unpack ? " --unpack=true" : " --unpack=false");
  std::vector<absl::string_view>& sources = ctx.words;
  sources.clear();
  absl::InlinedVector<dockerfile::Heredoc, 2> docs;
  size_t next_doc = 0;
  for (size_t i = 0; i + 1 < n.args.size(); ++i) {
    size_t doc;
    if (!n.json && !n.heredocs.empty() && IsHeredocWord(n.args[i], n.heredocs, &doc) &&
        doc >= next_doc) {
      dockerfile::Heredoc h = n.heredocs[doc];
      if (h.expand) {
        // An unquoted delimiter expands variables in the content, as BuildKit does; quotes and
        // escape characters in the file's text stay as written.
        shell::LexOptions raw = ctx.lexer.options();
        raw.raw_quotes = true;
        raw.raw_escapes = true;
        absl::StatusOr<shell::ProcessResult> r =
            shell::Lexer(raw).ProcessUnsplit(h.content, *scope);
        if (!r.ok()) return r.status();
        ctx.used.Note(*scope, r->matched);
        h.content = ctx.arena->Copy(r->word);
      }
      docs.push_back(h);
      next_doc = doc + 1;
      continue;
    }
    ASSIGN_OR_RETURN(absl::string_view v, Expand(ctx, *scope, n.args[i]));
    sources.push_back(v);
  }
  ASSIGN_OR_RETURN(copy.dest, Expand(ctx, *scope, n.args.back()));
  if (!copy.checksum.empty()) {
    for (absl::string_view s : sources) {
      if (!absl::StartsWith(s, "http://") && !absl::StartsWith(s, "https://") &&
          !absl::StartsWith(s, "git@") && !absl::EndsWith(s, ".git") &&
          !absl::StartsWith(s, "git://")) {
        return Err(absl::StrCat("checksum can't be specified for non-HTTP(S)/git source ",
                                shell::GoQuote(s)));
      }
    }
  }
  copy.sources = ctx.arena->CopyArray(Words(sources));
  copy.source_contents = ctx.arena->CopyArray(absl::Span<const dockerfile::Heredoc>(docs));
  for (absl::string_view s : copy.sources) {
    text.push_back(' ');
    AppendWord(s, &text);
  }
  for (const dockerfile::Heredoc& h : copy.source_contents) {
    text.append(" <<");
    AppendWord(h.name, &text);
  }
  text.push_back(' ');
  AppendWord(copy.dest, &text);
  AppendHeredocs(copy.source_contents, &text);
  return absl::OkStatus();
}

ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertArg(Ctx& ctx, const Node& n, Scope* scope,
                                                Command* out) {
  RETURN_IF_ERROR(NoFlags("ARG", n.flags));
  if (n.args.empty()) return Err("ARG requires at least one argument");
  absl::Span<ArgCmd::Arg> args = ctx.arena->NewArray<ArgCmd::Arg>(n.args.size());
  Text& text = ctx.text;
  text = "ARG";
  for (size_t i = 0; i < n.args.size(); ++i) {
    absl::string_view word = n.args[i];
    ArgCmd::Arg& a = args[i];
    size_t eq = word.find('=');
    a.key = word.substr(0, eq);
    if (a.key.empty()) return Err("ARG names can not be blank");
    if (eq != absl::string_view::npos) {
      ASSIGN_OR_RETURN(a.value, Expand(ctx, *scope, word.substr(eq + 1)));
    }
    std::optional<absl::string_view> effective = a.value;
    if (const absl::string_view* over = ctx.build_args.Find(a.key)) {
      ctx.declared.insert(a.key);  // only build args are asked about (unused_build_args)
      effective = *over;
    } else if (!a.value.has_value()) {
      // A global default carried in (see Load).
      if (const auto* prior = scope->args().Find(a.key)) effective = *prior;
    }
    scope->SetArg(a.key, effective);
    if (effective) ctx.used.Use(a.key, *effective);
    text.push_back(' ');
    AppendWord(a.key, &text);
    if (effective) {
      text.push_back('=');
      AppendWord(*effective, &text);
    }
    a.value = effective;
  }
  NewPayload(ctx, out, ArgCmd{args});
  return absl::OkStatus();
}

ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertHealthcheck(Ctx& ctx, const Node& n, Command* out) {
  static constexpr FlagSpec kHealthcheckFlags[] = {{"interval", FlagKind::kString},
                                                   {"timeout", FlagKind::kString},
                                                   {"start-period", FlagKind::kString},
                                                   {"start-interval", FlagKind::kString},
                                                   {"retries", FlagKind::kString}};
  Flags flags("HEALTHCHECK", kHealthcheckFlags);
  RETURN_IF_ERROR(flags.Parse(n.flags));
  if (n.args.empty()) return Err("HEALTHCHECK requires at least one argument");
  HealthcheckCmd hc;
  std::string typ = absl::AsciiStrToUpper(n.args[0]);
  if (typ == "NONE") {
    if (n.args.size() > 1 || !n.flags.empty()) return Err("HEALTHCHECK NONE takes no arguments");
    static constexpr absl::string_view kNone[] = {"NONE"};
    hc.test = kNone;
  } else if (typ == "CMD") {
    if (n.args.size() < 2) return Err("Missing command after HEALTHCHECK CMD");
    std::vector<absl::string_view>& test = ctx.words;
    test.clear();
    if (n.json) {
      test.push_back("CMD");
      test.insert(test.end(), n.args.begin() + 1, n.args.end());
    } else {
      test = {"CMD-SHELL", n.args[1]};
    }
    hc.test = ctx.arena->CopyArray(Words(test));
    ASSIGN_OR_RETURN(hc.interval, ParseInterval(flags, "interval"));
    ASSIGN_OR_RETURN(hc.timeout, ParseInterval(flags, "timeout"));
    ASSIGN_OR_RETURN(hc.start_period, ParseInterval(flags, "start-period"));
    ASSIGN_OR_RETURN(hc.start_interval, ParseInterval(flags, "start-interval"));
    absl::string_view retries = flags.String("retries");
    if (!retries.empty()) {
      if (!absl::SimpleAtoi(retries, &hc.retries)) {
        return Err(absl::StrCat("--retries: invalid number ", shell::GoQuote(retries)));
      }
      if (hc.retries < 0) return Err("--retries cannot be negative");
    }
  } else {
    return Err(absl::StrCat("Unknown type ", shell::GoQuote(n.args[0]),
                            " in HEALTHCHECK (try CMD)"));
  }
  ctx.text = "HEALTHCHECK";
  AppendFlags(n.flags, &ctx.text);
  ctx.text.push_back(' ');
  AppendJsonArray(hc.test, &ctx.text);
  NewPayload(ctx, out, hc);
  return absl::OkStatus();
}

// CMD and ENTRYPOINT.
ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertCmdOrEntrypoint(Ctx& ctx, const Node& n, Command* out) {
  const Instruction k = n.instruction;
  Text& text = ctx.text;
  RETURN_IF_ERROR(NoFlags(out->name(), n.flags));
  if (!n.json && NameThenWord(n, out->name(), n.args)) {
    ctx.text_is_original = true;
  } else {
    text = absl::StrCat(out->name(), " ");
    if (n.json) {
      AppendJsonArray(n.args, &text);
    } else if (!n.args.empty()) {
      text.append(n.args[0].data(), n.args[0].size());
    }
  }
  if (k == Instruction::kCmd) {
    NewPayload(ctx, out, CmdCmd{n.args, !n.json});
  } else {
    NewPayload(ctx, out, EntrypointCmd{n.args, !n.json});
  }
  return absl::OkStatus();
}

ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertShell(Ctx& ctx, const Node& n, Command* out) {
  Text& text = ctx.text;
  RETURN_IF_ERROR(NoFlags("SHELL", n.flags));
  if (!n.json) return Err("SHELL requires the arguments to be in JSON form");
  if (n.args.empty()) return Err("SHELL requires at least one argument");
  text = "SHELL ";
  AppendJsonArray(n.args, &text);
  NewPayload(ctx, out, ShellCmd{n.args});
  return absl::OkStatus();
}

// ENV and LABEL: `NAME k=v k2=v2`; ENV sets its pairs in `scope`.
ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertEnvOrLabel(Ctx& ctx, const Node& n, Scope* scope,
                                                       Command* out) {
  const Instruction k = n.instruction;
  Text& text = ctx.text;
  RETURN_IF_ERROR(NoFlags(out->name(), n.flags));
  if (n.args.empty()) return Err(absl::StrCat(out->name(), " requires at least one argument"));
  absl::Span<KeyValue> kvs = ctx.arena->NewArray<KeyValue>(n.args.size() / 3);
  text = out->name();
  for (size_t i = 0; i + 2 < n.args.size(); i += 3) {
    KeyValue& kv = kvs[i / 3];
    bool quote_key, quote_value;
    ASSIGN_OR_RETURN(kv.key, Expand(ctx, *scope, n.args[i], &quote_key));
    ASSIGN_OR_RETURN(kv.value, Expand(ctx, *scope, n.args[i + 1], &quote_value));
    if (kv.key.empty()) return Err(absl::StrCat(out->name(), " names can not be blank"));
    text.push_back(' ');
    AppendWordKnown(kv.key, quote_key, &text);
    text.push_back('=');
    AppendWordKnown(kv.value, quote_value, &text);
  }
  if (k == Instruction::kEnv) {
    for (const KeyValue& kv : kvs) scope->SetEnv(kv.key, kv.value);
    NewPayload(ctx, out, EnvCmd{kvs});
  } else {
    NewPayload(ctx, out, LabelCmd{kvs});
  }
  return absl::OkStatus();
}

ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertMaintainer(Ctx& ctx, const Node& n, Command* out) {
  Text& text = ctx.text;
  RETURN_IF_ERROR(ExactlyOne(n, "MAINTAINER"));
  text = absl::StrCat("MAINTAINER ", n.args[0]);
  NewPayload(ctx, out, MaintainerCmd{n.args[0]});
  return absl::OkStatus();
}

ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertExpose(Ctx& ctx, const Node& n, Scope* scope,
                                                   Command* out) {
  Text& text = ctx.text;
  RETURN_IF_ERROR(NoFlags("EXPOSE", n.flags));
  if (n.args.empty()) return Err("EXPOSE requires at least one argument");
  std::vector<absl::string_view>& ports = ctx.words;
  ports.clear();
  text = "EXPOSE";
  for (absl::string_view a : n.args) {
    const size_t first = ports.size();
    RETURN_IF_ERROR(ExpandWords(ctx, *scope, a, &ports));
    for (size_t i = first; i < ports.size(); ++i) {
      ASSIGN_OR_RETURN(ports[i], NormalisePort(ports[i], ctx.arena));
      text.push_back(' ');
      text.append(ports[i].data(), ports[i].size());
    }
  }
  if (ports.empty()) text.push_back(' ');
  NewPayload(ctx, out, ExposeCmd{ctx.arena->CopyArray(Words(ports))});
  return absl::OkStatus();
}

ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertVolume(Ctx& ctx, const Node& n, Scope* scope,
                                                   Command* out) {
  Text& text = ctx.text;
  RETURN_IF_ERROR(NoFlags("VOLUME", n.flags));
  if (n.args.empty()) return Err("VOLUME requires at least one argument");
  absl::Span<absl::string_view> volumes = ctx.arena->NewArray<absl::string_view>(n.args.size());
  for (size_t i = 0; i < n.args.size(); ++i) {
    ASSIGN_OR_RETURN(volumes[i], Expand(ctx, *scope, n.args[i]));
    if (volumes[i].empty()) return Err("VOLUME specified can not be an empty string");
  }
  text = "VOLUME ";
  AppendJsonArray(volumes, &text);
  NewPayload(ctx, out, VolumeCmd{volumes});
  return absl::OkStatus();
}

// USER, WORKDIR and STOPSIGNAL: one word, expanded.
ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertOneWord(Ctx& ctx, const Node& n, Scope* scope,
                                                    Command* out) {
  const Instruction k = n.instruction;
  Text& text = ctx.text;
  RETURN_IF_ERROR(NoFlags(out->name(), n.flags));
  RETURN_IF_ERROR(ExactlyOne(n, out->name()));
  ASSIGN_OR_RETURN(absl::string_view v, Expand(ctx, *scope, n.args[0]));
  if (NameThenWord(n, out->name(), Words(&v, 1))) {
    ctx.text_is_original = true;
  } else {
    text = absl::StrCat(out->name(), " ", v);
  }
  if (k == Instruction::kUser) {
    if (v.empty()) return Err("USER requires a non-empty user");
    NewPayload(ctx, out, UserCmd{v});
  } else if (k == Instruction::kWorkdir) {
    if (v.empty()) return Err("WORKDIR requires a non-empty path");
    NewPayload(ctx, out, WorkdirCmd{v});
  } else {
    if (!ValidSignal(v)) {
      return Err(absl::StrCat("invalid signal ", shell::GoQuote(v),
                              ": want a name like SIGTERM or a number 1-64"));
    }
    NewPayload(ctx, out, StopSignalCmd{v});
  }
  return absl::OkStatus();
}

ABSL_ATTRIBUTE_NOINLINE absl::Status ConvertOnbuild(Ctx& ctx, const Node& n, Command* out) {
  Text& text = ctx.text;
  RETURN_IF_ERROR(NoFlags("ONBUILD", n.flags));
  RETURN_IF_ERROR(CheckOnbuild(n));
  // The trigger text after the keyword, as BuildKit stores it.
  absl::string_view expr = shell::TrimSpace(out->original);
  size_t sp = 0;
  while (sp < expr.size() && !shell::IsSpace(static_cast<unsigned char>(expr[sp]))) ++sp;
  expr = shell::TrimSpace(expr.substr(sp));
  text = absl::StrCat("ONBUILD ", expr);
  NewPayload(ctx, out, OnbuildCmd{expr});
  return absl::OkStatus();
}

// The payload and canonical text (in ctx.text) of one instruction inside a stage, or of an ARG
// before the first FROM; expands with `scope` and updates it. A switch of calls: one function with
// every instruction's code inline saved and restored a dozen registers for every line.
absl::Status ConvertPayload(Ctx& ctx, const Node& n, Scope* scope, Command* out) {
  switch (n.instruction) {
    case Instruction::kRun:
      return ConvertRun(ctx, n, scope, out);
    case Instruction::kCopy:
    case Instruction::kAdd:
      return ConvertCopy(ctx, n, scope, out);
    case Instruction::kArg:
      return ConvertArg(ctx, n, scope, out);
    case Instruction::kHealthcheck:
      return ConvertHealthcheck(ctx, n, out);
    case Instruction::kCmd:
    case Instruction::kEntrypoint:
      return ConvertCmdOrEntrypoint(ctx, n, out);
    case Instruction::kShell:
      return ConvertShell(ctx, n, out);
    case Instruction::kEnv:
    case Instruction::kLabel:
      return ConvertEnvOrLabel(ctx, n, scope, out);
    case Instruction::kMaintainer:
      return ConvertMaintainer(ctx, n, out);
    case Instruction::kExpose:
      return ConvertExpose(ctx, n, scope, out);
    case Instruction::kVolume:
      return ConvertVolume(ctx, n, scope, out);
    case Instruction::kUser:
    case Instruction::kWorkdir:
    case Instruction::kStopsignal:
      return ConvertOneWord(ctx, n, scope, out);
    case Instruction::kOnbuild:
      return ConvertOnbuild(ctx, n, out);
    case Instruction::kFrom:
      return Err("internal: FROM handled by Load");
    default:
      return UnknownInstruction(n.keyword);
  }
}

}  // namespace

absl::Status ConvertCommand(Ctx& ctx, const Node& n, Scope* scope, Command* out) {
  out->instruction = n.instruction;
  out->start_line = n.start_line;
  out->end_line = n.end_line;
  out->original = n.original;
  ctx.text.clear();
  ctx.text_is_original = false;
  RETURN_IF_ERROR(ConvertPayload(ctx, n, scope, out));
  // Often the canonical text is the line as written (`RUN make`): then it is that view.
  out->expanded = ctx.text_is_original || ctx.text.view() == out->original
                      ? out->original
                      : ctx.arena->Copy(ctx.text.view());
  out->args_used = ctx.used.Finish(ctx.arena);
  return absl::OkStatus();
}

absl::Status ConvertFrom(Ctx& ctx, const Node& n, const Scope& global, FromExpander* expander,
                         Stage* s, Command* from_command) {
  static constexpr FlagSpec kFromFlags[] = {{"platform", FlagKind::kString}};
  Flags flags("FROM", kFromFlags);
  RETURN_IF_ERROR(flags.Parse(n.flags));
  bool has_as = n.args.size() == 3 && absl::EqualsIgnoreCase(n.args[1], "as");
  if (!(n.args.size() == 1 || has_as)) {
    return Err("FROM requires either one or three arguments (FROM <image> [AS <name>])");
  }
  Command& cmd = *from_command;
  cmd.instruction = Instruction::kFrom;
  cmd.start_line = n.start_line;
  cmd.end_line = n.end_line;
  cmd.original = n.original;
  FromCmd& from = NewPayload<FromCmd>(ctx, &cmd);
  ASSIGN_OR_RETURN(from.base_name, expander->Expand(ctx, global, n.args[0]));
  if (from.base_name.empty()) {
    return Err(absl::StrCat("base name (", n.args[0], ") should not be blank"));
  }
  if (has_as) {
    from.stage_name = LowerCopy(n.args[2], ctx.arena);
    if (!ValidStageName(from.stage_name)) {
      return Err(absl::StrCat("invalid name for build stage: ", shell::GoQuote(n.args[2]),
                              ", name can't start with a number or contain symbols"));
    }
  }
  if (flags.Has("platform")) {
    ASSIGN_OR_RETURN(absl::string_view p, expander->Expand(ctx, global, flags.String("platform")));
    ASSIGN_OR_RETURN(Platform parsed, ParsePlatform(p));
    from.platform = ctx.arena->Copy(parsed.ToString());
  }
  // Predefined args used by FROM are inputs too, but are not user build args.
  Text& text = ctx.text;
  text = "FROM";
  if (!from.platform.empty()) {
    text.append(" --platform=");
    text.append(from.platform);
  }
  text.push_back(' ');
  text.append(from.base_name);
  if (!from.stage_name.empty()) {
    text.append(" AS ");
    text.append(from.stage_name);
  }
  cmd.expanded = ctx.arena->Copy(text.view());
  cmd.args_used = ctx.used.Finish(ctx.arena);
  s->name = from.stage_name;
  s->base_name = from.base_name;
  s->platform = from.platform;
  s->start_line = n.start_line;
  return absl::OkStatus();
}

}  // namespace builder::instructions
