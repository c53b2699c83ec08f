#include "pusher/auth/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/env.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace pusher {
namespace {

using json = nlohmann::json;

constexpr char kDockerHubKey[] = "https://index.docker.io/v1/";

// "https://host:5000/v1/" -> "host:5000"; "index.docker.io" -> "docker.io".
std::string NormalizeKey(absl::string_view key) {
  absl::ConsumePrefix(&key, "https://");
  absl::ConsumePrefix(&key, "http://");
  key = key.substr(0, key.find('/'));
  if (key == "index.docker.io" || key == "registry-1.docker.io" || key == "docker.io") {
    return "docker.io";
  }
  return std::string(key);
}

struct HelperResult {
  int exit_code = 0;
  std::string out;
};

// Runs `docker-credential-<helper> <verb>` with `input` on stdin. Its stderr is discarded so that
// nothing it prints can leak secrets.
absl::StatusOr<HelperResult> RunHelper(const std::string& helper, const std::string& verb,
                                       const std::string& input) {
  std::string program = absl::StrCat("docker-credential-", helper);
  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) return base::ErrnoError(errno, "pipe");
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    close(in_pipe[0]);
    close(in_pipe[1]);
    return base::ErrnoError(errno, "pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv = {program.data(), const_cast<char*>(verb.c_str()), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    return base::ErrnoError(rc, absl::StrCat("running credential helper `", program, "`"));
  }
  // Inputs are small (a server URL or one JSON object), far below the pipe buffer.
  signal(SIGPIPE, SIG_IGN);
  (void)base::WriteAll(in_pipe[1], input);
  close(in_pipe[1]);
  HelperResult result;
  char buf[4096];
  while (true) {
    ssize_t n = read(out_pipe[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.out.append(buf, n);
  }
  close(out_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace

std::string ServerKey(absl::string_view registry) {
  std::string n = NormalizeKey(registry);
  return n == "docker.io" ? kDockerHubKey : n;
}

std::string DockerConfigDir() {
  const char* dc = std::getenv("DOCKER_CONFIG");
  if (dc != nullptr && *dc != '\0') return dc;
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "", "/.docker");
}

absl::StatusOr<CredentialStore> CredentialStore::Load(const std::string& dir) {
  CredentialStore store;
  store.dir_ = dir;
  store.path_ = absl::StrCat(dir, "/config.json");
  base::Env* env = base::Env::Default();
  if (!env->Exists(store.path_)) {
    store.json_ = "{}";
    return store;
  }
  ASSIGN_OR_RETURN(store.json_, env->ReadFile(store.path_));
  json doc = json::parse(store.json_, nullptr, false);
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("`", store.path_, "` is not a JSON object"));
  }
  return store;
}

std::string CredentialStore::HelperFor(absl::string_view registry) const {
  json doc = json::parse(json_, nullptr, false);
  std::string want = NormalizeKey(registry);
  if (doc.contains("credHelpers") && doc["credHelpers"].is_object()) {
    for (const auto& [key, value] : doc["credHelpers"].items()) {
      if (NormalizeKey(key) == want && value.is_string()) return value.get<std::string>();
    }
  }
  if (doc.contains("credsStore") && doc["credsStore"].is_string()) {
    return doc["credsStore"].get<std::string>();
  }
  return "";
}

absl::StatusOr<Credential> CredentialStore::Get(absl::string_view registry) const {
  std::string want = NormalizeKey(registry);
  std::string helper = HelperFor(registry);
  if (!helper.empty()) {
    ASSIGN_OR_RETURN(HelperResult r, RunHelper(helper, "get", ServerKey(registry)));
    if (r.exit_code != 0) {
      // "credentials not found" is how helpers say there are none.
      if (absl::StrContains(r.out, "not found")) return Credential();
      return absl::UnavailableError(absl::StrCat("credential helper `docker-credential-", helper,
                                                 " get` for `", want, "` exited with status ",
                                                 r.exit_code));
    }
    json doc = json::parse(r.out, nullptr, false);
    if (!doc.is_object()) {
      return absl::UnavailableError(absl::StrCat("credential helper `docker-credential-", helper,
                                                 "` printed something that is not JSON"));
    }
    Credential c;
    std::string user = doc.value("Username", "");
    std::string secret = doc.value("Secret", "");
    if (user == "<token>") {
      c.identity_token = secret;
    } else {
      c.username = user;
      c.password = secret;
    }
    return c;
  }
  json doc = json::parse(json_, nullptr, false);
  if (!doc.contains("auths") || !doc["auths"].is_object()) return Credential();
  for (const auto& [key, entry] : doc["auths"].items()) {
    if (NormalizeKey(key) != want || !entry.is_object()) continue;
    Credential c;
    if (entry.contains("identitytoken") && entry["identitytoken"].is_string()) {
      c.identity_token = entry["identitytoken"].get<std::string>();
    }
    std::string decoded;
    if (entry.contains("auth") && entry["auth"].is_string() &&
        absl::Base64Unescape(entry["auth"].get<std::string>(), &decoded)) {
      size_t colon = decoded.find(':');
      if (colon == std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "`", path_, "`: auths.", key, ".auth does not decode to user:password"));
      }
      c.username = decoded.substr(0, colon);
      c.password = decoded.substr(colon + 1);
    } else {
      c.username = entry.value("username", "");
      c.password = entry.value("password", "");
    }
    return c;
  }
  return Credential();
}

