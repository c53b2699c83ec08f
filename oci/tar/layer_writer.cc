#include "oci/tar/layer_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"
#include "oci/digest.h"
#include "oci/tar/compressor.h"
#include "third_party/lazy/lazy_archive.h"

namespace oci {
namespace {

// Files are streamed into the tar in chunks of this size (memory stays flat whatever their size).
constexpr size_t kReadChunk = 1 << 20;

constexpr absl::string_view kWhiteoutPrefix = ".wh.";
constexpr absl::string_view kOpaqueName = ".wh..wh..opq";

// Checks that `path` is relative and clean: no leading '/', no empty, "." or ".." component.
absl::Status ValidatePath(absl::string_view path, absl::string_view what) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  if (path.front() == '/') {
    return absl::InvalidArgumentError(absl::StrCat(what, " `", path, "` must be relative"));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " `", path, "` has an empty, `.` or `..` component"));
    }
  }
  return absl::OkStatus();
}

// The name the entry has in the tar (whiteouts become `.wh.` files).
absl::StatusOr<std::string> TarPath(const LayerEntry& e) {
  RETURN_IF_ERROR(ValidatePath(e.path, "layer entry path"));
  if (e.type == LayerEntry::Type::kOpaqueWhiteout) return absl::StrCat(e.path, "/", kOpaqueName);
  if (e.type == LayerEntry::Type::kWhiteout) {
    size_t slash = e.path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : e.path.substr(0, slash + 1);
    std::string base = slash == std::string::npos ? e.path : e.path.substr(slash + 1);
    return absl::StrCat(dir, kWhiteoutPrefix, base);
  }
  size_t slash = e.path.rfind('/');
  absl::string_view base = slash == std::string::npos
                               ? absl::string_view(e.path)
                               : absl::string_view(e.path).substr(slash + 1);
  if (absl::StartsWith(base, kWhiteoutPrefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "layer entry `", e.path, "`: names starting with `.wh.` are reserved for whiteouts"));
  }
  return e.path;
}

// The tar stream's destination: hashes the uncompressed bytes (diff_id) and feeds the compressor,
// whose output is hashed (blob digest), counted and written to the sink.
class Pipeline {
 public:
  explicit Pipeline(ByteSink& sink) : sink_(sink) {}

  absl::Status Init(const LayerWriterOptions& options) {
    ASSIGN_OR_RETURN(compressor_,
                     NewCompressor(options.compression, options.level, options.threads,
                                   [this](absl::string_view out) -> absl::Status {
                                     blob_hash_.Update(out);
                                     compressed_size_ += out.size();
                                     return sink_.Write(out);
                                   }));
    return absl::OkStatus();
  }

  // libarchive hands over 10 KiB records; they are batched so that hashing and the compressor
  // (zstd's multithreaded front end in particular) see large writes. Output does not depend on it.
  absl::Status Write(absl::string_view data) {
    uncompressed_size_ += data.size();
    if (batch_.size() + data.size() > kBatch) RETURN_IF_ERROR(Flush());
    if (data.size() >= kBatch) return Feed(data);
    batch_.append(data.data(), data.size());
    return absl::OkStatus();
  }

  absl::Status Finish() {
    RETURN_IF_ERROR(Flush());
    return compressor_->Finish();
  }

  Sha256& diff_hash() { return diff_hash_; }
  Sha256& blob_hash() { return blob_hash_; }
  int64_t uncompressed_size() const { return uncompressed_size_; }
  int64_t compressed_size() const { return compressed_size_; }
  // The first error seen inside a libarchive callback.
  absl::Status& callback_status() { return callback_status_; }

 private:
  static constexpr size_t kBatch = 1 << 20;

  absl::Status Feed(absl::string_view data) {
    diff_hash_.Update(data);
    return compressor_->Write(data);
  }
  absl::Status Flush() {
    if (batch_.empty()) return absl::OkStatus();
    absl::Status s = Feed(batch_);
    batch_.clear();
    return s;
  }

