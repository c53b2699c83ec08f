// The real Env: POSIX calls. The only place that opens files or reads the clock for slipway.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ftw.h>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/env.h"
#include "base/status_macros.h"

namespace base {
namespace {

std::string Dirname(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, absl::StrCat("open `", dir, "`"));
  ScopedFd closer(fd);
  if (::fsync(fd) != 0) return ErrnoError(errno, absl::StrCat("fsync `", dir, "`"));
  return absl::OkStatus();
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

class PosixEnv : public Env {
 public:
  absl::Time Now() override { return absl::Now(); }

  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    ASSIGN_OR_RETURN(ScopedFd fd, Open(path, O_RDONLY, 0));
    std::string out;
    char buf[65536];
    while (true) {
      ssize_t n = ::read(fd.get(), buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError(errno, absl::StrCat("read `", path, "`"));
      if (n == 0) break;
      out.append(buf, n);
    }
    return out;
  }

  absl::Status WriteFileAtomically(const std::string& path, absl::string_view data,
                                   mode_t mode) override {
    absl::BitGen gen;
    std::string tmp = absl::StrFormat("%s.tmp-%d-%016x", path, ::getpid(),
                                      absl::Uniform<uint64_t>(gen));
    {
      ASSIGN_OR_RETURN(ScopedFd fd, Open(tmp, O_WRONLY | O_CREAT | O_EXCL, mode));
      absl::Status s = WriteAll(fd.get(), data);
      if (s.ok() && ::fchmod(fd.get(), mode) != 0) s = ErrnoError(errno, "fchmod");
      if (s.ok() && ::fsync(fd.get()) != 0) s = ErrnoError(errno, "fsync");
      if (!s.ok()) {
        ::unlink(tmp.c_str());
        return Annotate(s, absl::StrCat("writing `", path, "`"));
      }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int e = errno;
      ::unlink(tmp.c_str());
      return ErrnoError(e, absl::StrCat("rename `", tmp, "` to `", path, "`"));
    }
    return FsyncDir(Dirname(path));
  }

  bool Exists(const std::string& path) override {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }

  bool IsDirectory(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  absl::Status CreateDirs(const std::string& path, mode_t mode) override {
    if (path.empty() || IsDirectory(path)) return absl::OkStatus();
    std::string parent = Dirname(path);
    if (parent != path) RETURN_IF_ERROR(CreateDirs(parent, mode));
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
      return ErrnoError(errno, absl::StrCat("mkdir `", path, "`"));
    }
    return absl::OkStatus();
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return ErrnoError(errno, absl::StrCat("rename `", from, "` to `", to, "`"));
    }
    return absl::OkStatus();
  }

  absl::Status Remove(const std::string& path) override {
    if (::remove(path.c_str()) != 0) return ErrnoError(errno, absl::StrCat("remove `", path, "`"));
    return absl::OkStatus();
  }

  absl::Status RemoveAll(const std::string& path) override {
    if (!Exists(path)) return absl::OkStatus();
    if (::nftw(path.c_str(), RemoveEntry, 64, FTW_DEPTH | FTW_PHYS) != 0) {
      return ErrnoError(errno, absl::StrCat("remove tree `", path, "`"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoError(errno, absl::StrCat("opendir `", path, "`"));
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
  }

  absl::StatusOr<int64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoError(errno, absl::StrCat("stat `", path, "`"));
    return static_cast<int64_t>(st.st_size);
  }

  absl::StatusOr<ScopedFd> Open(const std::string& path, int flags, mode_t mode) override {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) return ErrnoError(errno, absl::StrCat("open `", path, "`"));
    return ScopedFd(fd);
  }
};

}  // namespace

Env* Env::Default() {
  static Env* env = new PosixEnv();
  return env;
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "write");
    data.remove_prefix(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ReadFull(int fd, char* buf, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, "read");
    if (n == 0) break;
    got += n;
  }
  return got;
}

}  // namespace base
