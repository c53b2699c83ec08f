// The OCI image layout store (see layout.h for the guarantees).
#include "oci/layout/layout.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "oci/media_types.h"

namespace oci {
namespace {

constexpr char kOciLayoutFile[] = "oci-layout";
constexpr char kOciLayoutContent[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
constexpr char kIndexFile[] = "index.json";
constexpr char kLockFile[] = ".lock";
constexpr char kWritersFile[] = ".writers";
constexpr char kIngestDir[] = "blobs/.ingest";
constexpr char kBlobDir[] = "blobs/sha256";
// How deep indexes may nest before we give up (a cycle or a hostile layout).
constexpr int kMaxIndexDepth = 8;

absl::Status FsyncPath(base::Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(base::ScopedFd fd, env->Open(dir, O_RDONLY | O_DIRECTORY, 0));
  if (::fsync(fd.get()) != 0) return base::ErrnoError(errno, absl::StrCat("fsync `", dir, "`"));
  return absl::OkStatus();
}

// An exclusive flock on `<dir>/.lock`, released when destroyed.
class ScopedLock {
 public:
  static absl::StatusOr<ScopedLock> Acquire(base::Env* env, const std::string& path) {
    ASSIGN_OR_RETURN(base::ScopedFd fd, env->Open(path, O_RDWR | O_CREAT, 0644));
    while (::flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) return base::ErrnoError(errno, absl::StrCat("flock `", path, "`"));
    }
    return ScopedLock(std::move(fd));
  }
  // Closing the descriptor releases the lock.

 private:
  explicit ScopedLock(base::ScopedFd fd) : fd_(std::move(fd)) {}
  base::ScopedFd fd_;
};

// flock(2), retried on EINTR.
int FlockNoIntr(int fd, int op) {
  int r;
  do {
    r = ::flock(fd, op);
  } while (r != 0 && errno == EINTR);
  return r;
}

std::string RandomSuffix() {
  absl::BitGen gen;
  return absl::StrFormat("%d-%016x", ::getpid(), absl::Uniform<uint64_t>(gen));
}

class LayoutImpl;

class BlobWriterImpl : public BlobWriter {
 public:
  BlobWriterImpl(base::Env* env, std::string temp_path, std::string blob_dir, base::ScopedFd fd)
      : env_(env), temp_path_(std::move(temp_path)), blob_dir_(std::move(blob_dir)),
        fd_(std::move(fd)) {}

  ~BlobWriterImpl() override {
    if (!committed_) {
      fd_.Reset();
      env_->Remove(temp_path_).IgnoreError();
    }
  }

  absl::Status Write(absl::string_view data) override {
    if (committed_ || !fd_.valid()) {
      return absl::FailedPreconditionError(
          absl::StrCat("write to blob writer `", temp_path_, "` after Commit"));
    }
    hasher_.Update(data);
    RETURN_IF_ERROR_CTX(base::WriteAll(fd_.get(), data), "writing `", temp_path_, "`");
    size_ += data.size();
    // Start writeback of what has piled up (no waiting), so the fsync at Commit has little left
    // to flush and the disk works while data still arrives. Best effort: errors surface at fsync.
    if (size_ - flushed_ >= kWritebackChunk) {
      ::sync_file_range(fd_.get(), flushed_, size_ - flushed_, SYNC_FILE_RANGE_WRITE);
      flushed_ = size_;
    }
    return absl::OkStatus();
  }

  int64_t size() const override { return size_; }

  absl::StatusOr<Digest> Commit(const Digest& expected) override {
    if (committed_ || !fd_.valid()) {
      return absl::FailedPreconditionError(
          absl::StrCat("blob writer `", temp_path_, "` committed twice"));
    }
    if (::fsync(fd_.get()) != 0) {
      return base::ErrnoError(errno, absl::StrCat("fsync `", temp_path_, "`"));
    }
    fd_.Reset();  // Closes the file, which also drops our ingest lock.
    Digest digest = hasher_.Finish();
    if (!expected.empty() && digest != expected) {
      env_->Remove(temp_path_).IgnoreError();
      committed_ = true;
      return absl::DataLossError(absl::StrCat("blob content hashes to ", digest.str(),
                                              ", expected ", expected.str(), " (",
                                              size_, " bytes received)"));
    }
    std::string final_path = absl::StrCat(blob_dir_, "/", digest.hex());
    absl::Status renamed = env_->Rename(temp_path_, final_path);
    if (!renamed.ok()) {
      env_->Remove(temp_path_).IgnoreError();
      committed_ = true;
      return base::Annotate(renamed, absl::StrCat("committing blob ", digest.str()));
    }
    committed_ = true;
    RETURN_IF_ERROR_CTX(FsyncPath(env_, blob_dir_), "committing blob ", digest.str());
    return digest;
  }

