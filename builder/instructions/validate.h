// Checks and normal forms of instruction arguments (ports, signals, chmod modes, durations, stage
// names, ONBUILD triggers) with BuildKit's rules and error messages. Internal to
// builder/instructions.
#ifndef SLIPWAY_BUILDER_INSTRUCTIONS_VALIDATE_H_
#define SLIPWAY_BUILDER_INSTRUCTIONS_VALIDATE_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "base/arena.h"
#include "builder/dockerfile/parser.h"
#include "builder/instructions/flags.h"
#include "builder/instructions/instructions.h"

namespace builder::instructions {

// InvalidArgument with `msg` (the loader adds the file and line).
absl::Status Err(absl::string_view msg);
// "<name> requires exactly one argument" unless `n` has one.
absl::Status ExactlyOne(const dockerfile::Node& n, absl::string_view name);
// True if `w` (`<<EOF`, `<<-"EOF"`, `3<<EOF`) names one of `docs`; its index goes to `*index`.
bool IsHeredocWord(absl::string_view w, absl::Span<const dockerfile::Heredoc> docs,
                   size_t* index);
// COPY --chmod: octal (0755) or symbolic (u+x,g-w).
bool ValidChmod(absl::string_view s);
// `spec` as "PORT[-PORT]/PROTO": a view of `spec` when it already is, else a copy in `arena`.
absl::StatusOr<absl::string_view> NormalisePort(absl::string_view spec, base::Arena* arena);
// STOPSIGNAL: a number 1-64 or a signal name, with or without SIG.
bool ValidSignal(absl::string_view s);
// A HEALTHCHECK duration flag: zero when absent, else at least 1ms.
absl::StatusOr<absl::Duration> ParseInterval(const Flags& flags, absl::string_view name);
// "unknown instruction: X (did you mean Y?)".
absl::Status UnknownInstruction(absl::string_view keyword);
// ONBUILD needs a trigger, which must not be ONBUILD, FROM or MAINTAINER.
absl::Status CheckOnbuild(const dockerfile::Node& n);
// `s` in ASCII lower case: `s` itself when it already is, else a copy in `arena`.
absl::string_view LowerCopy(absl::string_view s, base::Arena* arena);
// `AS name`: a lower-case letter, then letters, digits, `-`, `_` or `.`.
bool ValidStageName(absl::string_view name);

}  // namespace builder::instructions

#endif  // SLIPWAY_BUILDER_INSTRUCTIONS_VALIDATE_H_
