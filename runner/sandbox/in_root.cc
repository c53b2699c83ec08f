#include "runner/sandbox/in_root.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"

namespace runner {
namespace {

int OpenAt2(int dirfd, const char* path, int flags, mode_t mode) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd;
}

}  // namespace

absl::StatusOr<base::ScopedFd> OpenInRoot(int root_fd, const std::string& path, int flags) {
  std::string rel = path.empty() ? "." : path;
  int fd = OpenAt2(root_fd, rel.c_str(), flags, 0);
  if (fd < 0) return base::ErrnoError(errno, absl::StrCat("open `", path, "` inside the rootfs"));
  return base::ScopedFd(fd);
}

namespace {

absl::StatusOr<base::ScopedFd> CreateInRootDepth(int root_fd, const std::string& path, bool dir,
                                                 int depth);

}  // namespace

absl::StatusOr<base::ScopedFd> CreateInRoot(int root_fd, const std::string& path, bool dir) {
  return CreateInRootDepth(root_fd, path, dir, 0);
}

namespace {

absl::StatusOr<base::ScopedFd> CreateInRootDepth(int root_fd, const std::string& path, bool dir,
                                                 int depth) {
  if (depth > 40)
    return absl::FailedPreconditionError(
        absl::StrCat("too many levels of symbolic links creating `", path, "` inside the rootfs"));
  absl::StatusOr<base::ScopedFd> existing = OpenInRoot(root_fd, path, O_PATH);
  if (existing.ok() || existing.status().code() != absl::StatusCode::kNotFound) return existing;
  // Walk the components, creating each missing one inside the root.
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  ASSIGN_OR_RETURN(base::ScopedFd cur, OpenInRoot(root_fd, "/", O_PATH | O_DIRECTORY));
  std::string so_far;
  for (size_t i = 0; i < parts.size(); ++i) {
    so_far = absl::StrCat(so_far, "/", parts[i]);
    bool last = i + 1 == parts.size();
    absl::StatusOr<base::ScopedFd> next = OpenInRoot(root_fd, so_far, O_PATH);
    if (!next.ok() && next.status().code() == absl::StatusCode::kNotFound) {
      // A dangling symlink in the image: create its target, still inside the root.
      char target[4096];
      ssize_t len = readlinkat(cur.get(), parts[i].c_str(), target, sizeof(target) - 1);
      if (len > 0) {
        std::string t(target, static_cast<size_t>(len));
        std::string parent = so_far.substr(0, so_far.size() - parts[i].size());
        std::string resolved = t[0] == '/' ? t : absl::StrCat(parent, t);
        for (size_t j = i + 1; j < parts.size(); ++j) absl::StrAppend(&resolved, "/", parts[j]);
        return CreateInRootDepth(root_fd, resolved, dir, depth + 1);
      }
      // The parent (`cur`) was resolved inside the root, so creating relative to it is confined.
      if (!last || dir) {
        if (mkdirat(cur.get(), parts[i].c_str(), 0755) < 0 && errno != EEXIST)
          return base::ErrnoError(errno, absl::StrCat("mkdir `", so_far, "` inside the rootfs"));
      } else {
        int fd = openat(cur.get(), parts[i].c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
          return base::ErrnoError(errno, absl::StrCat("create `", so_far, "` inside the rootfs"));
        if (fd >= 0) close(fd);
      }
      next = OpenInRoot(root_fd, so_far, O_PATH);
    }
    if (!next.ok()) return next.status();
    cur = std::move(next).value();
  }
  return cur;
}

}  // namespace

absl::StatusOr<std::string> ReadFileInRoot(int root_fd, const std::string& path) {
  ASSIGN_OR_RETURN(base::ScopedFd fd, OpenInRoot(root_fd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK));
  struct stat st;
  if (fstat(fd.get(), &st) < 0) return base::ErrnoError(errno, absl::StrCat("stat `", path, "`"));
  if (!S_ISREG(st.st_mode))
    return absl::FailedPreconditionError(absl::StrCat("`", path, "` is not a regular file"));
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoError(errno, absl::StrCat("read `", path, "`"));
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (16u << 20))
      return absl::FailedPreconditionError(absl::StrCat("`", path, "` is larger than 16 MiB"));
  }
  return out;
}

std::string FdPath(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

}  // namespace runner
