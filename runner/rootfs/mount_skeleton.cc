#include "runner/rootfs/mount_skeleton.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"

namespace runner {
namespace {

enum Entry : unsigned {
  kProc = 1 << 0,
  kDev = 1 << 1,
  kSys = 1 << 2,
  kEtc = 1 << 3,
  kHosts = 1 << 4,
  kHostname = 1 << 5,
  kResolvConf = 1 << 6,
};
constexpr struct {
  Entry entry;
  const char* path;
  bool dir;
} kEntries[] = {{kProc, "proc", true},           {kDev, "dev", true},
                {kSys, "sys", true},             {kEtc, "etc", true},
                {kHosts, "etc/hosts", false},    {kHostname, "etc/hostname", false},
                {kResolvConf, "etc/resolv.conf", false}};

enum class Kind { kAbsent, kDir, kFile, kOther };

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

Kind KindOf(const struct stat& st) {
  if (IsWhiteout(st)) return Kind::kAbsent;
  if (S_ISDIR(st.st_mode)) return Kind::kDir;
  if (S_ISREG(st.st_mode)) return Kind::kFile;
  return Kind::kOther;
}

bool IsOpaque(const std::string& dir, const std::string& opaque_xattr) {
  char value[4];
  ssize_t n = lgetxattr(dir.c_str(), opaque_xattr.c_str(), value, sizeof(value));
  return n == 1 && value[0] == 'y';
}

// What the merged tree shows at the top-level `name`; `top` gets the top-most stat of it.
Kind TopLevelKind(const std::vector<std::string>& lowers, const char* name, struct stat* top) {
  for (const std::string& layer : lowers) {
    if (lstat(absl::StrCat(layer, "/", name).c_str(), top) == 0) return KindOf(*top);
  }
  return Kind::kAbsent;
}

// What the merged tree shows at etc/`name`, given that etc is a directory in the merged tree:
// layers below one where etc is missing are still merged; a whiteout, a non-directory or an opaque
// etc hides everything below it.
Kind EtcFileKind(const std::vector<std::string>& lowers, const char* name,
                 const std::string& opaque_xattr) {
  for (const std::string& layer : lowers) {
    std::string etc = absl::StrCat(layer, "/etc");
    struct stat st;
    if (lstat(etc.c_str(), &st) != 0) continue;
    if (!S_ISDIR(st.st_mode)) return Kind::kAbsent;
    if (lstat(absl::StrCat(etc, "/", name).c_str(), &st) == 0) return KindOf(st);
    if (IsOpaque(etc, opaque_xattr)) return Kind::kAbsent;
  }
  return Kind::kAbsent;
}

}  // namespace

unsigned SafeSkeletonEntries(const std::vector<std::string>& lower_dirs,
                             const std::string& opaque_xattr) {
  unsigned entries = 0;
  struct stat st;
  // /proc, /dev, /sys: mounted over by the sandbox, so their own attributes never show.
  for (const auto& e : kEntries) {
    if (!e.dir || e.entry == kEtc) continue;
    Kind k = TopLevelKind(lower_dirs, e.path, &st);
    if (k == Kind::kAbsent || k == Kind::kDir) entries |= e.entry;
  }
  // /etc stays visible: the skeleton's /etc (0755, owned by us) becomes the merged /etc, so it may
  // only stand in for an image /etc with those same attributes, and only when a file is missing
  // there (which would otherwise copy /etc up and change its mtime anyway).
  Kind etc = TopLevelKind(lower_dirs, "etc", &st);
  if (etc == Kind::kAbsent) return entries | kEtc | kHosts | kHostname | kResolvConf;
  bool same_attributes = etc == Kind::kDir && (st.st_mode & 07777) == 0755 &&
                         st.st_uid == geteuid() && st.st_gid == getegid();
  if (!same_attributes) return entries;
  unsigned files = 0;
  bool any_missing = false;
  for (const auto& e : kEntries) {
    if (e.dir) continue;
    Kind k = EtcFileKind(lower_dirs, e.path + sizeof("etc/") - 1, opaque_xattr);
    if (k == Kind::kAbsent) any_missing = true;
    if (k == Kind::kAbsent || k == Kind::kFile) files |= e.entry;
  }
  return any_missing ? entries | kEtc | files : entries;
}

absl::StatusOr<std::string> EnsureMountPointSkeleton(const std::string& cache_dir,
                                                     unsigned entries) {
  if (entries == 0) return std::string();
  base::Env* env = base::Env::Default();
  std::string final_dir = absl::StrCat(cache_dir, "/.skeleton-", absl::Hex(entries));
  if (env->IsDirectory(final_dir)) return final_dir;
  RETURN_IF_ERROR(env->CreateDirs(cache_dir, 0700));
  std::string tmp = absl::StrCat(cache_dir, "/.tmp-skeleton-XXXXXX");
  if (mkdtemp(tmp.data()) == nullptr)
    return base::ErrnoError(errno, absl::StrCat("mkdtemp `", tmp, "`"));
  absl::Status made = [&]() -> absl::Status {
    if (chmod(tmp.c_str(), 0755) < 0) return base::ErrnoError(errno, absl::StrCat("chmod `", tmp, "`"));
    for (const auto& e : kEntries) {
      if (!(entries & e.entry)) continue;
      std::string path = absl::StrCat(tmp, "/", e.path);
      if (e.dir) {
        if (mkdir(path.c_str(), 0755) < 0 || chmod(path.c_str(), 0755) < 0)
          return base::ErrnoError(errno, absl::StrCat("mkdir `", path, "`"));
      } else {
        ASSIGN_OR_RETURN(base::ScopedFd f, env->Open(path, O_WRONLY | O_CREAT | O_EXCL, 0644));
      }
    }
    return absl::OkStatus();
  }();
  // Another process may have made the same skeleton meanwhile: theirs is as good as ours.
  if (made.ok() && rename(tmp.c_str(), final_dir.c_str()) < 0 && errno != EEXIST &&
      errno != ENOTEMPTY)
    made = base::ErrnoError(errno, absl::StrCat("rename `", tmp, "` to `", final_dir, "`"));
  if (env->IsDirectory(tmp)) (void)env->RemoveAll(tmp);
  RETURN_IF_ERROR(made);
  return final_dir;
}

}  // namespace runner
