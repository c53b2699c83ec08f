// Converting one parsed instruction (dockerfile::Node) into a typed, expanded Command, with its
// canonical text and the build args it depends on. Internal to builder/instructions.
#ifndef SLIPWAY_BUILDER_INSTRUCTIONS_CONVERT_H_
#define SLIPWAY_BUILDER_INSTRUCTIONS_CONVERT_H_

#include "absl/status/status.h"
#include "builder/dockerfile/parser.h"
#include "builder/instructions/expand.h"
#include "builder/instructions/instructions.h"
#include "builder/instructions/scope.h"

namespace builder::instructions {

// Converts one instruction (inside a stage, or an ARG before the first FROM) to a Command.
absl::Status ConvertCommand(Ctx& ctx, const dockerfile::Node& n, Scope* scope, Command* out);
// The FROM line that starts stage `s` (its command is commands[0]); `global` is the scope of
// ARGs before the first FROM.
absl::Status ConvertFrom(Ctx& ctx, const dockerfile::Node& n, const Scope& global,
                         FromExpander* expander, Stage* s, Command* from_command);

}  // namespace builder::instructions

#endif  // SLIPWAY_BUILDER_INSTRUCTIONS_CONVERT_H_
