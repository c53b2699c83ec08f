#include "runner/rootfs/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"
#include "oci/tar/layer_extractor.h"
#include "runner/rootfs/mount_skeleton.h"
#include "runner/sandbox/id_mapping.h"

namespace runner {
namespace {

absl::StatusOr<base::ScopedFd> OpenBlobFile(const std::string& path) {
  return base::Env::Default()->Open(path, O_RDONLY);
}

// Hashes the whole blob open at `fd` and compares it with `want` (its name in the layout), then
// rewinds. A blob corrupted on disk is refused before anything is unpacked from it.
absl::Status VerifyBlob(int fd, const oci::Digest& want, const std::string& path) {
  oci::Sha256 hasher;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoError(errno, absl::StrCat("reading `", path, "`"));
    if (n == 0) break;
    hasher.Update(buf, static_cast<size_t>(n));
  }
  oci::Digest got = hasher.Finish();
  if (got.str() != want.str())
    return absl::DataLossError(absl::StrCat("blob `", path, "` has digest ", got.str(),
                                            ", expected ", want.str()));
  if (lseek(fd, 0, SEEK_SET) < 0) return base::ErrnoError(errno, absl::StrCat("lseek `", path, "`"));
  return absl::OkStatus();
}

}  // namespace

std::string DefaultLayerCacheDir() {
  if (const char* d = std::getenv("SLIPWAY_LAYER_CACHE"); d != nullptr && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x)
    return absl::StrCat(x, "/slipway/layers");
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr && *home ? home : "/root", "/.cache/slipway/layers");
}

LayerCache LayerCache::ForThisUser(std::string dir) {
  if (dir.empty()) dir = DefaultLayerCacheDir();
  if (geteuid() == 0) return LayerCache(std::move(dir), false);
  return LayerCache(std::move(dir), true, RootlessMappings());
}

std::string LayerCache::LayersDir() const {
  // Unpacked with their owners inside a user namespace, files belong to host ids of the mapping:
  // such layers are only valid with that same mapping, so they get a folder of their own.
  return UnpacksInUserNamespace() ? absl::StrCat(dir_, "/", mappings_.Key()) : dir_;
}

absl::StatusOr<std::string> LayerCache::Ensure(const oci::Digest& diff_id,
                                               const std::string& blob_path,
                                               const oci::Digest& blob_digest) {
  base::Env* env = base::Env::Default();
  std::string hex(diff_id.hex());
  std::string layers_dir = LayersDir();
  std::string final_dir = absl::StrCat(layers_dir, "/", hex);
  if (env->IsDirectory(final_dir)) return final_dir;
  RETURN_IF_ERROR(env->CreateDirs(layers_dir, 0700));
  ASSIGN_OR_RETURN(base::ScopedFd lock,
                   env->Open(absl::StrCat(layers_dir, "/.lock-", hex), O_RDWR | O_CREAT, 0600));
  while (flock(lock.get(), LOCK_EX) < 0) {
    if (errno != EINTR) return base::ErrnoError(errno, absl::StrCat("locking layer ", hex));
  }
  if (env->IsDirectory(final_dir)) return final_dir;  // another process unpacked it meanwhile
  ASSIGN_OR_RETURN(base::ScopedFd blob, OpenBlobFile(blob_path));
  if (!blob_digest.empty()) RETURN_IF_ERROR(VerifyBlob(blob.get(), blob_digest, blob_path));
  bool in_user_namespace = UnpacksInUserNamespace();
  auto unpack = [&]() -> absl::Status {
    // Leftovers of a crashed unpack of this layer (we hold its lock, so nobody is writing them).
    ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(layers_dir));
    for (const std::string& n : names)
      if (absl::StartsWith(n, absl::StrCat(".tmp-", hex)))
        RETURN_IF_ERROR(env->RemoveAll(absl::StrCat(layers_dir, "/", n)));
    std::string tmpl = absl::StrCat(layers_dir, "/.tmp-", hex, "-XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr)
      return base::ErrnoError(errno, absl::StrCat("mkdtemp `", tmpl, "`"));
    chmod(tmpl.c_str(), 0755);
    oci::ExtractOptions opts;
    opts.whiteouts = oci::ExtractOptions::Whiteouts::kOverlay;
    opts.overlay_xattr_prefix = rootless_ ? "user." : "trusted.";
    // As root of a user namespace with subordinate ranges, owners inside the ranges are kept.
    opts.preserve_owners = !rootless_ || in_user_namespace;
    opts.allow_devices = !rootless_;
    opts.expected_diff_id = diff_id;
    absl::StatusOr<oci::ExtractStats> stats = oci::ApplyLayer(blob.get(), tmpl, opts);
    if (!stats.ok()) {
      (void)env->RemoveAll(tmpl);
      return base::Annotate(stats.status(), absl::StrCat("unpacking layer ", diff_id.str(),
                                                         " from `", blob_path, "`"));
    }
    sync();  // the unpacked files must be durable before the name makes them visible
    return env->Rename(tmpl, final_dir);
  };
  RETURN_IF_ERROR(in_user_namespace ? RunInUserNamespace(mappings_, unpack) : unpack());
  return final_dir;
}

