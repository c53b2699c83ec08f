#include "runner/sandbox/id_mapping.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"
#include "runner/sandbox/sandbox.h"

namespace runner {
namespace {

bool Maps(const std::vector<IdMapping>& maps, uint32_t id) {
  for (const IdMapping& m : maps)
    if (id >= m.container_id && id - m.container_id < m.size) return true;
  return false;
}

absl::Status WriteProcFile(pid_t pid, const char* name, const std::string& data) {
  std::string path = absl::StrCat("/proc/", pid, "/", name);
  ASSIGN_OR_RETURN(base::ScopedFd fd, base::Env::Default()->Open(path, O_WRONLY));
  if (write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()))
    return base::ErrnoError(errno, absl::StrCat("write `", path, "`"));
  return absl::OkStatus();
}

absl::Status RunHelper(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid < 0) return base::ErrnoError(errno, "fork");
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& s : argv) args.push_back(const_cast<char*>(s.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return absl::FailedPreconditionError(
        absl::StrCat("`", absl::StrJoin(argv, " "), "` failed with status ",
                     ExitStatusFromWait(status)));
  return absl::OkStatus();
}

std::vector<std::string> HelperArgs(const char* helper, pid_t pid,
                                    const std::vector<IdMapping>& maps) {
  std::vector<std::string> args = {helper, absl::StrCat(pid)};
  for (const IdMapping& m : maps)
    for (uint32_t v : {m.container_id, m.host_id, m.size}) args.push_back(absl::StrCat(v));
  return args;
}

// Reads what the child wrote to `fd` until it closes it.
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

bool IdMappings::MapsUid(uint32_t id) const { return Maps(uids, id); }
bool IdMappings::MapsGid(uint32_t id) const { return Maps(gids, id); }

std::string IdMappings::Key() const {
  // Only [0-9a-z_-]: it becomes part of overlayfs lowerdir paths, where `:` and `,` separate.
  auto part = [](char kind, const std::vector<IdMapping>& maps) {
    std::string s(1, kind);
    for (const IdMapping& m : maps) absl::StrAppend(&s, "_", m.container_id, "-", m.host_id, "-", m.size);
    return s;
  };
  return absl::StrCat(part('u', uids), "_", part('g', gids));
}

std::optional<IdMapping> SubordinateRange(const std::string& file, uint32_t id) {
  absl::StatusOr<std::string> text = base::Env::Default()->ReadFile(file);
  if (!text.ok()) return std::nullopt;
  std::string name;
  if (struct passwd* pw = getpwuid(geteuid()); pw != nullptr) name = pw->pw_name;
  if (absl::EndsWith(file, "subgid")) {
    struct group* gr = getgrgid(id);
    name = gr != nullptr ? gr->gr_name : name;
  }
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    uint32_t start = 0, count = 0, owner = 0;
    if (f.size() != 3 || !absl::SimpleAtoi(f[1], &start) || !absl::SimpleAtoi(f[2], &count) ||
        count == 0)
      continue;
    bool mine = (!name.empty() && f[0] == name) || (absl::SimpleAtoi(f[0], &owner) && owner == id);
    if (mine) return IdMapping{1, start, count};
  }
  return std::nullopt;
}

IdMappings RootlessMappings() {
  IdMappings m;
  m.uids = {{0, static_cast<uint32_t>(geteuid()), 1}};
  m.gids = {{0, static_cast<uint32_t>(getegid()), 1}};
  std::optional<IdMapping> sub_uid = SubordinateRange("/etc/subuid", geteuid());
  std::optional<IdMapping> sub_gid = SubordinateRange("/etc/subgid", getegid());
  bool helpers = access("/usr/bin/newuidmap", X_OK) == 0 && access("/usr/bin/newgidmap", X_OK) == 0;
  if (sub_uid && sub_gid && helpers) {
    m.uids.push_back(*sub_uid);
    m.gids.push_back(*sub_gid);
  }
  return m;
}