 private:
  base::Env* const env_;  // Not owned.
  const std::string temp_path_;
  const std::string blob_dir_;
  base::ScopedFd fd_;
  static constexpr int64_t kWritebackChunk = 8 << 20;
  Sha256 hasher_;
  int64_t size_ = 0;
  int64_t flushed_ = 0;  // bytes handed to sync_file_range so far
  bool committed_ = false;
};

class BlobReaderImpl : public BlobReader {
 public:
  BlobReaderImpl(std::string path, Digest expected, base::ScopedFd fd, int64_t size)
      : path_(std::move(path)), expected_(std::move(expected)), fd_(std::move(fd)), size_(size) {}

  absl::StatusOr<size_t> Read(char* buf, size_t size) override {
    if (done_) return 0;
    if (size == 0) return 0;
    ssize_t n;
    do {
      n = ::read(fd_.get(), buf, size);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return base::ErrnoError(errno, absl::StrCat("read `", path_, "`"));
    if (n == 0) {
      done_ = true;
      Digest got = hasher_.Finish();
      if (got != expected_) {
        return absl::DataLossError(absl::StrCat("blob `", path_, "` is corrupt: its content hashes to ",
                                                got.str(), ", not ", expected_.str()));
      }
      return 0;
    }
    hasher_.Update(buf, n);
    return static_cast<size_t>(n);
  }
  int64_t size() const override { return size_; }

 private:
  const std::string path_;
  const Digest expected_;
  base::ScopedFd fd_;
  const int64_t size_;
  Sha256 hasher_;
  bool done_ = false;
};

absl::Status CheckTag(absl::string_view tag) {
  if (tag.empty()) return absl::InvalidArgumentError("empty tag");
  for (char c : tag) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat("tag `", tag, "` has a control character"));
    }
  }
  return absl::OkStatus();
}

class LayoutImpl : public Layout {
 public:
  LayoutImpl(std::string dir, base::Env* env) : dir_(std::move(dir)), env_(env) {}

  const std::string& dir() const override { return dir_; }

  std::string BlobPath(const Digest& digest) const override {
    return absl::StrCat(dir_, "/blobs/", digest.algorithm(), "/", digest.hex());
  }

  bool HasBlob(const Digest& digest) const override {
    return !digest.empty() && env_->Exists(BlobPath(digest));
  }