absl::StatusOr<std::string> LayerCache::MountPoint() {
  std::string dir = absl::StrCat(dir_, "/.mnt");
  if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) {
    RETURN_IF_ERROR(base::Env::Default()->CreateDirs(dir_, 0700));
    if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
      return base::ErrnoError(errno, absl::StrCat("mkdir `", dir, "`"));
  }
  return dir;
}

bool LayerCache::OverlaySupported() {
  base::Env* env = base::Env::Default();
  // (Named anew when the probe was fixed to map ids: older caches remember a wrong "no".)
  std::string ok_marker = absl::StrCat(dir_, "/.overlay-supported");
  std::string no_marker = absl::StrCat(dir_, "/.overlay-unsupported");
  if (env->Exists(ok_marker)) return true;
  if (env->Exists(no_marker)) return false;
  if (!env->CreateDirs(dir_, 0700).ok()) return false;
  std::string probe = absl::StrCat(dir_, "/.probe-XXXXXX");
  if (mkdtemp(probe.data()) == nullptr) return false;
  for (const char* d : {"/l", "/u", "/w", "/m"}) mkdir(absl::StrCat(probe, d).c_str(), 0755);
  uint32_t uid = geteuid(), gid = getegid();
  pid_t pid = fork();
  if (pid == 0) {
    int flags = CLONE_NEWNS | (rootless_ ? CLONE_NEWUSER : 0);
    if (unshare(flags) < 0) _exit(1);
    // Unmapped, we could not mount anything: map ourselves to root, as the containers are.
    if (rootless_ && !MapSelfToRoot(uid, gid).ok()) _exit(1);
    mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    std::string data = absl::StrCat("lowerdir=", probe, "/l,upperdir=", probe, "/u,workdir=",
                                     probe, "/w", rootless_ ? ",userxattr" : "");
    _exit(mount("overlay", absl::StrCat(probe, "/m").c_str(), "overlay", 0, data.c_str()) == 0
              ? 0 : 1);
  }
  int status = 1;
  if (pid > 0) waitpid(pid, &status, 0);
  (void)env->RemoveAll(probe);
  bool ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  (void)env->WriteFileAtomically(ok ? ok_marker : no_marker, "");
  return ok;
}

