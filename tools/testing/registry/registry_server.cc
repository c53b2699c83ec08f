#include "tools/testing/registry/registry_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace registry_testing {
namespace {

std::string Str(const nlohmann::json& doc, const char* key) {
  if (doc.contains(key) && doc[key].is_string()) return doc[key].get<std::string>();
  return "";
}

}  // namespace

std::string RegistryEnvScript() {
  const char* env = std::getenv("SLIPWAY_REGISTRY_ENV");
  if (env != nullptr && *env != '\0') return env;
  const char* srcdir = std::getenv("TEST_SRCDIR");
  std::string rel = "tools/testing/registry/registry_env.py";
  if (srcdir != nullptr) {
    std::string path = absl::StrCat(srcdir, "/slipway/", rel);
    if (access(path.c_str(), R_OK) == 0) return path;
  }
  return rel;
}

absl::StatusOr<std::unique_ptr<RegistryServer>> RegistryServer::Start(Kind kind,
                                                                       ServerOptions options) {
  const char* kind_name = kind == Kind::kPlain      ? "plain"
                          : kind == Kind::kBasicTls ? "basic-tls"
                          : kind == Kind::kToken    ? "token"
                                                    : "mirror";
  std::string script = RegistryEnvScript();
  std::vector<std::string> args = {"python3", script, "--kind", kind_name,
                                   "--token-expires-in",
                                   absl::StrCat(options.token_expires_in)};
  if (options.fault_proxy) args.push_back("--fault-proxy");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int in_pipe[2], out_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, "python3", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    return absl::FailedPreconditionError(
        absl::StrCat("starting `python3 ", script, "`: ", strerror(rc)));
  }
  std::unique_ptr<RegistryServer> server(new RegistryServer());
  server->pid_ = pid;
  server->stdin_fd_ = in_pipe[1];

  // One JSON line, within 60 s.
  std::string line;
  while (line.find('\n') == std::string::npos) {
    struct pollfd p = {out_pipe[0], POLLIN, 0};
    int r = poll(&p, 1, 60000);
    if (r == 0) {
      close(out_pipe[0]);
      return absl::DeadlineExceededError(
          absl::StrCat("`", script, " --kind ", kind_name, "` printed nothing within 60 s"));
    }
    if (r < 0 && errno == EINTR) continue;
    char buf[4096];
    ssize_t n = read(out_pipe[0], buf, sizeof(buf));
    if (n <= 0) break;
    line.append(buf, n);
  }
  close(out_pipe[0]);
  nlohmann::json doc = nlohmann::json::parse(line, nullptr, false);
  if (!doc.is_object() || doc.contains("error")) {
    return absl::FailedPreconditionError(absl::StrCat(
        "`", script, " --kind ", kind_name, "` failed: ",
        doc.is_object() ? Str(doc, "error") : line, " (see the test's stderr)"));
  }
  server->host_ = Str(doc, "host");
  server->scheme_ = Str(doc, "scheme");
  server->username_ = Str(doc, "username");
  server->password_ = Str(doc, "password");
  server->refresh_token_ = Str(doc, "refresh_token");
  server->certs_dir_ = Str(doc, "certs_dir");
  server->ca_file_ = Str(doc, "ca");
  server->upstream_ = Str(doc, "upstream");
  server->proxy_ = Str(doc, "proxy");
  server->workdir_ = Str(doc, "workdir");
  return server;
}

RegistryServer::~RegistryServer() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (pid_ <= 0) return;
  // The launcher stops its registries when stdin closes; give it 10 s, then kill it.
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) return;
    usleep(50 * 1000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

absl::StatusOr<std::string> RegistryServer::ProxyRequest(absl::string_view method,
                                                         absl::string_view path,
                                                         absl::string_view body) {
  if (proxy_.empty()) return absl::FailedPreconditionError("started without a fault proxy");
  absl::StatusOr<std::string> resp = RawHttpRequest(proxy_, method, path, body);
  if (!resp.ok()) {
    return absl::Status(resp.status().code(),
                        absl::StrCat("proxy control `", path, "`: ", resp.status().message()));
  }
  if (resp->rfind("HTTP/1.1 200", 0) != 0 && resp->rfind("HTTP/1.0 200", 0) != 0) {
    return absl::InternalError(absl::StrCat("proxy control `", path, "` failed: ",
                                            resp->substr(0, resp->find('\r'))));
  }
  size_t end = resp->find("\r\n\r\n");
  return end == std::string::npos ? "" : resp->substr(end + 4);
}

absl::StatusOr<std::string> RawHttpRequest(absl::string_view hostport, absl::string_view method,
                                           absl::string_view path, absl::string_view body) {
  std::vector<std::string> parts = absl::StrSplit(hostport, ':');
  int port = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port)) {
    return absl::InvalidArgumentError(absl::StrCat("bad address `", hostport, "`: want HOST:PORT"));
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int connect_errno = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect to `", hostport, "`: ",
                                               strerror(connect_errno)));
  }
  std::string req = absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: ", hostport,
                                 "\r\nConnection: close\r\nContent-Length: ", body.size(),
                                 "\r\n\r\n", body);
  (void)!write(fd, req.data(), req.size());
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) resp.append(buf, n);
  close(fd);
  return resp;
}

absl::Status RegistryServer::SetFaults(absl::string_view rules_json) {
  return ProxyRequest("POST", "/__faults", rules_json).status();
}

absl::StatusOr<std::string> RegistryServer::ProxyStats() {
  return ProxyRequest("GET", "/__stats", "");
}

absl::Status RegistryServer::ResetProxyStats() {
  return ProxyRequest("DELETE", "/__stats", "").status();
}

}  // namespace registry_testing
