#include "oci/tar/layer_extractor.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"
#include "oci/digest.h"
#include "oci/tar/dir_listing.h"
#include "third_party/lazy/lazy_archive.h"

namespace oci {
namespace {

// Bounded buffers: the extractor never holds more than these, whatever the layer or file size.
constexpr size_t kCompressedChunk = 128 * 1024;
constexpr size_t kDecompressedChunk = 256 * 1024;
constexpr int kMaxSymlinkFollows = 40;

constexpr absl::string_view kWhiteoutPrefix = ".wh.";
constexpr absl::string_view kOpaqueName = ".wh..wh..opq";

// ---------------------------------------------------------------------------------------------
// The uncompressed stream: reads `fd`, detects gzip / zstd / plain from the first bytes,
// decompresses into a fixed buffer and hashes every uncompressed byte (the diff_id).
class Source {
 public:
  explicit Source(int fd) : fd_(fd), in_(kCompressedChunk, '\0'), out_(kDecompressedChunk, '\0') {}
  ~Source() {
    if (kind_ == Kind::kGzip) inflateEnd(&z_);
    if (dstream_ != nullptr) ZSTD_freeDStream(dstream_);
  }

  // Returns the next uncompressed bytes (empty at the end of the stream).
  absl::StatusOr<absl::string_view> Next() {
    if (!started_) RETURN_IF_ERROR(Start());
    absl::string_view out;
    switch (kind_) {
      case Kind::kPlain: {
        if (in_pos_ < in_len_) {
          out = absl::string_view(in_.data() + in_pos_, in_len_ - in_pos_);
          in_pos_ = in_len_;
        } else {
          ASSIGN_OR_RETURN(size_t n, Fill());
          out = absl::string_view(in_.data(), n);
          in_pos_ = n;
        }
        break;
      }
      case Kind::kGzip: {
        ASSIGN_OR_RETURN(out, NextGzip());
        break;
      }
      case Kind::kZstd: {
        ASSIGN_OR_RETURN(out, NextZstd());
        break;
      }
    }
    hash_.Update(out);
    return out;
  }

  // Reads and hashes whatever is left (tar padding after the end-of-archive marker).
  absl::Status Drain() {
    while (true) {
      ASSIGN_OR_RETURN(absl::string_view s, Next());
      if (s.empty()) return absl::OkStatus();
    }
  }

  uint64_t bytes() const { return hash_.bytes(); }
  Digest Finish() { return hash_.Finish(); }

 private:
  enum class Kind { kPlain, kGzip, kZstd };

  absl::StatusOr<size_t> Fill() {
    while (true) {
      ssize_t n = read(fd_, in_.data(), in_.size());
      if (n >= 0) {
        in_len_ = n;
        in_pos_ = 0;
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) return base::ErrnoError(errno, "reading the layer");
    }
  }

