#include "builder/cache/cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"
#include "oci/json_codec.h"

namespace builder {
namespace {

constexpr absl::string_view kRecordMagic = "slipway-step-v1";

int64_t Ns(const struct timespec& ts) { return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec; }

}  // namespace

std::string DefaultCacheDir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return absl::StrCat(xdg, "/slipway");
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr && home[0] != '\0' ? home : "/root", "/.cache/slipway");
}

absl::StatusOr<std::unique_ptr<StepCache>> StepCache::Open(const std::string& dir) {
  base::Env* env = base::Env::Default();
  RETURN_IF_ERROR_CTX(env->CreateDirs(absl::StrCat(dir, "/keys")), "creating the build cache");
  RETURN_IF_ERROR_CTX(env->CreateDirs(absl::StrCat(dir, "/stat")), "creating the build cache");
  ASSIGN_OR_RETURN(std::unique_ptr<oci::Layout> layout,
                   oci::Layout::Open(absl::StrCat(dir, "/blobs")));
  return std::unique_ptr<StepCache>(new StepCache(dir, std::move(layout)));
}

std::optional<StepRecord> StepCache::Lookup(const oci::Digest& key) const {
  absl::StatusOr<std::string> text =
      base::Env::Default()->ReadFile(absl::StrCat(dir_, "/keys/", key.hex()));
  if (!text.ok()) return std::nullopt;
  std::vector<absl::string_view> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
  if (lines.size() < 2 || lines[0] != kRecordMagic) return std::nullopt;
  StepRecord record;
  for (size_t i = 1; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    if (absl::ConsumePrefix(&line, "config ")) {
      absl::StatusOr<oci::ImageConfig> config = oci::ImageConfig::Parse(line);
      if (!config.ok()) return std::nullopt;
      record.config = std::move(*config);
    } else if (absl::ConsumePrefix(&line, "layer ")) {
      absl::StatusOr<oci::Descriptor> d = oci::ParseDescriptor(line);
      if (!d.ok() || !layout_->HasBlob(d->digest)) return std::nullopt;
      record.layers.push_back(std::move(*d));
    } else {
      return std::nullopt;
    }
  }
  if (record.config.os.empty()) return std::nullopt;
  return record;
}

absl::Status StepCache::Store(const oci::Digest& key, const StepRecord& record) {
  std::string text = absl::StrCat(kRecordMagic, "\nconfig ", record.config.Encode(), "\n");
  for (const oci::Descriptor& d : record.layers) {
    absl::StrAppend(&text, "layer ", oci::EncodeDescriptor(d), "\n");
  }
  return base::Env::Default()->WriteFileAtomically(absl::StrCat(dir_, "/keys/", key.hex()), text);
}

absl::StatusOr<oci::Digest> HashFile(const std::string& path) {
  ASSIGN_OR_RETURN(base::ScopedFd fd, base::Env::Default()->Open(path, O_RDONLY | O_NOFOLLOW));
  oci::Sha256 sha;
  std::string buf(1 << 20, '\0');
  while (true) {
    ASSIGN_OR_RETURN(size_t n, base::ReadFull(fd.get(), buf.data(), buf.size()));
    if (n == 0) break;
    sha.Update(buf.data(), n);
    if (n < buf.size()) break;
  }
  return sha.Finish();
}

std::map<std::string, StatCache::Entry> StatCache::Parse(const std::string& text) {
  // One entry per line: digest size mtime_ns ctime_ns ino dev path (the path last: it may hold
  // spaces; newlines in names are not cached).
  std::map<std::string, Entry> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits(' ', 6));
    if (f.size() != 7) continue;
    Entry e;
    e.digest = std::string(f[0]);
    if (!absl::SimpleAtoi(f[1], &e.size) || !absl::SimpleAtoi(f[2], &e.mtime_ns) ||
        !absl::SimpleAtoi(f[3], &e.ctime_ns) || !absl::SimpleAtoi(f[4], &e.ino) ||
        !absl::SimpleAtoi(f[5], &e.dev) || !oci::Digest::Parse(e.digest).ok()) {
      continue;
    }
    out[std::string(f[6])] = std::move(e);
  }
  return out;
}

std::unique_ptr<StatCache> StatCache::Load(const std::string& cache_dir,
                                           const std::string& context_dir) {
  std::string file = absl::StrCat(cache_dir, "/stat/", oci::Digest::Of(context_dir).hex());
  std::unique_ptr<StatCache> cache(new StatCache(file));
  absl::StatusOr<std::string> text = base::Env::Default()->ReadFile(file);
  if (text.ok()) {
    absl::MutexLock lock(&cache->mu_);
    cache->entries_ = Parse(*text);
  }
  return cache;
}

absl::StatusOr<oci::Digest> StatCache::FileDigest(const std::string& relative,
                                                  const std::string& path,
                                                  const struct stat& st) {
  Entry want;
  want.size = st.st_size;
  want.mtime_ns = Ns(st.st_mtim);
  want.ctime_ns = Ns(st.st_ctim);
  want.ino = st.st_ino;
  want.dev = st.st_dev;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(relative);
    if (it != entries_.end() && it->second.size == want.size &&
        it->second.mtime_ns == want.mtime_ns && it->second.ctime_ns == want.ctime_ns &&
        it->second.ino == want.ino && it->second.dev == want.dev) {
      fresh_[relative] = it->second;
      return oci::Digest::Parse(it->second.digest);
    }
  }
  ASSIGN_OR_RETURN(oci::Digest digest, HashFile(path));
  want.digest = digest.str();
  absl::MutexLock lock(&mu_);
  ++files_hashed_;
  if (relative.find('\n') == std::string::npos) {
    entries_[relative] = want;
    fresh_[relative] = want;
  }
  return digest;
}

int64_t StatCache::files_hashed() const {
  absl::MutexLock lock(&mu_);
  return files_hashed_;
}

absl::Status StatCache::Save() {
  base::Env* env = base::Env::Default();
  absl::MutexLock lock(&mu_);
  if (fresh_.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(env->CreateDirs(file_.substr(0, file_.rfind('/'))));
  ASSIGN_OR_RETURN(base::ScopedFd lock_fd, env->Open(file_ + ".lock", O_RDWR | O_CREAT, 0644));
  while (flock(lock_fd.get(), LOCK_EX) < 0) {
    if (errno != EINTR) return base::ErrnoError(errno, absl::StrCat("flock `", file_, ".lock`"));
  }
  // Re-read under the lock so a concurrent build's entries survive.
  std::map<std::string, Entry> merged;
  absl::StatusOr<std::string> text = env->ReadFile(file_);
  if (text.ok()) merged = Parse(*text);
  bool changed = false;
  for (const auto& [path, e] : fresh_) {
    auto it = merged.find(path);
    if (it == merged.end() || it->second.digest != e.digest || it->second.mtime_ns != e.mtime_ns ||
        it->second.ctime_ns != e.ctime_ns || it->second.ino != e.ino || it->second.size != e.size) {
      merged[path] = e;
      changed = true;
    }
  }
  if (!changed) return absl::OkStatus();
  std::string out;
  for (const auto& [path, e] : merged) {
    absl::StrAppend(&out, e.digest, " ", e.size, " ", e.mtime_ns, " ", e.ctime_ns, " ", e.ino, " ",
                    e.dev, " ", path, "\n");
  }
  return env->WriteFileAtomically(file_, out);
}

}  // namespace builder
