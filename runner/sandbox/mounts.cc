#include "runner/sandbox/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"
#include "runner/sandbox/in_root.h"

namespace runner {
namespace {

absl::Status Mount(const std::string& source, const std::string& target, const char* fstype,
                   unsigned long flags, const std::string& data, const std::string& what) {
  if (mount(source.empty() ? nullptr : source.c_str(), target.c_str(), fstype, flags,
            data.empty() ? nullptr : data.c_str()) < 0)
    return base::ErrnoError(errno, absl::StrCat("mount ", what));
  return absl::OkStatus();
}

// The flags a read-only bind remount must keep (in a user namespace, locked flags cannot be
// cleared).
unsigned long LockedFlags(const std::string& path) {
  struct statvfs sv;
  if (statvfs(path.c_str(), &sv) < 0) return 0;
  unsigned long flags = 0;
  if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (sv.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  return flags;
}

absl::Status RemountReadOnly(const std::string& target, const std::string& what) {
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | LockedFlags(target);
  return Mount("", target, nullptr, flags, "", absl::StrCat(what, " read-only"));
}

struct DeviceNode {
  const char* name;
  unsigned major, minor;
};
constexpr DeviceNode kDevices[] = {{"null", 1, 3},    {"zero", 1, 5},    {"full", 1, 7},
                                   {"random", 1, 8},  {"urandom", 1, 9}, {"tty", 5, 0}};

absl::Status SetUpDev(int root_fd, bool user_namespace) {
  ASSIGN_OR_RETURN(base::ScopedFd dev, CreateInRoot(root_fd, "/dev", true));
  RETURN_IF_ERROR(Mount("tmpfs", FdPath(dev.get()), "tmpfs", MS_NOSUID | MS_STRICTATIME,
                        "mode=755,size=65536k", "`/dev` (tmpfs)"));
  ASSIGN_OR_RETURN(base::ScopedFd devfd, OpenInRoot(root_fd, "/dev", O_DIRECTORY | O_RDONLY));
  for (const DeviceNode& d : kDevices) {
    std::string path = absl::StrCat("/dev/", d.name);
    if (!user_namespace) {
      if (mknodat(devfd.get(), d.name, S_IFCHR | 0666, makedev(d.major, d.minor)) < 0)
        return base::ErrnoError(errno, absl::StrCat("mknod `", path, "`"));
      if (fchmodat(devfd.get(), d.name, 0666, 0) < 0)
        return base::ErrnoError(errno, absl::StrCat("chmod `", path, "`"));
    } else {
      // No mknod in a user namespace: bind the host's node instead.
      ASSIGN_OR_RETURN(base::ScopedFd target, CreateInRoot(root_fd, path, false));
      RETURN_IF_ERROR(Mount(path, FdPath(target.get()), nullptr, MS_BIND, "",
                            absl::StrCat("`", path, "` (bind)")));
    }
  }
  ASSIGN_OR_RETURN(base::ScopedFd pts, CreateInRoot(root_fd, "/dev/pts", true));
  std::string pts_opts = user_namespace ? "newinstance,ptmxmode=0666,mode=0620"
                                        : "newinstance,ptmxmode=0666,mode=0620,gid=5";
  RETURN_IF_ERROR(Mount("devpts", FdPath(pts.get()), "devpts", MS_NOSUID | MS_NOEXEC, pts_opts,
                        "`/dev/pts` (devpts)"));
  ASSIGN_OR_RETURN(base::ScopedFd shm, CreateInRoot(root_fd, "/dev/shm", true));
  RETURN_IF_ERROR(Mount("shm", FdPath(shm.get()), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        "mode=1777,size=65536k", "`/dev/shm` (tmpfs)"));
  ASSIGN_OR_RETURN(base::ScopedFd mq, CreateInRoot(root_fd, "/dev/mqueue", true));
  RETURN_IF_ERROR(Mount("mqueue", FdPath(mq.get()), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        "", "`/dev/mqueue` (mqueue)"));
  const std::pair<const char*, const char*> links[] = {
      {"ptmx", "pts/ptmx"},          {"fd", "/proc/self/fd"},
      {"stdin", "/proc/self/fd/0"},  {"stdout", "/proc/self/fd/1"},
      {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"}};
  for (const auto& [name, target] : links) {
    if (symlinkat(target, devfd.get(), name) < 0)
      return base::ErrnoError(errno, absl::StrCat("symlink `/dev/", name, "`"));
  }
  return absl::OkStatus();
}

absl::Status SetUpSys(int root_fd) {
  ASSIGN_OR_RETURN(base::ScopedFd sys, CreateInRoot(root_fd, "/sys", true));
  std::string target = FdPath(sys.get());
  absl::Status s = Mount("sysfs", target, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                         "", "`/sys` (sysfs)");
  if (s.ok()) return s;
  // Not allowed (a user namespace sharing the host's network): bind the host's, read-only.
  RETURN_IF_ERROR(Mount("/sys", target, nullptr, MS_BIND | MS_REC, "", "`/sys` (bind)"));
  return RemountReadOnly(target, "`/sys`");
}

absl::Status MaskAndProtect(int root_fd) {
  for (const std::string& p : MaskedPaths()) {
    absl::StatusOr<base::ScopedFd> fd = OpenInRoot(root_fd, p, O_PATH | O_NOFOLLOW);
    if (!fd.ok()) continue;  // not present on this kernel
    struct stat st;
    if (fstat(fd->get(), &st) < 0) return base::ErrnoError(errno, absl::StrCat("stat `", p, "`"));
    if (S_ISDIR(st.st_mode)) {
      RETURN_IF_ERROR(Mount("tmpfs", FdPath(fd->get()), "tmpfs", MS_RDONLY, "",
                            absl::StrCat("tmpfs over `", p, "` (masking)")));
    } else {
      ASSIGN_OR_RETURN(base::ScopedFd null, OpenInRoot(root_fd, "/dev/null", O_PATH));
      RETURN_IF_ERROR(Mount(FdPath(null.get()), FdPath(fd->get()), nullptr, MS_BIND, "",
                            absl::StrCat("/dev/null over `", p, "` (masking)")));
    }
  }
  for (const std::string& p : ReadonlyPaths()) {
    absl::StatusOr<base::ScopedFd> fd = OpenInRoot(root_fd, p, O_PATH | O_NOFOLLOW);
    if (!fd.ok()) continue;
    std::string target = FdPath(fd->get());
    RETURN_IF_ERROR(Mount(target, target, nullptr, MS_BIND | MS_REC, "",
                          absl::StrCat("`", p, "` onto itself")));
    // Re-open: the fd still points below the new bind mount.
    ASSIGN_OR_RETURN(base::ScopedFd top, OpenInRoot(root_fd, p, O_PATH | O_NOFOLLOW));
    RETURN_IF_ERROR(RemountReadOnly(FdPath(top.get()), absl::StrCat("`", p, "`")));
  }
  return absl::OkStatus();
}

absl::Status MountGeneratedFiles(int root_fd, const std::vector<GeneratedFile>& files) {
  if (files.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(base::ScopedFd devfd, OpenInRoot(root_fd, "/dev", O_DIRECTORY | O_RDONLY));
  for (size_t i = 0; i < files.size(); ++i) {
    const GeneratedFile& f = files[i];
    // Staged under a name the container never sees: it is unlinked before anything runs there.
    std::string name = absl::StrCat(".slipway-file-", i);
    int raw = openat(devfd.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (raw < 0) return base::ErrnoError(errno, absl::StrCat("creating `/dev/", name, "`"));
    base::ScopedFd staged(raw);
    RETURN_IF_ERROR_CTX(base::WriteAll(staged.get(), f.content),
                        absl::StrCat("writing the content of `", f.destination, "`"));
    ASSIGN_OR_RETURN(base::ScopedFd dst, CreateInRoot(root_fd, f.destination, false));
    std::string what = absl::StrCat("`", f.destination, "`");
    RETURN_IF_ERROR(Mount(FdPath(staged.get()), FdPath(dst.get()), nullptr, MS_BIND, "", what));
    if (unlinkat(devfd.get(), name.c_str(), 0) < 0)
      return base::ErrnoError(errno, absl::StrCat("unlinking `/dev/", name, "`"));
    if (f.read_only) {
      ASSIGN_OR_RETURN(base::ScopedFd top, OpenInRoot(root_fd, f.destination, O_PATH));
      RETURN_IF_ERROR(RemountReadOnly(FdPath(top.get()), what));
    }
  }
  return absl::OkStatus();
}

absl::Status BindMounts(int root_fd, const std::vector<BindMount>& mounts) {
  for (const BindMount& m : mounts) {
    struct stat st;
    if (stat(m.source.c_str(), &st) < 0)
      return base::ErrnoError(errno, absl::StrCat("bind mount source `", m.source, "`"));
    ASSIGN_OR_RETURN(base::ScopedFd dst, CreateInRoot(root_fd, m.destination, S_ISDIR(st.st_mode)));
    std::string what = absl::StrCat("`", m.source, "` on `", m.destination, "`");
    RETURN_IF_ERROR(Mount(m.source, FdPath(dst.get()), nullptr, MS_BIND | MS_REC, "", what));
    if (m.read_only) {
      ASSIGN_OR_RETURN(base::ScopedFd top, OpenInRoot(root_fd, m.destination, O_PATH));
      RETURN_IF_ERROR(RemountReadOnly(FdPath(top.get()), what));
    }
  }
  return absl::OkStatus();
}

absl::Status PivotInto(const std::string& rootfs) {
  if (chdir(rootfs.c_str()) < 0)
    return base::ErrnoError(errno, absl::StrCat("chdir `", rootfs, "`"));
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return base::ErrnoError(errno, absl::StrCat("pivot_root `", rootfs, "`"));
  // The old root is stacked on the new one: detach it.
  if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    return base::ErrnoError(errno, "making the old root a slave");
  if (umount2(".", MNT_DETACH) < 0) return base::ErrnoError(errno, "unmounting the old root");
  if (chdir("/") < 0) return base::ErrnoError(errno, "chdir `/`");
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& MaskedPaths() {
  static const std::vector<std::string>* paths = new std::vector<std::string>{
      "/proc/asound",     "/proc/acpi",        "/proc/kcore",
      "/proc/keys",       "/proc/latency_stats", "/proc/timer_list",
      "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
      "/sys/firmware",    "/sys/devices/virtual/powercap"};
  return *paths;
}

const std::vector<std::string>& ReadonlyPaths() {
  static const std::vector<std::string>* paths = new std::vector<std::string>{
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  return *paths;
}

absl::Status SetUpMountsAndPivot(const SandboxSpec& spec) {
  // Nothing we mount may propagate back to the host.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
    return base::ErrnoError(errno, "making `/` private");
  if (!spec.overlay.lower_dirs.empty()) {
    std::string data = absl::StrCat("lowerdir=", absl::StrJoin(spec.overlay.lower_dirs, ":"));
    if (!spec.overlay.upper_dir.empty())
      absl::StrAppend(&data, ",upperdir=", spec.overlay.upper_dir, ",workdir=",
                      spec.overlay.work_dir);
    if (spec.overlay.userxattr) absl::StrAppend(&data, ",userxattr");
    RETURN_IF_ERROR(Mount("overlay", spec.rootfs, "overlay", 0, data,
                          absl::StrCat("overlay on `", spec.rootfs, "`")));
  }
  // The root must be a mount point for pivot_root.
  RETURN_IF_ERROR(Mount(spec.rootfs, spec.rootfs, nullptr, MS_BIND | MS_REC, "",
                        absl::StrCat("`", spec.rootfs, "` onto itself")));
  int raw = open(spec.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (raw < 0) return base::ErrnoError(errno, absl::StrCat("open `", spec.rootfs, "`"));
  base::ScopedFd root(raw);

  ASSIGN_OR_RETURN(base::ScopedFd proc, CreateInRoot(root.get(), "/proc", true));
  RETURN_IF_ERROR(Mount("proc", FdPath(proc.get()), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "",
                        "`/proc`"));
  RETURN_IF_ERROR(SetUpDev(root.get(), spec.user_namespace));
  RETURN_IF_ERROR(SetUpSys(root.get()));
  RETURN_IF_ERROR(MountGeneratedFiles(root.get(), spec.files));
  RETURN_IF_ERROR(BindMounts(root.get(), spec.mounts));
  RETURN_IF_ERROR(MaskAndProtect(root.get()));
  RETURN_IF_ERROR(PivotInto(spec.rootfs));
  if (spec.readonly_rootfs) RETURN_IF_ERROR(RemountReadOnly("/", "`/`"));
  return absl::OkStatus();
}

}  // namespace runner
