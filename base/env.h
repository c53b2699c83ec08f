// Env: the filesystem and clock as an interface, so tests can fake them (leveldb's Env pattern).
//
// Code that touches files or reads the time takes an `Env*` (not owned) through its Options, with
// Env::Default() as the default. Only base/env_posix.cc calls the OS for these operations.
// Implementations must be thread-safe. EnvWrapper forwards every call, so a test double overrides
// only the calls it needs (e.g. to inject a failure on the Nth write).
#ifndef SLIPWAY_BASE_ENV_H_
#define SLIPWAY_BASE_ENV_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/scoped_fd.h"

namespace base {

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide real environment. Never deleted.
  static Env* Default();

  // Wall-clock time (used only where the user asked for it, e.g. `--timestamp now`).
  virtual absl::Time Now() = 0;

  // Whole-file helpers. Errors name the path.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;
  // Writes `data` to a temp file beside `path`, fsyncs it, renames it over `path` and fsyncs the
  // directory: readers see the old content or the new, never a half-written file.
  virtual absl::Status WriteFileAtomically(const std::string& path, absl::string_view data,
                                           mode_t mode = 0644) = 0;

  virtual bool Exists(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  // mkdir -p. Existing directories are fine.
  virtual absl::Status CreateDirs(const std::string& path, mode_t mode = 0755) = 0;
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  // Removes a file or an empty directory. NotFound if it does not exist.
  virtual absl::Status Remove(const std::string& path) = 0;
  // rm -rf: removes a tree without following symlinks. Missing is fine.
  virtual absl::Status RemoveAll(const std::string& path) = 0;
  // Names in a directory (no "." or ".."), sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) = 0;
  virtual absl::StatusOr<int64_t> FileSize(const std::string& path) = 0;

  // Opens a file with open(2) flags (O_CLOEXEC is always added).
  virtual absl::StatusOr<ScopedFd> Open(const std::string& path, int flags, mode_t mode = 0644) = 0;
};

// Forwards every call to `target` (not owned). Override what a test needs to change.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  absl::Time Now() override { return target_->Now(); }
  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    return target_->ReadFile(path);
  }
  absl::Status WriteFileAtomically(const std::string& path, absl::string_view data,
                                   mode_t mode) override {
    return target_->WriteFileAtomically(path, data, mode);
  }
  bool Exists(const std::string& path) override { return target_->Exists(path); }
  bool IsDirectory(const std::string& path) override { return target_->IsDirectory(path); }
  absl::Status CreateDirs(const std::string& path, mode_t mode) override {
    return target_->CreateDirs(path, mode);
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    return target_->Rename(from, to);
  }
  absl::Status Remove(const std::string& path) override { return target_->Remove(path); }
  absl::Status RemoveAll(const std::string& path) override { return target_->RemoveAll(path); }
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) override {
    return target_->ListDir(path);
  }
  absl::StatusOr<int64_t> FileSize(const std::string& path) override {
    return target_->FileSize(path);
  }
  absl::StatusOr<ScopedFd> Open(const std::string& path, int flags, mode_t mode) override {
    return target_->Open(path, flags, mode);
  }

 private:
  Env* const target_;  // Not owned.
};

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
absl::Status WriteAll(int fd, absl::string_view data);
// Reads up to `size` bytes, retrying on EINTR; returns fewer only at end of file.
absl::StatusOr<size_t> ReadFull(int fd, char* buf, size_t size);

}  // namespace base

#endif  // SLIPWAY_BASE_ENV_H_
