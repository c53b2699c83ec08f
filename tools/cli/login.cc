// `slipway login [-u USER] [--password-stdin] SERVER`: checks credentials with the registry, then
// stores them where Docker keeps them ($DOCKER_CONFIG/config.json or its credential helper).
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "pusher/auth/credentials.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/registry_flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway login [OPTIONS] [SERVER]

Logs in to SERVER (default docker.io): the credentials are first checked with the registry
(GET /v2/ with Basic auth or a bearer token), then written to $DOCKER_CONFIG/config.json
(mode 0600, other keys kept) or handed to the configured credential helper.

Options:
  --username USER, -u USER
  --password-stdin          read the password (or identity token) from standard input
  --identity-token          the secret is an OAuth2 refresh token, not a password
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST (repeatable)
  --config FILE             slipway config (default ~/.config/slipway/config.json)
)";

// Reads one line from the terminal without echo.
absl::StatusOr<std::string> ReadSecretFromTty(const std::string& prompt) {
  FILE* tty = fopen("/dev/tty", "r+e");
  if (tty == nullptr) {
    return absl::InvalidArgumentError(
        "no terminal to ask for the password on; use --password-stdin");
  }
  fputs(prompt.c_str(), tty);
  fflush(tty);
  struct termios old_t, new_t;
  tcgetattr(fileno(tty), &old_t);
  new_t = old_t;
  new_t.c_lflag &= ~ECHO;
  tcsetattr(fileno(tty), TCSAFLUSH, &new_t);
  char buf[4096];
  std::string line;
  if (fgets(buf, sizeof(buf), tty) != nullptr) line = buf;
  tcsetattr(fileno(tty), TCSAFLUSH, &old_t);
  fputs("\n", tty);
  fclose(tty);
  return std::string(absl::StripTrailingAsciiWhitespace(line));
}

std::string ServerHost(std::string server) {
  absl::string_view s = server;
  absl::ConsumePrefix(&s, "https://");
  absl::ConsumePrefix(&s, "http://");
  s = s.substr(0, s.find('/'));
  if (s == "index.docker.io" || s == "registry-1.docker.io") return "docker.io";
  return std::string(s);
}

absl::Status Login(const std::vector<std::string>& args) {
  FlagSet flags;
  RegistryFlags registry(flags, RegistryFlags::kQuery);
  std::string username;
  bool password_stdin = false, identity_token = false;
  flags.String("username", 'u', &username);
  flags.Bool("password-stdin", 0, &password_stdin);
  flags.Bool("identity-token", 0, &identity_token);
  ASSIGN_OR_RETURN(std::vector<std::string> pos,
                   flags.ParsePositional(args, 0, 1, "want at most one SERVER"));
  const std::string host = ServerHost(pos.empty() ? "docker.io" : pos[0]);
  if (username.empty() && !identity_token) {
    if (!isatty(STDIN_FILENO) || password_stdin) return UsageError("--username is required");
    std::cerr << "Username: ";
    std::getline(std::cin, username);
  }
  std::string secret;
  if (password_stdin) {
    std::string line, all;
    while (std::getline(std::cin, line)) all += line + "\n";
    secret = std::string(absl::StripTrailingAsciiWhitespace(all));
  } else {
    ASSIGN_OR_RETURN(secret, ReadSecretFromTty("Password: "));
  }
  if (secret.empty()) return UsageError("empty password");
  pusher::Credential cred;
  cred.username = username;
  if (identity_token) {
    cred.identity_token = secret;
  } else {
    cred.password = secret;
  }
  std::unique_ptr<pusher::Progress> quiet = pusher::NewProgress(pusher::ProgressMode::kQuiet);
  ASSIGN_OR_RETURN(std::unique_ptr<pusher::Session> session,
                   registry.OpenSession(quiet.get(), cred));
  absl::Status ping = session->ForHost(host)->Ping(/*authenticate=*/true);
  if (!ping.ok()) {
    return absl::Status(ping.code(),
                        absl::StrCat("checking credentials for `", host, "`: ", ping.message()));
  }
  RETURN_IF_ERROR(session->credentials().Store(host, cred));
  std::cout << "Login Succeeded" << std::endl;
  return absl::OkStatus();
}

int RunLogin(const std::vector<std::string>& args) { return ReportError("login", Login(args)); }

}  // namespace

SLIPWAY_COMMAND(login, "Log in to a registry", kUsage, RunLogin);

}  // namespace cli