absl::Status WriteIdMappings(pid_t pid, const IdMappings& m) {
  // Root may write any map; anyone may map just their own ids; other ranges need the setuid
  // helpers, which check /etc/subuid and /etc/subgid.
  bool own_ids_only = m.uids.size() == 1 && m.gids.size() == 1 && m.uids[0].size == 1 &&
                      m.gids[0].size == 1 && m.uids[0].host_id == geteuid() &&
                      m.gids[0].host_id == getegid();
  if (geteuid() == 0 || own_ids_only) {
    auto lines = [](const std::vector<IdMapping>& maps) {
      std::string text;
      for (const IdMapping& x : maps) absl::StrAppend(&text, x.container_id, " ", x.host_id, " ", x.size, "\n");
      return text;
    };
    if (own_ids_only) RETURN_IF_ERROR(WriteProcFile(pid, "setgroups", "deny"));
    RETURN_IF_ERROR(WriteProcFile(pid, "uid_map", lines(m.uids)));
    return WriteProcFile(pid, "gid_map", lines(m.gids));
  }
  RETURN_IF_ERROR_CTX(RunHelper(HelperArgs("newuidmap", pid, m.uids)), "writing the uid map");
  RETURN_IF_ERROR_CTX(RunHelper(HelperArgs("newgidmap", pid, m.gids)), "writing the gid map");
  return absl::OkStatus();
}

absl::Status MapSelfToRoot(uint32_t uid, uint32_t gid) {
  pid_t self = getpid();
  RETURN_IF_ERROR(WriteProcFile(self, "setgroups", "deny"));
  RETURN_IF_ERROR(WriteProcFile(self, "uid_map", absl::StrCat("0 ", uid, " 1\n")));
  return WriteProcFile(self, "gid_map", absl::StrCat("0 ", gid, " 1\n"));
}

absl::Status RunInUserNamespace(const IdMappings& mappings,
                                const std::function<absl::Status()>& fn) {
  int go_pipe[2], result_pipe[2];
  if (pipe2(go_pipe, O_CLOEXEC) < 0 || pipe2(result_pipe, O_CLOEXEC) < 0)
    return base::ErrnoError(errno, "pipe");
  base::ScopedFd go_read(go_pipe[0]), go_write(go_pipe[1]);
  base::ScopedFd result_read(result_pipe[0]), result_write(result_pipe[1]);
  pid_t pid = fork();
  if (pid < 0) return base::ErrnoError(errno, "fork for the user namespace");
  if (pid == 0) {
    go_write.Reset();
    result_read.Reset();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    auto finish = [&](const absl::Status& s) {
      // "+" for success, else the message: the parent rebuilds a status from it.
      std::string report = s.ok() ? "+" : absl::StrCat("-", s.ToString());
      (void)base::WriteAll(result_write.get(), report);
      _exit(s.ok() ? 0 : 1);
    };
    if (unshare(CLONE_NEWUSER) < 0) finish(base::ErrnoError(errno, "unshare(CLONE_NEWUSER)"));
    if (write(result_write.get(), "u", 1) != 1) _exit(2);  // ready for our maps
    char go = 0;
    if (read(go_read.get(), &go, 1) != 1 || go != 1) _exit(2);  // the parent gave up
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
      finish(base::ErrnoError(errno, "becoming root of the user namespace"));
    finish(fn());
  }
  go_read.Reset();
  result_write.Reset();
  // Maps can only be written once the child is in its new namespace: it says so first.
  char ready = 0;
  absl::Status mapped;
  while (read(result_read.get(), &ready, 1) < 0 && errno == EINTR) {
  }
  if (ready == 'u') mapped = WriteIdMappings(pid, mappings);
  if (ready == 'u' && mapped.ok()) {
    char go = 1;
    if (write(go_write.get(), &go, 1) != 1) mapped = base::ErrnoError(errno, "releasing the child");
  }
  go_write.Reset();
  std::string report = ReadAll(result_read.get());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (ready == 'u') RETURN_IF_ERROR_CTX(mapped, "mapping ids for the user namespace");
  if (ready == '-') report.insert(0, 1, '-');  // it failed before it was ready
  if (report == "+") return absl::OkStatus();
  if (!report.empty() && report[0] == '-') return absl::InternalError(report.substr(1));
  return absl::InternalError(absl::StrCat("the user-namespace helper died (status ",
                                          ExitStatusFromWait(status), ")"));
}

absl::Status RemoveAllMapped(const std::string& path, const IdMappings& mappings) {
  absl::Status plain = base::Env::Default()->RemoveAll(path);
  if (plain.ok() || !mappings.ranged() || geteuid() == 0) return plain;
  return RunInUserNamespace(mappings, [&path] { return base::Env::Default()->RemoveAll(path); });
}

}  // namespace runner