absl::Status CredentialStore::Save(const std::string& text) {
  base::Env* env = base::Env::Default();
  RETURN_IF_ERROR(env->CreateDirs(dir_, 0700));
  RETURN_IF_ERROR(env->WriteFileAtomically(path_, text, 0600));
  json_ = text;
  return absl::OkStatus();
}

absl::Status CredentialStore::Store(absl::string_view registry, const Credential& credential) {
  std::string helper = HelperFor(registry);
  if (!helper.empty()) {
    json in = {{"ServerURL", ServerKey(registry)},
               {"Username", credential.identity_token.empty() ? credential.username : "<token>"},
               {"Secret", credential.identity_token.empty() ? credential.password
                                                            : credential.identity_token}};
    ASSIGN_OR_RETURN(HelperResult r, RunHelper(helper, "store", in.dump()));
    if (r.exit_code != 0) {
      return absl::UnavailableError(absl::StrCat("credential helper `docker-credential-", helper,
                                                 " store` exited with status ", r.exit_code));
    }
    return absl::OkStatus();
  }
  json doc = json::parse(json_, nullptr, false);
  if (!doc.contains("auths") || !doc["auths"].is_object()) doc["auths"] = json::object();
  // Drop other spellings of the same server so exactly one entry remains.
  std::string want = NormalizeKey(registry);
  std::vector<std::string> stale;
  for (const auto& [key, entry] : doc["auths"].items()) {
    if (NormalizeKey(key) == want) stale.push_back(key);
  }
  json entry = json::object();
  for (const std::string& key : stale) {
    if (doc["auths"][key].is_object()) entry = doc["auths"][key];
    doc["auths"].erase(key);
  }
  entry.erase("identitytoken");
  entry.erase("username");
  entry.erase("password");
  if (!credential.identity_token.empty()) {
    entry["identitytoken"] = credential.identity_token;
    entry["auth"] = absl::Base64Escape(absl::StrCat(credential.username, ":"));
  } else {
    entry["auth"] = absl::Base64Escape(absl::StrCat(credential.username, ":", credential.password));
  }
  doc["auths"][ServerKey(registry)] = entry;
  return Save(doc.dump(1, '\t') + "\n");
}

absl::Status CredentialStore::Erase(absl::string_view registry) {
  std::string want = NormalizeKey(registry);
  std::string helper = HelperFor(registry);
  if (!helper.empty()) {
    ASSIGN_OR_RETURN(HelperResult r, RunHelper(helper, "erase", ServerKey(registry)));
    if (r.exit_code != 0) {
      return absl::NotFoundError(absl::StrCat("no credentials for `", want, "` in helper `",
                                              "docker-credential-", helper, "`"));
    }
  }
  json doc = json::parse(json_, nullptr, false);
  bool found = false;
  if (doc.contains("auths") && doc["auths"].is_object()) {
    std::vector<std::string> keys;
    for (const auto& [key, entry] : doc["auths"].items()) {
      if (NormalizeKey(key) == want) keys.push_back(key);
    }
    for (const std::string& key : keys) doc["auths"].erase(key);
    found = !keys.empty();
  }
  if (found) return Save(doc.dump(1, '\t') + "\n");
  if (!helper.empty()) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("not logged in to `", want, "` (", path_, ")"));
}

}  // namespace pusher