  absl::StatusOr<Descriptor> WriteBlob(absl::string_view data,
                                       absl::string_view media_type) override {
    Descriptor d;
    d.media_type = std::string(media_type);
    d.digest = Digest::Of(data);
    d.size = static_cast<int64_t>(data.size());
    // Also when the blob is already there: the caller will reference it, so it must not be
    // collected before it is tagged.
    RETURN_IF_ERROR(HoldWriterLock());
    if (HasBlob(d.digest)) {
      // Content-addressed: a verified existing copy is as good as a new one.
      absl::StatusOr<std::string> existing = ReadBlob(d.digest);
      if (existing.ok()) return d;
    }
    ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, NewBlobWriter());
    RETURN_IF_ERROR(writer->Write(data));
    RETURN_IF_ERROR(writer->Commit(d.digest).status());
    return d;
  }

  absl::StatusOr<std::unique_ptr<BlobWriter>> NewBlobWriter() override {
    RETURN_IF_ERROR(HoldWriterLock());
    std::string ingest = absl::StrCat(dir_, "/", kIngestDir);
    std::string blob_dir = absl::StrCat(dir_, "/", kBlobDir);
    RETURN_IF_ERROR_CTX(env_->CreateDirs(ingest), "preparing layout `", dir_, "`");
    RETURN_IF_ERROR_CTX(env_->CreateDirs(blob_dir), "preparing layout `", dir_, "`");
    std::string temp = absl::StrCat(ingest, "/", RandomSuffix());
    ASSIGN_OR_RETURN(base::ScopedFd fd, env_->Open(temp, O_WRONLY | O_CREAT | O_EXCL, 0644));
    // Held while the writer lives, so GarbageCollect can tell a live ingest from a crashed one.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      int e = errno;
      env_->Remove(temp).IgnoreError();
      return base::ErrnoError(e, absl::StrCat("flock `", temp, "`"));
    }
    return std::unique_ptr<BlobWriter>(
        new BlobWriterImpl(env_, std::move(temp), std::move(blob_dir), std::move(fd)));
  }

  absl::Status HoldWriterLock() override {
    absl::MutexLock hold(&writers_mu_);
    if (writers_fd_.valid()) return absl::OkStatus();
    std::string path = WritersPath();
    absl::StatusOr<base::ScopedFd> opened = env_->Open(path, O_RDWR | O_CREAT, 0644);
    // Another user's layout, or a read-only one: flock works on a read-only descriptor too.
    if (!opened.ok()) opened = env_->Open(path, O_RDONLY, 0);
    if (!opened.ok()) {
      // No lock file and no right to create one: we cannot collect this layout either, and writes
      // that find their blob already there still work.
      if (::access(dir_.c_str(), W_OK) != 0) return absl::OkStatus();
      return base::Annotate(opened.status(), absl::StrCat("taking the writer lock of `", dir_, "`"));
    }
    base::ScopedFd fd = *std::move(opened);
    if (FlockNoIntr(fd.get(), LOCK_SH) != 0) {
      return base::ErrnoError(errno, absl::StrCat("flock `", path, "`"));
    }
    writers_fd_ = std::move(fd);
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> ReadBlob(const Digest& digest) const override {
    if (digest.empty()) return absl::InvalidArgumentError("reading a blob: empty digest");
    std::string path = BlobPath(digest);
    ASSIGN_OR_RETURN(std::string data, env_->ReadFile(path));
    Digest got = Digest::Of(data);
    if (got != digest) {
      return absl::DataLossError(absl::StrCat("blob `", path, "` is corrupt: its content hashes to ",
                                              got.str(), ", not ", digest.str()));
    }
    return data;
  }

  absl::StatusOr<std::unique_ptr<BlobReader>> OpenBlob(const Digest& digest) const override {
    if (digest.empty()) return absl::InvalidArgumentError("opening a blob: empty digest");
    std::string path = BlobPath(digest);
    ASSIGN_OR_RETURN(base::ScopedFd fd, env_->Open(path, O_RDONLY, 0));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) {
      return base::ErrnoError(errno, absl::StrCat("stat `", path, "`"));
    }
    return std::unique_ptr<BlobReader>(
        new BlobReaderImpl(path, digest, std::move(fd), static_cast<int64_t>(st.st_size)));
  }

  absl::StatusOr<Index> ReadIndex() const override {
    std::string path = absl::StrCat(dir_, "/", kIndexFile);
    ASSIGN_OR_RETURN(std::string json, env_->ReadFile(path));
    absl::StatusOr<Index> index = Index::Parse(json);
    if (!index.ok()) return base::Annotate(index.status(), absl::StrCat("reading `", path, "`"));
    return index;
  }

  absl::Status Tag(const Descriptor& manifest, absl::string_view tag) override {
    RETURN_IF_ERROR_CTX(CheckTag(tag), "tagging in `", dir_, "`");
    RETURN_IF_ERROR(HoldWriterLock());
    if (!HasBlob(manifest.digest)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "tagging `", tag, "`: ", manifest.digest.str(), " is not a blob in `", dir_, "`"));
    }
    return ModifyIndex([&](Index& index) -> absl::Status {
      RemoveTag(index, tag);
      Descriptor entry = manifest;
      entry.annotations[kRefNameAnnotation] = std::string(tag);
      index.manifests.push_back(std::move(entry));
      return absl::OkStatus();
    });
  }

  absl::Status Untag(absl::string_view tag) override {
    return ModifyIndex([&](Index& index) -> absl::Status {
      if (RemoveTag(index, tag) == 0) {
        return absl::NotFoundError(absl::StrCat("no tag `", tag, "` in `", dir_, "`"));
      }
      return absl::OkStatus();
    });
  }

  absl::StatusOr<Descriptor> Resolve(absl::string_view tag) const override {
    ASSIGN_OR_RETURN(Index index, ReadIndex());
    for (const Descriptor& d : index.manifests) {
      auto it = d.annotations.find(kRefNameAnnotation);
      if (it != d.annotations.end() && it->second == tag) return d;
    }
    return absl::NotFoundError(absl::StrCat("no tag `", tag, "` in `", dir_, "/index.json`"));
  }

  absl::StatusOr<std::vector<std::pair<std::string, Descriptor>>> ListTags() const override {
    ASSIGN_OR_RETURN(Index index, ReadIndex());
    std::vector<std::pair<std::string, Descriptor>> out;
    for (const Descriptor& d : index.manifests) {
      auto it = d.annotations.find(kRefNameAnnotation);
      if (it != d.annotations.end()) out.emplace_back(it->second, d);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

  absl::StatusOr<GcStats> GarbageCollect() override {
    // Writers first, then the index lock: the order Tag takes them in.
    absl::MutexLock hold(&writers_mu_);
    ASSIGN_OR_RETURN(ExclusiveWriters writers, ExclusiveWriters::Acquire(env_, WritersPath(),
                                                                         writers_fd_, dir_));
    absl::MutexLock in_process(&mu_);
    ASSIGN_OR_RETURN(ScopedLock lock, ScopedLock::Acquire(env_, LockPath()));
    ASSIGN_OR_RETURN(Index index, ReadIndex());
    std::set<std::string> live;  // hex digests
    for (const Descriptor& d : index.manifests) {
      RETURN_IF_ERROR_CTX(Mark(d, 0, live), "gc of `", dir_, "`");
    }
    GcStats stats;
    std::string blob_dir = absl::StrCat(dir_, "/", kBlobDir);
    if (env_->IsDirectory(blob_dir)) {
      ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(blob_dir));
      for (const std::string& name : names) {
        if (live.count(name) > 0) continue;
        std::string path = absl::StrCat(blob_dir, "/", name);
        absl::StatusOr<int64_t> size = env_->FileSize(path);
        RETURN_IF_ERROR_CTX(env_->Remove(path), "gc of `", dir_, "`");
        stats.blobs_removed++;
        if (size.ok()) stats.bytes_removed += *size;
      }
    }
    // Ingest files whose writer is gone (crashed or killed): their flock is free.
    std::string ingest = absl::StrCat(dir_, "/", kIngestDir);
    if (env_->IsDirectory(ingest)) {
      ASSIGN_OR_RETURN(std::vector<std::string> names, env_->ListDir(ingest));
      for (const std::string& name : names) {
        std::string path = absl::StrCat(ingest, "/", name);
        absl::StatusOr<base::ScopedFd> fd = env_->Open(path, O_RDONLY, 0);
        if (!fd.ok()) continue;  // Committed or removed meanwhile.
        if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) continue;  // A live writer.
        absl::StatusOr<int64_t> size = env_->FileSize(path);
        RETURN_IF_ERROR_CTX(env_->Remove(path), "gc of `", dir_, "`");
        if (size.ok()) stats.bytes_removed += *size;
      }
    }
    return stats;
  }

  // Creates oci-layout and index.json when missing (under the lock, so two creators agree).
  absl::Status Initialise() {
    RETURN_IF_ERROR_CTX(env_->CreateDirs(dir_), "creating layout `", dir_, "`");
    absl::MutexLock in_process(&mu_);
    ASSIGN_OR_RETURN(ScopedLock lock, ScopedLock::Acquire(env_, LockPath()));
    RETURN_IF_ERROR_CTX(env_->CreateDirs(absl::StrCat(dir_, "/", kBlobDir)), "creating layout `",
                        dir_, "`");
    std::string layout_file = absl::StrCat(dir_, "/", kOciLayoutFile);
    if (!env_->Exists(layout_file)) {
      RETURN_IF_ERROR(env_->WriteFileAtomically(layout_file, kOciLayoutContent, 0644));
    }
    std::string index_file = absl::StrCat(dir_, "/", kIndexFile);
    if (!env_->Exists(index_file)) {
      Index empty;
      empty.media_type = std::string(kOciIndex);
      RETURN_IF_ERROR(env_->WriteFileAtomically(index_file, empty.Encode(), 0644));
    }
    return absl::OkStatus();
  }

 private:
  std::string LockPath() const { return absl::StrCat(dir_, "/", kLockFile); }
  std::string WritersPath() const { return absl::StrCat(dir_, "/", kWritersFile); }

  // The exclusive writer lock of a GarbageCollect: on a fresh descriptor, or, when this object
  // already is a writer, by upgrading its own shared lock (flock conversion), which is given back
  // (downgraded to shared) when this is destroyed.
  class ExclusiveWriters {
   public:
    static absl::StatusOr<ExclusiveWriters> Acquire(base::Env* env, const std::string& path,
                                                    base::ScopedFd& own, const std::string& dir) {
      ExclusiveWriters out;
      int fd;
      if (own.valid()) {
        fd = own.get();
        out.downgrade_fd_ = fd;
      } else {
        ASSIGN_OR_RETURN(out.fresh_, env->Open(path, O_RDWR | O_CREAT, 0644));
        fd = out.fresh_.get();
      }
      if (FlockNoIntr(fd, LOCK_EX | LOCK_NB) == 0) return out;
      int e = errno;
      if (own.valid()) {
        // A failed conversion may have dropped our shared lock: take it back.
        out.downgrade_fd_ = -1;
        FlockNoIntr(fd, LOCK_SH);
      }
      if (e == EWOULDBLOCK) {
        return absl::FailedPreconditionError(absl::StrCat(
            "another slipway process is writing to ", dir, "; try again when it is done"));
      }
      return base::ErrnoError(e, absl::StrCat("flock `", path, "`"));
    }
    ExclusiveWriters(ExclusiveWriters&& other) noexcept
        : fresh_(std::move(other.fresh_)), downgrade_fd_(other.downgrade_fd_) {
      other.downgrade_fd_ = -1;
    }
    ExclusiveWriters& operator=(ExclusiveWriters&&) = delete;
    ~ExclusiveWriters() {
      if (downgrade_fd_ >= 0) FlockNoIntr(downgrade_fd_, LOCK_SH);
      // `fresh_` closes, which releases its lock.
    }

   private:
    ExclusiveWriters() = default;
    base::ScopedFd fresh_;
    int downgrade_fd_ = -1;  // Not owned: the layout's own writer descriptor.
  };

  static int RemoveTag(Index& index, absl::string_view tag) {
    auto& m = index.manifests;
    size_t before = m.size();
    m.erase(std::remove_if(m.begin(), m.end(),
                           [&](const Descriptor& d) {
                             auto it = d.annotations.find(kRefNameAnnotation);
                             return it != d.annotations.end() && it->second == tag;
                           }),
            m.end());
    return static_cast<int>(before - m.size());
  }

  // Read-modify-write of index.json under the in-process mutex and the cross-process flock.
  template <typename Fn>
  absl::Status ModifyIndex(Fn fn) {
    absl::MutexLock in_process(&mu_);
    ASSIGN_OR_RETURN(ScopedLock lock, ScopedLock::Acquire(env_, LockPath()));
    ASSIGN_OR_RETURN(Index index, ReadIndex());
    RETURN_IF_ERROR(fn(index));
    if (index.media_type.empty()) index.media_type = std::string(kOciIndex);
    std::string path = absl::StrCat(dir_, "/", kIndexFile);
    RETURN_IF_ERROR_CTX(env_->WriteFileAtomically(path, index.Encode(), 0644), "updating `", path,
                        "`");
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> MediaTypeOf(const Descriptor& d, const std::string& blob) const {
    if (!d.media_type.empty()) return d.media_type;
    return SniffMediaType(blob);
  }

  // Marks `d` and everything it references as live.
  absl::Status Mark(const Descriptor& d, int depth, std::set<std::string>& live) const {
    if (depth > kMaxIndexDepth) {
      return absl::FailedPreconditionError(
          absl::StrCat("indexes nest deeper than ", kMaxIndexDepth, " at ", d.digest.str()));
    }
    bool document = IsManifest(d.media_type) || IsIndex(d.media_type) || d.media_type.empty();
    if (!document) {
      return absl::FailedPreconditionError(absl::StrCat("unknown media type: ", d.media_type,
                                                        " (entry ", d.digest.str(), ")"));
    }
    if (!live.insert(std::string(d.digest.hex())).second) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::string blob, ReadBlob(d.digest));
    ASSIGN_OR_RETURN(std::string media_type, MediaTypeOf(d, blob));
    if (IsIndex(media_type)) {
      absl::StatusOr<Index> index = Index::Parse(blob);
      if (!index.ok()) return base::Annotate(index.status(), d.digest.str());
      for (const Descriptor& child : index->manifests) {
        RETURN_IF_ERROR(Mark(child, depth + 1, live));
      }
      if (index->subject) live.insert(std::string(index->subject->digest.hex()));
      return absl::OkStatus();
    }
    if (IsManifest(media_type)) {
      absl::StatusOr<Manifest> manifest = Manifest::Parse(blob);
      if (!manifest.ok()) return base::Annotate(manifest.status(), d.digest.str());
      live.insert(std::string(manifest->config.digest.hex()));
      for (const Descriptor& layer : manifest->layers) live.insert(std::string(layer.digest.hex()));
      if (manifest->subject) live.insert(std::string(manifest->subject->digest.hex()));
      return absl::OkStatus();
    }
    return absl::FailedPreconditionError(
        absl::StrCat("unknown media type: ", media_type, " (blob ", d.digest.str(), ")"));
  }

  const std::string dir_;
  base::Env* const env_;  // Not owned.
  // Serialises this process's lock holders; flock excludes other processes (and other fds).
  mutable absl::Mutex mu_;
  // Guards writers_fd_; taken before mu_.
  absl::Mutex writers_mu_;
  // `<dir>/.writers`, flocked shared once this object has written (HoldWriterLock); closing it at
  // destruction releases the lock.
  base::ScopedFd writers_fd_ ABSL_GUARDED_BY(writers_mu_);
};

