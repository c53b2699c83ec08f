#include "tools/cli/command.h"

#include <algorithm>
#include <iostream>
#include <map>

#include "absl/strings/cord.h"

namespace cli {
namespace {

constexpr char kUsagePayload[] = "slipway.dev/usage-error";
constexpr char kHelpPayload[] = "slipway.dev/help";

std::map<std::string, Command>& Registry() {
  static auto* registry = new std::map<std::string, Command>();
  return *registry;
}

}  // namespace

bool RegisterCommand(const Command& command) {
  Registry()[command.name] = command;
  return true;
}

std::vector<Command> AllCommands() {
  std::vector<Command> out;
  for (const auto& [name, command] : Registry()) out.push_back(command);
  return out;
}

const Command* FindCommand(absl::string_view name) {
  auto it = Registry().find(std::string(name));
  return it == Registry().end() ? nullptr : &it->second;
}

absl::Status UsageError(absl::string_view message) {
  absl::Status s = absl::InvalidArgumentError(message);
  s.SetPayload(kUsagePayload, absl::Cord("1"));
  return s;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

absl::Status HelpRequested() {
  absl::Status s = absl::CancelledError("--help");
  s.SetPayload(kHelpPayload, absl::Cord("1"));
  return s;
}

bool IsHelpRequest(const absl::Status& status) {
  return status.GetPayload(kHelpPayload).has_value();
}

int ReportError(absl::string_view verb, const absl::Status& status) {
  if (status.ok()) return kExitOk;
  if (IsHelpRequest(status)) {
    if (const Command* command = FindCommand(verb)) std::cout << command->usage;
    return kExitOk;
  }
  std::cerr << "slipway " << verb << ": " << status.message() << std::endl;
  if (IsUsageError(status)) {
    std::cerr << "Run 'slipway " << verb << " --help' for usage." << std::endl;
    return kExitUsage;
  }
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kOutOfRange:
      return kExitUserError;
    default:
      return kExitInternal;
  }
}

}  // namespace cli