  absl::Status Start() {
    started_ = true;
    // Read at least 4 bytes (or to the end) to recognise the magic numbers.
    size_t have = 0;
    while (have < 4) {
      ssize_t n = read(fd_, in_.data() + have, in_.size() - have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return base::ErrnoError(errno, "reading the layer");
      if (n == 0) break;
      have += n;
    }
    in_len_ = have;
    in_pos_ = 0;
    const unsigned char* m = reinterpret_cast<const unsigned char*>(in_.data());
    if (have >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
      kind_ = Kind::kGzip;
      if (inflateInit2(&z_, 15 + 16) != Z_OK) return absl::InternalError("inflateInit2 failed");
    } else if (have >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
      kind_ = Kind::kZstd;
      dstream_ = ZSTD_createDStream();
      if (dstream_ == nullptr) return absl::ResourceExhaustedError("ZSTD_createDStream failed");
    } else {
      kind_ = Kind::kPlain;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<absl::string_view> NextGzip() {
    while (!gzip_done_) {
      if (in_pos_ == in_len_) {
        ASSIGN_OR_RETURN(size_t n, Fill());
        if (n == 0) return absl::DataLossError("gzip layer: truncated stream");
      }
      z_.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
      z_.avail_in = in_len_ - in_pos_;
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = out_.size();
      int rc = inflate(&z_, Z_NO_FLUSH);
      in_pos_ = in_len_ - z_.avail_in;
      size_t produced = out_.size() - z_.avail_out;
      if (rc == Z_STREAM_END) {
        // Another gzip member may follow (concatenated gzip is one stream).
        if (in_pos_ == in_len_) {
          ASSIGN_OR_RETURN(size_t n, Fill());
          if (n == 0) gzip_done_ = true;
        }
        if (!gzip_done_) inflateReset(&z_);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return absl::DataLossError(
            absl::StrCat("gzip layer: ", z_.msg != nullptr ? z_.msg : "corrupt data"));
      }
      if (produced > 0) return absl::string_view(out_.data(), produced);
    }
    return absl::string_view();
  }

  absl::StatusOr<absl::string_view> NextZstd() {
    while (true) {
      if (in_pos_ == in_len_) {
        ASSIGN_OR_RETURN(size_t n, Fill());
        if (n == 0) {
          if (zstd_pending_ != 0) return absl::DataLossError("zstd layer: truncated stream");
          return absl::string_view();
        }
      }
      ZSTD_inBuffer in{in_.data(), in_len_, in_pos_};
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      size_t rc = ZSTD_decompressStream(dstream_, &out, &in);
      if (ZSTD_isError(rc)) {
        return absl::DataLossError(absl::StrCat("zstd layer: ", ZSTD_getErrorName(rc)));
      }
      zstd_pending_ = rc;
      in_pos_ = in.pos;
      if (out.pos > 0) return absl::string_view(out_.data(), out.pos);
    }
  }

  const int fd_;
  bool started_ = false;
  Kind kind_ = Kind::kPlain;
  std::string in_;
  size_t in_len_ = 0, in_pos_ = 0;
  std::string out_;
  z_stream z_{};
  bool gzip_done_ = false;
  ZSTD_DStream* dstream_ = nullptr;
  size_t zstd_pending_ = 0;
  Sha256 hash_;

 public:
  absl::Status error;  // the first error seen by the libarchive read callback
};

la_ssize_t ArchiveRead(struct archive* a, void* client, const void** buffer) {
  auto* src = static_cast<Source*>(client);
  absl::StatusOr<absl::string_view> next = src->Next();
  if (!next.ok()) {
    src->error = next.status();
    archive_set_error(a, EIO, "%s", next.status().ToString().c_str());
    return -1;
  }
  *buffer = next->data();
  return static_cast<la_ssize_t>(next->size());
}

// ---------------------------------------------------------------------------------------------
// Paths.

// Splits a tar name into clean components, dropping empty and "." parts and resolving ".."
// lexically. A name that climbs above the root ("../../etc/x") is refused, as Docker does; a leading
// "/" is taken as the root.
absl::StatusOr<std::vector<std::string>> CleanComponents(absl::string_view name,
                                                         absl::string_view what) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) {
        return absl::PermissionDeniedError(
            absl::StrCat(what, " `", name, "` climbs out of the root; refused"));
      }
      parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return parts;
}

long Openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  struct open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = flags;
  how.resolve = resolve;
  return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

// The root and the ways to resolve paths inside it.
class Root {
 public:
  Root(base::ScopedFd fd, std::string path, bool force_fallback)
      : fd_(std::move(fd)), path_(std::move(path)), use_openat2_(!force_fallback) {}

  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  // Opens the directory at `parts` (resolved inside the root: symlinks, absolute or relative, are
  // followed as if the root were "/") as an O_PATH fd. errno-style status on failure.
  absl::StatusOr<base::ScopedFd> OpenDir(const std::vector<std::string>& parts, size_t count) {
    if (count == 0) {
      int fd = fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return base::ErrnoError(errno, "dup the root fd");
      return base::ScopedFd(fd);
    }
    std::string rel = absl::StrJoin(parts.begin(), parts.begin() + count, "/");
    if (use_openat2_) {
      long fd;
      int tries = 0;
      do {  // EAGAIN: a concurrent rename raced a ".." lookup; the kernel asks for a retry
        fd = Openat2(fd_.get(), rel.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC,
                     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      } while (fd < 0 && errno == EAGAIN && ++tries < 16);
      if (fd >= 0) return base::ScopedFd(static_cast<int>(fd));
      if (errno != ENOSYS) return base::ErrnoError(errno, absl::StrCat("resolve `", rel, "` in the root"));
      use_openat2_ = false;  // old kernel: fall back for good
    }
    return WalkInRoot(rel);
  }

  // Opens the parent directory of `parts`, creating missing directories (mode 0755, like Docker)
  // inside the root; a dangling symlink on the way gets its in-root target created, as Docker's
  // in-scope MkdirAll does. Root-relative paths of directories it creates go into `created`.
  absl::StatusOr<base::ScopedFd> OpenParent(const std::vector<std::string>& parts,
                                            std::set<std::string>* created) {
    const size_t n = parts.size() - 1;
    absl::StatusOr<base::ScopedFd> dir = OpenDir(parts, n);
    if (dir.ok() || !absl::IsNotFound(dir.status())) return dir;
    return WalkInRoot(absl::StrJoin(parts.begin(), parts.begin() + n, "/"), created);
  }

 private:
  // The fallback for kernels without openat2 (and the creating walk): goes component by component
  // with O_NOFOLLOW, following symlinks by hand with the root as "/" and ".." never above the
  // root. With `created` set, missing directories are made (and recorded) on the way.
  absl::StatusOr<base::ScopedFd> WalkInRoot(const std::string& rel,
                                            std::set<std::string>* created = nullptr) {
    std::vector<base::ScopedFd> stack;  // open directories below the root
    std::vector<std::string> names;     // their names, for the root-relative path
    auto current = [&]() { return stack.empty() ? fd_.get() : stack.back().get(); };
    std::vector<std::string> todo;  // reversed: next component at the back
    for (absl::string_view p : absl::StrSplit(rel, '/', absl::SkipEmpty())) todo.emplace_back(p);
    std::reverse(todo.begin(), todo.end());
    int follows = 0;
    while (!todo.empty()) {
      std::string comp = std::move(todo.back());
      todo.pop_back();
      if (comp == ".") continue;
      if (comp == "..") {
        if (!stack.empty()) {
          stack.pop_back();
          names.pop_back();
        }
        continue;
      }
      int fd = openat(current(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && created != nullptr) {
        if (mkdirat(current(), comp.c_str(), 0755) != 0 && errno != EEXIST) {
          return base::ErrnoError(errno, absl::StrCat("mkdir `", comp, "` for `", rel, "`"));
        }
        names.push_back(comp);
        created->insert(absl::StrJoin(names, "/"));
        names.pop_back();
        fd = openat(current(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
      }
      if (fd < 0) return base::ErrnoError(errno, absl::StrCat("resolve `", rel, "` in the root"));
      base::ScopedFd next(fd);
      struct stat st;
      if (fstat(next.get(), &st) != 0) return base::ErrnoError(errno, absl::StrCat("stat `", rel, "`"));
      if (S_ISLNK(st.st_mode)) {
        if (++follows > kMaxSymlinkFollows) {
          return base::ErrnoError(ELOOP, absl::StrCat("resolve `", rel, "` in the root"));
        }
        std::string target(PATH_MAX, '\0');
        ssize_t len = readlinkat(next.get(), "", target.data(), target.size());
        if (len < 0) return base::ErrnoError(errno, absl::StrCat("readlink in `", rel, "`"));
        target.resize(len);
        if (!target.empty() && target[0] == '/') {  // absolute: from the root
          stack.clear();
          names.clear();
        }
        std::vector<std::string> more;
        for (absl::string_view p : absl::StrSplit(target, '/', absl::SkipEmpty())) more.emplace_back(p);
        for (auto it = more.rbegin(); it != more.rend(); ++it) todo.push_back(*it);
        continue;
      }
      if (!S_ISDIR(st.st_mode)) {
        return base::ErrnoError(ENOTDIR, absl::StrCat("resolve `", rel, "` in the root"));
      }
      stack.push_back(std::move(next));
      names.push_back(comp);
    }
    int fd = fcntl(current(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return base::ErrnoError(errno, "dup");
    return base::ScopedFd(fd);
  }

  base::ScopedFd fd_;
  std::string path_;
  bool use_openat2_;
};

// Removes `name` in `dirfd` and, if it is a directory, everything below it, never following links.
absl::Status RemoveAllAt(int parent, const std::string& name, const std::string& shown) {
  if (unlinkat(parent, name.c_str(), 0) == 0 || errno == ENOENT) return absl::OkStatus();
  if (errno != EISDIR && errno != EPERM) return base::ErrnoError(errno, absl::StrCat("remove `", shown, "`"));
  ASSIGN_OR_RETURN(DirListing dir, OpenAndListDirAt(parent, name, O_NOFOLLOW, shown));
  for (const std::string& n : dir.names) {
    RETURN_IF_ERROR(RemoveAllAt(dir.fd.get(), n, absl::StrCat(shown, "/", n)));
  }
  if (unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return base::ErrnoError(errno, absl::StrCat("rmdir `", shown, "`"));
  }
  return absl::OkStatus();
}

std::string Join(const std::vector<std::string>& parts, size_t count) {
  return absl::StrJoin(parts.begin(), parts.begin() + count, "/");
}

bool AllZero(const char* p, size_t n) {
  return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

absl::Status WriteAll(int fd, const char* p, size_t n, off_t offset, const std::string& shown) {
  while (n > 0) {
    ssize_t w = pwrite(fd, p, n, offset);
    if (w < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoError(errno, absl::StrCat("write `", shown, "`"));
    }
    p += w;
    n -= w;
    offset += w;
  }
  return absl::OkStatus();
}

// Applies the entries of one layer, in order. Every filesystem change is made with *at() calls
// relative to a directory fd resolved inside the root, on a final component that is never followed.
class Extractor {
 public:
  Extractor(Root& root, const ExtractOptions& options, struct archive* a)
      : root_(root), options_(options), a_(a),
        chown_(options.preserve_owners && geteuid() == 0) {}

  absl::Status Entry(struct archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    if (raw == nullptr) return absl::InvalidArgumentError("entry without a readable name");
    ASSIGN_OR_RETURN(std::vector<std::string> parts, CleanComponents(raw, "entry"));
    if (parts.empty()) return absl::OkStatus();  // "./": the root itself is not changed
    const std::string& base = parts.back();
    if (absl::StartsWith(base, kWhiteoutPrefix)) return Whiteout(parts);
    for (size_t i = 1; i <= parts.size(); ++i) touched_.insert(Join(parts, i));
    const std::string shown = Join(parts, parts.size());
    const mode_t type = archive_entry_filetype(e);
    if ((type == AE_IFCHR || type == AE_IFBLK) && !options_.allow_devices) {
      return absl::PermissionDeniedError(
          absl::StrCat("device node `", shown, "` refused (devices are not allowed)"));
    }
    ASSIGN_OR_RETURN(base::ScopedFd parent, root_.OpenParent(parts, &touched_));

    const char* hardlink = archive_entry_hardlink(e);
    if (hardlink != nullptr && *hardlink != '\0') return Hardlink(parts, parent.get(), hardlink);

    struct stat st;
    bool exists = fstatat(parent.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(S_ISDIR(st.st_mode) && type == AE_IFDIR)) {
      // Whatever was there (file, link, directory) is replaced, as Docker does.
      RETURN_IF_ERROR(RemoveAllAt(parent.get(), base, shown));
      exists = false;
    }
    const uid_t uid = archive_entry_uid(e);
    const gid_t gid = archive_entry_gid(e);
    const mode_t perm = archive_entry_perm(e) & 07777;
    struct timespec times[2];
    times[1].tv_sec = archive_entry_mtime(e);
    times[1].tv_nsec = archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0;
    times[0] = times[1];

    switch (type) {
      case AE_IFREG: {
        int fd = openat(parent.get(), base.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) return base::ErrnoError(errno, absl::StrCat("create `", shown, "`"));
        base::ScopedFd file(fd);
        RETURN_IF_ERROR(CopyData(file.get(), archive_entry_size(e), shown));
        RETURN_IF_ERROR(SetMetadata(file.get(), uid, gid, perm, e, shown));
        if (futimens(file.get(), times) != 0) {
          return base::ErrnoError(errno, absl::StrCat("set the times of `", shown, "`"));
        }
        return absl::OkStatus();
      }
      case AE_IFDIR: {
        if (!exists && mkdirat(parent.get(), base.c_str(), 0700) != 0) {
          return base::ErrnoError(errno, absl::StrCat("mkdir `", shown, "`"));
        }
        int fd = openat(parent.get(), base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return base::ErrnoError(errno, absl::StrCat("open `", shown, "`"));
        base::ScopedFd dir(fd);
        // Owner and xattrs now; mode and mtime once the layer is done (a read-only directory must
        // still accept its children, and children change the mtime).
        RETURN_IF_ERROR(SetMetadata(dir.get(), uid, gid, 0700, e, shown));
        dirs_.push_back({parts, perm, times[1]});
        return absl::OkStatus();
      }
      case AE_IFLNK: {
        const char* target = archive_entry_symlink(e);
        if (target == nullptr) return absl::InvalidArgumentError(absl::StrCat("symlink `", shown, "` has no target"));
        // Stored exactly as written: only writes *through* it are confined to the root.
        if (symlinkat(target, parent.get(), base.c_str()) != 0) {
          return base::ErrnoError(errno, absl::StrCat("symlink `", shown, "`"));
        }
        if (chown_ && fchownat(parent.get(), base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
          return base::ErrnoError(errno, absl::StrCat("chown `", shown, "`"));
        }
        if (utimensat(parent.get(), base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
          return base::ErrnoError(errno, absl::StrCat("set the times of `", shown, "`"));
        }
        return absl::OkStatus();
      }
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFIFO: {
        dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
        if (mknodat(parent.get(), base.c_str(), type | 0600, dev) != 0) {
          return base::ErrnoError(errno, absl::StrCat("mknod `", shown, "`"));
        }
        if (chown_ && fchownat(parent.get(), base.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
          return base::ErrnoError(errno, absl::StrCat("chown `", shown, "`"));
        }
        if (fchmodat(parent.get(), base.c_str(), perm, 0) != 0) {
          return base::ErrnoError(errno, absl::StrCat("chmod `", shown, "`"));
        }
        if (utimensat(parent.get(), base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
          return base::ErrnoError(errno, absl::StrCat("set the times of `", shown, "`"));
        }
        return absl::OkStatus();
      }
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("entry `", shown, "` has an unsupported type (", absl::Hex(type), ")"));
    }
  }

  // Applies directory modes and mtimes, deepest last-written first.
  absl::Status FinishDirectories() {
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      const std::vector<std::string>& parts = it->parts;
      const std::string shown = Join(parts, parts.size());
      absl::StatusOr<base::ScopedFd> parent = root_.OpenDir(parts, parts.size() - 1);
      if (!parent.ok()) continue;  // removed or replaced later in the layer
      int fd = openat(parent->get(), parts.back().c_str(),
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) continue;
      base::ScopedFd dir(fd);
      if (fchmod(dir.get(), it->mode) != 0) {
        return base::ErrnoError(errno, absl::StrCat("chmod `", shown, "`"));
      }
      struct timespec times[2] = {it->mtime, it->mtime};
      if (futimens(dir.get(), times) != 0) {
        return base::ErrnoError(errno, absl::StrCat("set the times of `", shown, "`"));
      }
    }
    return absl::OkStatus();
  }

 private:
  struct DirMeta {
    std::vector<std::string> parts;
    mode_t mode;
    struct timespec mtime;
  };

  absl::Status Hardlink(const std::vector<std::string>& parts, int parent, const char* target) {
    const std::string shown = Join(parts, parts.size());
    ASSIGN_OR_RETURN(std::vector<std::string> tparts,
                     CleanComponents(target, absl::StrCat("hardlink `", shown, "` target")));
    if (tparts.empty()) {
      return absl::PermissionDeniedError(
          absl::StrCat("hardlink `", shown, "` points at the root directory; refused"));
    }
    if (tparts == parts) return absl::OkStatus();
    const std::string tshown = Join(tparts, tparts.size());
    // The target's directory is resolved inside the root like any path; its last component is
    // never followed, so a link through a symlink to the outside still lands inside the root.
    absl::StatusOr<base::ScopedFd> tparent = root_.OpenDir(tparts, tparts.size() - 1);
    if (!tparent.ok()) {
      return base::Annotate(tparent.status(),
                            absl::StrCat("hardlink `", shown, "` to `", tshown, "`"));
    }
    struct stat st;
    if (fstatat(tparent->get(), tparts.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return base::ErrnoError(errno, absl::StrCat("hardlink `", shown, "` to `", tshown, "`"));
    }
    if (S_ISDIR(st.st_mode)) {
      return absl::PermissionDeniedError(
          absl::StrCat("hardlink `", shown, "` points at directory `", tshown, "`; refused"));
    }
    RETURN_IF_ERROR(RemoveAllAt(parent, parts.back(), shown));
    if (linkat(tparent->get(), tparts.back().c_str(), parent, parts.back().c_str(), 0) != 0) {
      return base::ErrnoError(errno, absl::StrCat("hardlink `", shown, "` to `", tshown, "`"));
    }
    return absl::OkStatus();
  }

  absl::Status Whiteout(const std::vector<std::string>& parts) {
    const std::string& base = parts.back();
    const std::string shown = Join(parts, parts.size());
    std::vector<std::string> dir_parts(parts.begin(), parts.end() - 1);
    if (base == kOpaqueName) {
      for (size_t i = 1; i <= dir_parts.size(); ++i) touched_.insert(Join(dir_parts, i));
      ASSIGN_OR_RETURN(base::ScopedFd dir, root_.OpenParent(parts, &touched_));
      if (options_.whiteouts == ExtractOptions::Whiteouts::kOverlay) {
        int fd = openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return base::ErrnoError(errno, absl::StrCat("open the directory of `", shown, "`"));
        base::ScopedFd real(fd);
        const std::string key = options_.overlay_xattr_prefix + "overlay.opaque";
        if (fsetxattr(real.get(), key.c_str(), "y", 1, 0) != 0) {
          return base::ErrnoError(errno, absl::StrCat("set ", key, " on the directory of `", shown, "`"));
        }
        return absl::OkStatus();
      }
      return ClearLowerChildren(dir.get(), Join(dir_parts, dir_parts.size()));
    }
    const std::string victim = base.substr(kWhiteoutPrefix.size());
    if (victim.empty() || victim == "." || victim == ".." ||
        absl::StartsWith(victim, kWhiteoutPrefix)) {
      return absl::InvalidArgumentError(
          absl::StrCat("`", shown, "` is not a valid whiteout (only `.wh.NAME` and `",
                       kOpaqueName, "` are)"));
    }
    std::vector<std::string> vparts = dir_parts;
    vparts.push_back(victim);
    const std::string vshown = Join(vparts, vparts.size());
    if (options_.whiteouts == ExtractOptions::Whiteouts::kOverlay) {
      for (size_t i = 1; i <= vparts.size(); ++i) touched_.insert(Join(vparts, i));
      ASSIGN_OR_RETURN(base::ScopedFd parent, root_.OpenParent(vparts, &touched_));
      RETURN_IF_ERROR(RemoveAllAt(parent.get(), victim, vshown));
      if (mknodat(parent.get(), victim.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) {
        return base::ErrnoError(errno, absl::StrCat("mknod the whiteout `", vshown, "`"));
      }
      return absl::OkStatus();
    }
    absl::StatusOr<base::ScopedFd> parent = root_.OpenDir(dir_parts, dir_parts.size());
    if (!parent.ok()) {
      // Nothing to delete when the directory does not exist.
      if (absl::IsNotFound(parent.status()) || absl::IsFailedPrecondition(parent.status())) {
        return absl::OkStatus();
      }
      return parent.status();
    }
    return RemoveAllAt(parent->get(), victim, vshown);
  }

  // Opaque directory: removes every child that this layer did not write (they came from earlier
  // layers), descending into directories this layer did write.
  absl::Status ClearLowerChildren(int dir_path_fd, const std::string& prefix) {
    ASSIGN_OR_RETURN(DirListing dir,
                     OpenAndListDirAt(dir_path_fd, ".", 0, absl::StrCat(prefix, "/")));
    for (const std::string& n : dir.names) {
      const std::string path = prefix.empty() ? n : absl::StrCat(prefix, "/", n);
      if (touched_.count(path) == 0) {
        RETURN_IF_ERROR(RemoveAllAt(dir.fd.get(), n, path));
        continue;
      }
      struct stat st;
      if (fstatat(dir.fd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
        int sub = openat(dir.fd.get(), n.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) return base::ErrnoError(errno, absl::StrCat("open `", path, "`"));
        base::ScopedFd subfd(sub);
        RETURN_IF_ERROR(ClearLowerChildren(subfd.get(), path));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CopyData(int fd, int64_t size, const std::string& shown) {
    const void* buf;
    size_t len;
    la_int64_t offset;
    while (true) {
      int r = archive_read_data_block(a_, &buf, &len, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        const char* msg = archive_error_string(a_);
        return absl::DataLossError(absl::StrCat("reading the data of `", shown, "`: ",
                                                msg != nullptr ? msg : "libarchive error"));
      }
      // Zero runs become holes: a huge zero file costs no disk and no memory.
      if (AllZero(static_cast<const char*>(buf), len)) continue;
      RETURN_IF_ERROR(WriteAll(fd, static_cast<const char*>(buf), len, offset, shown));
    }
    if (ftruncate(fd, size) != 0) return base::ErrnoError(errno, absl::StrCat("truncate `", shown, "`"));
    return absl::OkStatus();
  }

  // chown, then chmod (chown clears setuid/setgid), then xattrs (chown clears file capabilities).
  absl::Status SetMetadata(int fd, uid_t uid, gid_t gid, mode_t perm, struct archive_entry* e,
                           const std::string& shown) {
    if (chown_ && fchown(fd, uid, gid) != 0) {
      return base::ErrnoError(errno, absl::StrCat("chown `", shown, "`"));
    }
    if (fchmod(fd, perm) != 0) return base::ErrnoError(errno, absl::StrCat("chmod `", shown, "`"));
    archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
      if (fsetxattr(fd, name, value, size, 0) != 0) {
        return base::ErrnoError(errno, absl::StrCat("set xattr ", name, " on `", shown, "`"));
      }
    }
    return absl::OkStatus();
  }

  Root& root_;
  const ExtractOptions& options_;
  struct archive* a_;
  const bool chown_;
  std::set<std::string> touched_;  // paths this layer wrote (and their parents)
  std::vector<DirMeta> dirs_;
};

struct ReadArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

}  // namespace

absl::StatusOr<ExtractStats> ApplyLayer(int fd, const std::string& root,
                                        const ExtractOptions& options) {
  int root_fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return base::ErrnoError(errno, absl::StrCat("open the root `", root, "`"));
  Root r(base::ScopedFd(root_fd), root, options.resolve_without_openat2);

  Source src(fd);
  std::unique_ptr<struct archive, ReadArchiveDeleter> a(archive_read_new());
  if (!a) {
    RETURN_IF_ERROR(lazy::ArchiveLibrary().Load());  // libarchive.so.13 missing: say so
    return absl::ResourceExhaustedError("archive_read_new failed");
  }
  archive_read_support_format_tar(a.get());
  if (archive_read_open(a.get(), &src, nullptr, ArchiveRead, nullptr) != ARCHIVE_OK) {
    if (!src.error.ok()) return base::Annotate(src.error, absl::StrCat("applying a layer to `", root, "`"));
    const char* msg = archive_error_string(a.get());
    return absl::InvalidArgumentError(absl::StrCat("applying a layer to `", root, "`: not a tar: ",
                                                   msg != nullptr ? msg : "unreadable"));
  }
  Extractor x(r, options, a.get());
  ExtractStats stats;
  while (true) {
    struct archive_entry* e;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      if (!src.error.ok()) return base::Annotate(src.error, absl::StrCat("applying a layer to `", root, "`"));
      const char* msg = archive_error_string(a.get());
      return absl::DataLossError(absl::StrCat("applying a layer to `", root, "`: reading the tar: ",
                                              msg != nullptr ? msg : "libarchive error"));
    }
    const char* name = archive_entry_pathname(e);
    RETURN_IF_ERROR_CTX(x.Entry(e), "applying a layer to `", root, "`: entry `",
                        name != nullptr ? name : "?", "`");
    if (!src.error.ok()) return base::Annotate(src.error, absl::StrCat("applying a layer to `", root, "`"));
    ++stats.entries;
  }
  RETURN_IF_ERROR_CTX(x.FinishDirectories(), "applying a layer to `", root, "`");
  RETURN_IF_ERROR_CTX(src.Drain(), "applying a layer to `", root, "`");
  stats.bytes = static_cast<int64_t>(src.bytes());
  stats.diff_id = src.Finish();
  if (!options.expected_diff_id.empty() && stats.diff_id != options.expected_diff_id) {
    return absl::DataLossError(absl::StrCat("applying a layer to `", root, "`: diff_id is ",
                                            stats.diff_id.str(), ", expected ",
                                            options.expected_diff_id.str()));
  }
  return stats;
}

}  // namespace oci
