// slipway: one binary, one file per subcommand (tools/cli/*.cc registers itself; see command.h).
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "tools/cli/command.h"

namespace {

void PrintHelp(std::ostream& out) {
  out << "slipway: build, ship and run OCI images without a daemon.\n\n"
         "Usage: slipway COMMAND [ARGS...]\n\nCommands:\n";
  for (const cli::Command& c : cli::AllCommands()) {
    std::string name = c.name;
    name.resize(std::max<size_t>(name.size(), 10), ' ');
    out << "  " << name << "  " << c.summary << "\n";
  }
  out << "\nRun 'slipway COMMAND --help' for more about a command.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintHelp(std::cerr);
    return cli::kExitUsage;
  }
  std::string verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    PrintHelp(std::cout);
    return cli::kExitOk;
  }
  if (verb == "--version") verb = "version";
  const cli::Command* command = cli::FindCommand(verb);
  if (command == nullptr) {
    std::cerr << "slipway: unknown command `" << verb << "`\n\n";
    PrintHelp(std::cerr);
    return cli::kExitUsage;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << command->usage;
    return cli::kExitOk;
  }
  return command->run(args);
}