// True when `want` accepts `have` (os and architecture equal; variant equal when `want` names one,
// with arm64's implicit v8).
bool PlatformMatches(const Platform& have, const Platform& want) {
  if (have.os != want.os || have.architecture != want.architecture) return false;
  if (want.variant.empty()) return true;
  auto norm = [](const Platform& p) {
    if (p.architecture == "arm64" && p.variant.empty()) return std::string("v8");
    return p.variant;
  };
  return norm(have) == norm(want);
}

absl::StatusOr<ImageRef> ReadImageFrom(const Layout& layout, const Descriptor& d,
                                       const Platform& want, int depth) {
  if (depth > kMaxIndexDepth) {
    return absl::FailedPreconditionError(
        absl::StrCat("indexes nest deeper than ", kMaxIndexDepth, " at ", d.digest.str()));
  }
  ASSIGN_OR_RETURN(std::string blob, layout.ReadBlob(d.digest));
  if (d.size > 0 && static_cast<int64_t>(blob.size()) != d.size) {
    return absl::DataLossError(absl::StrCat(d.digest.str(), " is ", blob.size(),
                                            " bytes, but its descriptor says ", d.size));
  }
  // The descriptor's media type is authoritative; look inside only when it has none.
  std::string media_type = d.media_type;
  if (media_type.empty()) {
    ASSIGN_OR_RETURN(media_type, SniffMediaType(blob));
  }
  if (IsManifest(media_type)) {
    absl::StatusOr<Manifest> manifest = Manifest::Parse(blob);
    if (!manifest.ok()) return base::Annotate(manifest.status(), d.digest.str());
    const std::string& config_type = manifest->config.media_type;
    if (!config_type.empty() && config_type != kOciConfig && config_type != kDockerConfig) {
      return absl::InvalidArgumentError(absl::StrCat(
          d.digest.str(), " is not a container image: its config has media type `", config_type,
          "`"));
    }
    ASSIGN_OR_RETURN(std::string config_blob, layout.ReadBlob(manifest->config.digest));
    absl::StatusOr<ImageConfig> config = ImageConfig::Parse(config_blob);
    if (!config.ok()) {
      return base::Annotate(config.status(), absl::StrCat("config ", manifest->config.digest.str()));
    }
    ImageRef out;
    out.manifest_descriptor = d;
    out.manifest_descriptor.media_type = media_type;
    out.manifest_descriptor.size = static_cast<int64_t>(blob.size());
    out.manifest = *std::move(manifest);
    out.config = *std::move(config);
    return out;
  }
  if (IsIndex(media_type)) {
    absl::StatusOr<Index> index = Index::Parse(blob);
    if (!index.ok()) return base::Annotate(index.status(), d.digest.str());
    std::vector<std::string> seen;
    for (const Descriptor& child : index->manifests) {
      if (child.platform) {
        seen.push_back(child.platform->ToString());
        if (!PlatformMatches(*child.platform, want)) continue;
        return ReadImageFrom(layout, child, want, depth + 1);
      }
      // No platform on the descriptor: look at the image itself (its config says).
      absl::StatusOr<ImageRef> image = ReadImageFrom(layout, child, want, depth + 1);
      if (!image.ok()) {
        // Not an image (an artifact, an unknown type) or no match further down: keep looking.
        if (absl::IsNotFound(image.status()) || absl::IsInvalidArgument(image.status())) continue;
        return image.status();
      }
      Platform have;
      have.os = image->config.os;
      have.architecture = image->config.architecture;
      have.variant = image->config.variant;
      seen.push_back(have.ToString());
      if (PlatformMatches(have, want)) return image;
    }
    return absl::NotFoundError(absl::StrCat("index ", d.digest.str(), " has no image for ",
                                            want.ToString(), " (it has: ",
                                            seen.empty() ? "none" : absl::StrJoin(seen, ", "),
                                            ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat(d.digest.str(), " is not an image manifest or index",
                                                 " (media type `", media_type, "`)"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Layout>> Layout::Open(const std::string& dir, LayoutOptions options) {
  base::Env* env = options.env != nullptr ? options.env : base::Env::Default();
  std::string clean = dir;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  if (clean.empty()) return absl::InvalidArgumentError("opening a layout: empty directory name");
  auto layout = std::make_unique<LayoutImpl>(clean, env);
  std::string layout_file = absl::StrCat(clean, "/", kOciLayoutFile);
  if (env->Exists(layout_file)) {
    ASSIGN_OR_RETURN(std::string content, env->ReadFile(layout_file));
    if (!absl::StrContains(content, "imageLayoutVersion")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "`", layout_file, "` has no imageLayoutVersion: not an OCI image layout"));
    }
    if (!env->Exists(absl::StrCat(clean, "/", kIndexFile))) {
      if (!options.create) {
        return absl::NotFoundError(absl::StrCat("`", clean, "` has oci-layout but no index.json"));
      }
      RETURN_IF_ERROR(layout->Initialise());
    }
    return std::unique_ptr<Layout>(std::move(layout));
  }
  if (!options.create) {
    return absl::NotFoundError(
        absl::StrCat("`", clean, "` is not an OCI image layout (no `oci-layout` file)"));
  }
  if (env->Exists(clean) && !env->IsDirectory(clean)) {
    return absl::FailedPreconditionError(absl::StrCat("`", clean, "` exists and is not a directory"));
  }
  RETURN_IF_ERROR(layout->Initialise());
  return std::unique_ptr<Layout>(std::move(layout));
}

absl::StatusOr<ImageRef> ReadImage(const Layout& layout, absl::string_view tag_or_digest,
                                   const Platform* platform) {
  Platform want = platform != nullptr ? *platform : Platform::Host();
  Descriptor d;
  if (absl::StartsWith(tag_or_digest, "sha256:")) {
    ASSIGN_OR_RETURN(d.digest, Digest::Parse(tag_or_digest));
    ASSIGN_OR_RETURN(Index index, layout.ReadIndex());
    bool found = false;
    for (const Descriptor& e : index.manifests) {
      if (e.digest == d.digest) {
        d = e;
        found = true;
        break;
      }
    }
    if (!found && !layout.HasBlob(d.digest)) {
      return absl::NotFoundError(
          absl::StrCat("no image ", d.digest.str(), " in `", layout.dir(), "`"));
    }
  } else {
    ASSIGN_OR_RETURN(d, layout.Resolve(tag_or_digest));
  }
  absl::StatusOr<ImageRef> image = ReadImageFrom(layout, d, want, 0);
  if (!image.ok()) {
    return base::Annotate(image.status(),
                          absl::StrCat("reading image `", tag_or_digest, "` from `", layout.dir(),
                                       "`"));
  }
  return image;
}

absl::StatusOr<Descriptor> WriteImage(Layout& layout, const ImageConfig& config,
                                      const std::vector<Descriptor>& layers,
                                      absl::string_view manifest_media_type) {
  if (manifest_media_type != kOciManifest && manifest_media_type != kDockerManifest) {
    return absl::InvalidArgumentError(
        absl::StrCat("writing an image: unsupported manifest media type `", manifest_media_type, "`"));
  }
  if (config.diff_ids.size() != layers.size()) {
    return absl::InvalidArgumentError(absl::StrCat("writing an image: the config lists ",
                                                   config.diff_ids.size(), " diff_ids but there are ",
                                                   layers.size(), " layers"));
  }
  for (const Descriptor& layer : layers) {
    if (!layout.HasBlob(layer.digest)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "writing an image: layer ", layer.digest.str(), " is not a blob in `", layout.dir(), "`"));
    }
  }
  bool docker = manifest_media_type == kDockerManifest;
  ASSIGN_OR_RETURN(Descriptor config_desc,
                   layout.WriteBlob(config.Encode(), docker ? kDockerConfig : kOciConfig));
  Manifest manifest;
  manifest.schema_version = 2;
  manifest.media_type = std::string(manifest_media_type);
  manifest.config = config_desc;
  manifest.layers = layers;
  return layout.WriteBlob(manifest.Encode(), manifest_media_type);
}

absl::Status CopyBlob(const Layout& from, Layout& to, const Digest& digest) {
  RETURN_IF_ERROR(to.HoldWriterLock());
  if (to.HasBlob(digest)) return absl::OkStatus();
  if (!from.HasBlob(digest)) {
    return absl::NotFoundError(
        absl::StrCat("blob `", digest.str(), "` is missing from `", from.dir(), "`"));
  }
  // The destination's blobs/sha256 directory exists once the layout is opened.
  if (::link(from.BlobPath(digest).c_str(), to.BlobPath(digest).c_str()) == 0 || errno == EEXIST) {
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<BlobReader> reader, from.OpenBlob(digest));
  ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, to.NewBlobWriter());
  std::string buf(1 << 20, '\0');
  while (true) {
    ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) break;
    RETURN_IF_ERROR(writer->Write(absl::string_view(buf.data(), n)));
  }
  RETURN_IF_ERROR_CTX(writer->Commit(digest).status(), "copying blob `", digest.str(), "`");
  return absl::OkStatus();
}

absl::Status CopyImageBlobs(const Layout& from, Layout& to, const ImageRef& image) {
  for (const Descriptor& layer : image.manifest.layers) {
    RETURN_IF_ERROR(CopyBlob(from, to, layer.digest));
  }
  RETURN_IF_ERROR(CopyBlob(from, to, image.manifest.config.digest));
  return CopyBlob(from, to, image.manifest_descriptor.digest);
}

std::string LocalStoreDir() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && xdg[0] == '/') return absl::StrCat(xdg, "/slipway");
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') return absl::StrCat(home, "/.local/share/slipway");
  const struct passwd* pw = ::getpwuid(::getuid());
  if (pw != nullptr && pw->pw_dir != nullptr) {
    return absl::StrCat(pw->pw_dir, "/.local/share/slipway");
  }
  return ".local/share/slipway";
}

std::string LocalStoreTag(absl::string_view name, absl::string_view tag) {
  return absl::StrCat(name, ":", tag.empty() ? absl::string_view("latest") : tag);
}

}  // namespace oci