  ByteSink& sink_;
  std::string batch_;
  std::unique_ptr<Compressor> compressor_;
  Sha256 diff_hash_;
  Sha256 blob_hash_;
  int64_t uncompressed_size_ = 0;
  int64_t compressed_size_ = 0;
  absl::Status callback_status_;
};

la_ssize_t ArchiveWrite(struct archive*, void* client, const void* buffer, size_t length) {
  auto* p = static_cast<Pipeline*>(client);
  absl::Status s = p->Write(absl::string_view(static_cast<const char*>(buffer), length));
  if (!s.ok()) {
    if (p->callback_status().ok()) p->callback_status() = s;
    return -1;
  }
  return static_cast<la_ssize_t>(length);
}

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

absl::Status ArchiveError(struct archive* a, Pipeline& p, absl::string_view what) {
  if (!p.callback_status().ok()) return base::Annotate(p.callback_status(), what);
  const char* msg = archive_error_string(a);
  return absl::InternalError(absl::StrCat(what, ": ", msg ? msg : "libarchive error"));
}

// Streams a host file's bytes as the current entry's data; its size must match `expected`.
absl::Status CopyFileData(struct archive* a, Pipeline& p, const std::string& path, int64_t expected,
                          std::string& buf) {
  base::ScopedFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return base::ErrnoError(errno, absl::StrCat("open `", path, "`"));
  int64_t total = 0;
  while (true) {
    ssize_t n = read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::ErrnoError(errno, absl::StrCat("read `", path, "`"));
    }
    if (n == 0) break;
    total += n;
    if (total > expected) break;
    if (archive_write_data(a, buf.data(), n) != n) {
      return ArchiveError(a, p, absl::StrCat("writing the data of `", path, "`"));
    }
  }
  if (total != expected) {
    return absl::FailedPreconditionError(absl::StrCat(
        "`", path, "` changed size while it was written to the layer (expected ", expected,
        " bytes)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LayerResult> WriteLayer(std::vector<LayerEntry> entries,
                                       const LayerWriterOptions& options, ByteSink& sink) {
  // Sort by the name each entry has in the tar; refuse duplicates and bad paths.
  std::vector<std::pair<std::string, size_t>> order;
  order.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    ASSIGN_OR_RETURN(std::string name, TarPath(entries[i]));
    order.emplace_back(std::move(name), i);
  }
  std::sort(order.begin(), order.end());
  std::map<std::string, size_t> position;  // tar path -> index in `order`
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && order[i].first == order[i - 1].first) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer entry `", order[i].first, "` appears more than once"));
    }
    position[order[i].first] = i;
  }

  Pipeline pipeline(sink);
  RETURN_IF_ERROR(pipeline.Init(options));
  std::unique_ptr<struct archive, ArchiveDeleter> a(archive_write_new());
  if (!a) {
    RETURN_IF_ERROR(lazy::ArchiveLibrary().Load());  // libarchive.so.13 missing: say so
    return absl::ResourceExhaustedError("archive_write_new failed");
  }
  // xattrs only as SCHILY.xattr.* records: what GNU tar, Go's archive/tar (containerd, Docker) and
  // libarchive all read; libarchive's own LIBARCHIVE.xattr.* duplicates would make GNU tar warn.
  if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_set_options(a.get(), "pax:xattrheader=SCHILY") != ARCHIVE_OK ||
      archive_write_add_filter_none(a.get()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), pipeline, "configuring the tar writer");
  }
  if (archive_write_open(a.get(), &pipeline, nullptr, ArchiveWrite, nullptr) != ARCHIVE_OK) {
    return ArchiveError(a.get(), pipeline, "opening the tar writer");
  }

  std::string buf(kReadChunk, '\0');
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string& name = order[i].first;
    const LayerEntry& e = entries[order[i].second];
    std::unique_ptr<struct archive_entry, EntryDeleter> ae(archive_entry_new2(a.get()));
    archive_entry_copy_pathname(ae.get(), name.c_str());
    archive_entry_set_perm(ae.get(), e.mode & 07777);
    archive_entry_set_uid(ae.get(), e.uid);
    archive_entry_set_gid(ae.get(), e.gid);
    archive_entry_set_mtime(ae.get(), e.mtime.value_or(options.mtime), 0);
    for (const auto& [key, value] : e.xattrs) {
      archive_entry_xattr_add_entry(ae.get(), key.c_str(), value.data(), value.size());
    }
    int64_t size = 0;
    bool from_file = false;
    switch (e.type) {
      case LayerEntry::Type::kFile:
        archive_entry_set_filetype(ae.get(), AE_IFREG);
        if (!e.source_path.empty()) {
          if (!e.content.empty()) {
            return absl::InvalidArgumentError(absl::StrCat(
                "layer entry `", e.path, "` has both a source path and in-memory content"));
          }
          struct stat st;
          if (stat(e.source_path.c_str(), &st) != 0) {
            return base::ErrnoError(errno, absl::StrCat("stat `", e.source_path, "`"));
          }
          if (!S_ISREG(st.st_mode)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "source of layer entry `", e.path, "`: `", e.source_path, "` is not a regular file"));
          }
          size = st.st_size;
          from_file = true;
        } else {
          size = e.content.size();
        }
        break;
      case LayerEntry::Type::kDirectory:
        archive_entry_set_filetype(ae.get(), AE_IFDIR);
        break;
      case LayerEntry::Type::kSymlink:
        if (e.link_target.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("symlink `", e.path, "` has an empty target"));
        }
        archive_entry_set_filetype(ae.get(), AE_IFLNK);
        archive_entry_copy_symlink(ae.get(), e.link_target.c_str());
        break;
      case LayerEntry::Type::kHardlink: {
        RETURN_IF_ERROR(ValidatePath(e.link_target, absl::StrCat("hardlink `", e.path, "` target")));
        auto it = position.find(e.link_target);
        if (it != position.end() && it->second > i) {
          return absl::InvalidArgumentError(
              absl::StrCat("hardlink `", e.path, "` points at `", e.link_target,
                           "`, which sorts after it; link to the first path of the inode"));
        }
        archive_entry_set_filetype(ae.get(), AE_IFREG);
        archive_entry_copy_hardlink(ae.get(), e.link_target.c_str());
        break;
      }
      case LayerEntry::Type::kWhiteout:
      case LayerEntry::Type::kOpaqueWhiteout:
        archive_entry_set_filetype(ae.get(), AE_IFREG);
        break;
      case LayerEntry::Type::kCharDevice:
      case LayerEntry::Type::kBlockDevice:
        archive_entry_set_filetype(
            ae.get(), e.type == LayerEntry::Type::kCharDevice ? AE_IFCHR : AE_IFBLK);
        archive_entry_set_rdevmajor(ae.get(), e.dev_major);
        archive_entry_set_rdevminor(ae.get(), e.dev_minor);
        break;
      case LayerEntry::Type::kFifo:
        archive_entry_set_filetype(ae.get(), AE_IFIFO);
        break;
    }
    archive_entry_set_size(ae.get(), size);
    if (archive_write_header(a.get(), ae.get()) != ARCHIVE_OK) {
      return ArchiveError(a.get(), pipeline, absl::StrCat("writing the tar header of `", name, "`"));
    }
    if (from_file) {
      RETURN_IF_ERROR_CTX(CopyFileData(a.get(), pipeline, e.source_path, size, buf),
                          "layer entry `", e.path, "`");
    } else if (size > 0) {
      if (archive_write_data(a.get(), e.content.data(), e.content.size()) !=
          static_cast<la_ssize_t>(e.content.size())) {
        return ArchiveError(a.get(), pipeline, absl::StrCat("writing the data of `", name, "`"));
      }
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), pipeline, "finishing the tar");
  }
  RETURN_IF_ERROR_CTX(pipeline.Finish(), "finishing the compressed layer");

  LayerResult result;
  result.diff_id = pipeline.diff_hash().Finish();
  result.uncompressed_size = pipeline.uncompressed_size();
  result.descriptor.media_type = std::string(OciLayerMediaType(options.compression));
  result.descriptor.digest = pipeline.blob_hash().Finish();
  result.descriptor.size = pipeline.compressed_size();
  return result;
}