absl::StatusOr<PreparedRootfs> PrepareRootfs(const oci::Layout& layout, const oci::ImageRef& image,
                                             LayerCache& cache, const std::string& container_dir) {
  base::Env* env = base::Env::Default();
  const std::vector<oci::Descriptor>& layers = image.manifest.layers;
  const std::vector<oci::Digest>& diff_ids = image.config.diff_ids;
  if (layers.size() != diff_ids.size())
    return absl::FailedPreconditionError(absl::StrCat(
        "image has ", layers.size(), " layers but its config lists ", diff_ids.size(),
        " diff_ids"));
  PreparedRootfs out;
  if (cache.OverlaySupported()) {
    for (size_t i = 0; i < layers.size(); ++i) {
      ASSIGN_OR_RETURN(std::string dir,
                       cache.Ensure(diff_ids[i], layout.BlobPath(layers[i].digest), layers[i].digest));
      out.overlay.lower_dirs.insert(out.overlay.lower_dirs.begin(), dir);
    }
    // The overlay is only ever mounted inside a private mount namespace, so every container can
    // use the same mount point: nothing to create or delete per container.
    ASSIGN_OR_RETURN(out.rootfs, cache.MountPoint());
    ASSIGN_OR_RETURN(out.skeleton_dir,
                     EnsureMountPointSkeleton(
                         cache.dir(), SafeSkeletonEntries(out.overlay.lower_dirs,
                                                          geteuid() != 0 ? "user.overlay.opaque"
                                                                         : "trusted.overlay.opaque")));
    if (out.overlay.lower_dirs.empty()) {
      // An image with no layers: an empty lower keeps overlayfs happy.
      std::string empty = absl::StrCat(container_dir, "/empty");
      RETURN_IF_ERROR(env->CreateDirs(empty));
      out.overlay.lower_dirs.push_back(empty);
    }
    out.overlay.upper_dir = absl::StrCat(container_dir, "/upper");
    out.overlay.work_dir = absl::StrCat(container_dir, "/work");
    RETURN_IF_ERROR(env->CreateDirs(out.overlay.upper_dir, 0755));
    RETURN_IF_ERROR(env->CreateDirs(out.overlay.work_dir, 0700));
    out.overlay.userxattr = geteuid() != 0;
    out.read_dirs = out.overlay.lower_dirs;
    return out;
  }
  // No overlayfs: a private copy, every layer applied in order (whiteouts delete).
  out.private_copy = true;
  out.rootfs = absl::StrCat(container_dir, "/rootfs");
  RETURN_IF_ERROR(env->CreateDirs(out.rootfs, 0755));
  for (size_t i = 0; i < layers.size(); ++i) {
    ASSIGN_OR_RETURN(base::ScopedFd blob, OpenBlobFile(layout.BlobPath(layers[i].digest)));
    RETURN_IF_ERROR(VerifyBlob(blob.get(), layers[i].digest, layout.BlobPath(layers[i].digest)));
    oci::ExtractOptions opts;
    opts.preserve_owners = geteuid() == 0;
    opts.allow_devices = geteuid() == 0;
    opts.expected_diff_id = diff_ids[i];
    absl::StatusOr<oci::ExtractStats> s = oci::ApplyLayer(blob.get(), out.rootfs, opts);
    if (!s.ok())
      return base::Annotate(s.status(), absl::StrCat("copying layer ", diff_ids[i].str(),
                                                     " into `", out.rootfs, "`"));
  }
  out.read_dirs = {out.rootfs};
  return out;
}

absl::StatusOr<std::string> InspectImageRootfs(const oci::Layout& layout, const oci::ImageRef& image,
                                               LayerCache& cache, const std::string& scratch_dir,
                                               const std::function<std::string(int root_fd)>& fn) {
  ASSIGN_OR_RETURN(PreparedRootfs prepared, PrepareRootfs(layout, image, cache, scratch_dir));
  auto run_on = [&fn](const std::string& dir) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(base::ScopedFd root,
                     base::Env::Default()->Open(dir, O_PATH | O_DIRECTORY));
    return fn(root.get());
  };
  if (prepared.private_copy) return run_on(prepared.rootfs);
  if (prepared.overlay.lower_dirs.size() == 1) return run_on(prepared.overlay.lower_dirs[0]);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return base::ErrnoError(errno, "pipe");
  base::ScopedFd read_end(fds[0]), write_end(fds[1]);
  bool rootless = geteuid() != 0;
  uid_t uid = geteuid();
  gid_t gid = getegid();
  pid_t pid = fork();
  if (pid < 0) return base::ErrnoError(errno, "fork to inspect the rootfs");
  if (pid == 0) {
    read_end.Reset();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    auto fail = [&](const std::string& what) {
      (void)base::WriteAll(write_end.get(), absl::StrCat(what, ": ", std::strerror(errno)));
      _exit(2);
    };
    if (unshare(CLONE_NEWNS | (rootless ? CLONE_NEWUSER : 0)) < 0) fail("unshare");
    if (rootless) {
      absl::Status mapped = MapSelfToRoot(uid, gid);
      if (!mapped.ok()) {
        errno = 0;
        fail(std::string(mapped.message()));
      }
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) fail("making `/` private");
    std::string data = absl::StrCat("lowerdir=", absl::StrJoin(prepared.overlay.lower_dirs, ":"),
                                    rootless ? ",userxattr" : "");
    if (mount("overlay", prepared.rootfs.c_str(), "overlay", MS_RDONLY, data.c_str()) < 0)
      fail(absl::StrCat("mount overlay on `", prepared.rootfs, "`"));
    int root = open(prepared.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) fail(absl::StrCat("open `", prepared.rootfs, "`"));
    std::string out = absl::StrCat("+", fn(root));
    _exit(base::WriteAll(write_end.get(), out).ok() ? 0 : 3);
  }
  write_end.Reset();
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = read(read_end.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.empty() || out[0] != '+')
    return absl::InternalError(absl::StrCat("inspecting the image's root filesystem: ",
                                            out.empty() ? "the helper process died" : out));
  return out.substr(1);
}

}  // namespace runner