namespace {

struct WalkItem {
  LayerEntry entry;
  dev_t dev = 0;
  ino_t ino = 0;
  bool maybe_hardlink = false;
};

absl::Status ReadXattrs(const std::string& path, std::map<std::string, std::string>& out) {
  ssize_t n = llistxattr(path.c_str(), nullptr, 0);
  if (n < 0) {
    if (errno == ENOTSUP) return absl::OkStatus();
    return base::ErrnoError(errno, absl::StrCat("llistxattr `", path, "`"));
  }
  if (n == 0) return absl::OkStatus();
  std::string names(n, '\0');
  n = llistxattr(path.c_str(), names.data(), names.size());
  if (n < 0) return base::ErrnoError(errno, absl::StrCat("llistxattr `", path, "`"));
  names.resize(n);
  for (absl::string_view name : absl::StrSplit(names, '\0', absl::SkipEmpty())) {
    // The SELinux label is the host's labelling, not part of the content.
    if (name == "security.selinux") continue;
    std::string key(name);
    ssize_t len = lgetxattr(path.c_str(), key.c_str(), nullptr, 0);
    if (len < 0) return base::ErrnoError(errno, absl::StrCat("lgetxattr `", path, "` ", key));
    std::string value(len, '\0');
    len = lgetxattr(path.c_str(), key.c_str(), value.data(), value.size());
    if (len < 0) return base::ErrnoError(errno, absl::StrCat("lgetxattr `", path, "` ", key));
    value.resize(len);
    out[key] = std::move(value);
  }
  return absl::OkStatus();
}

absl::Status Walk(const std::string& host_dir, const std::string& rel_dir, bool keep_owners,
                  std::vector<WalkItem>& out) {
  DIR* dir = opendir(host_dir.c_str());
  if (dir == nullptr) return base::ErrnoError(errno, absl::StrCat("opendir `", host_dir, "`"));
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* d = readdir(dir)) {
    std::string name = d->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int read_errno = errno;
  closedir(dir);
  if (read_errno != 0) return base::ErrnoError(read_errno, absl::StrCat("readdir `", host_dir, "`"));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string host = absl::StrCat(host_dir, "/", name);
    std::string rel = rel_dir.empty() ? name : absl::StrCat(rel_dir, "/", name);
    struct stat st;
    if (lstat(host.c_str(), &st) != 0) return base::ErrnoError(errno, absl::StrCat("lstat `", host, "`"));
    WalkItem item;
    LayerEntry& e = item.entry;
    e.path = rel;
    e.mode = st.st_mode & 07777;
    e.uid = keep_owners ? st.st_uid : 0;
    e.gid = keep_owners ? st.st_gid : 0;
    switch (st.st_mode & S_IFMT) {
      case S_IFREG:
        e.type = LayerEntry::Type::kFile;
        e.source_path = host;
        break;
      case S_IFDIR:
        e.type = LayerEntry::Type::kDirectory;
        break;
      case S_IFLNK: {
        e.type = LayerEntry::Type::kSymlink;
        std::string target(st.st_size > 0 ? st.st_size + 1 : 4096, '\0');
        ssize_t n = readlink(host.c_str(), target.data(), target.size());
        if (n < 0) return base::ErrnoError(errno, absl::StrCat("readlink `", host, "`"));
        target.resize(n);
        e.link_target = std::move(target);
        break;
      }
      case S_IFCHR:
      case S_IFBLK:
        e.type = S_ISCHR(st.st_mode) ? LayerEntry::Type::kCharDevice : LayerEntry::Type::kBlockDevice;
        e.dev_major = major(st.st_rdev);
        e.dev_minor = minor(st.st_rdev);
        break;
      case S_IFIFO:
        e.type = LayerEntry::Type::kFifo;
        break;
      default:
        continue;  // sockets cannot be stored in a tar
    }
    if (S_ISREG(st.st_mode) && absl::StartsWith(name, kWhiteoutPrefix)) {
      // A whiteout file on disk (a diff directory) becomes a whiteout entry.
      e = LayerEntry();
      if (name == kOpaqueName) {
        if (rel_dir.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("`", host, "`: an opaque whiteout needs a parent directory in the layer"));
        }
        e.type = LayerEntry::Type::kOpaqueWhiteout;
        e.path = rel_dir;
      } else {
        e.type = LayerEntry::Type::kWhiteout;
        e.path = rel.substr(0, rel.size() - name.size()) + name.substr(kWhiteoutPrefix.size());
      }
      out.push_back(std::move(item));
      continue;
    }
    RETURN_IF_ERROR(ReadXattrs(host, e.xattrs));
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      item.maybe_hardlink = true;
      item.dev = st.st_dev;
      item.ino = st.st_ino;
    }
    bool is_dir = S_ISDIR(st.st_mode);
    out.push_back(std::move(item));
    if (is_dir) RETURN_IF_ERROR(Walk(host, rel, keep_owners, out));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<LayerEntry>> EntriesFromDirectory(const std::string& root,
                                                             const std::string& prefix,
                                                             bool keep_owners) {
  struct stat st;
  if (stat(root.c_str(), &st) != 0) return base::ErrnoError(errno, absl::StrCat("stat `", root, "`"));
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("`", root, "` is not a directory"));
  }
  std::string clean_prefix(prefix);
  while (!clean_prefix.empty() && clean_prefix.front() == '/') clean_prefix.erase(0, 1);
  while (!clean_prefix.empty() && clean_prefix.back() == '/') clean_prefix.pop_back();
  if (!clean_prefix.empty()) RETURN_IF_ERROR(ValidatePath(clean_prefix, "entry prefix"));

  std::vector<WalkItem> items;
  RETURN_IF_ERROR(Walk(root, clean_prefix, keep_owners, items));
  // Hardlinks point at the inode's first path in the tar's (byte) order, which is not the walk's
  // order ("a/b" sorts after "a-c"), so sort first.
  std::sort(items.begin(), items.end(),
            [](const WalkItem& x, const WalkItem& y) { return x.entry.path < y.entry.path; });
  std::map<std::pair<dev_t, ino_t>, std::string> first_path;
  std::vector<LayerEntry> entries;
  entries.reserve(items.size());
  for (WalkItem& item : items) {
    if (item.maybe_hardlink) {
      auto [it, inserted] = first_path.emplace(std::make_pair(item.dev, item.ino), item.entry.path);
      if (!inserted) {
        item.entry.type = LayerEntry::Type::kHardlink;
        item.entry.link_target = it->second;
        item.entry.source_path.clear();
      }
    }
    entries.push_back(std::move(item.entry));
  }
  return entries;
}

absl::StatusOr<int64_t> SourceDateEpoch() {
  const char* value = std::getenv("SOURCE_DATE_EPOCH");
  if (value == nullptr || *value == '\0') return 0;
  int64_t epoch = 0;
  if (!absl::SimpleAtoi(value, &epoch) || epoch < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SOURCE_DATE_EPOCH=`", value, "` is not a non-negative number of seconds"));
  }
  return epoch;
}

}  // namespace oci
