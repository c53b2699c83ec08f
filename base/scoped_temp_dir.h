// ScopedTempDir: a fresh directory (mkdtemp) removed with everything in it when destroyed. Move-only.
#ifndef SLIPWAY_BASE_SCOPED_TEMP_DIR_H_
#define SLIPWAY_BASE_SCOPED_TEMP_DIR_H_

#include <string>

#include "absl/status/statusor.h"

namespace base {

class ScopedTempDir {
 public:
  // Creates `<parent>/<prefix>XXXXXX`. `parent` defaults to $TEST_TMPDIR, $TMPDIR or /tmp.
  static absl::StatusOr<ScopedTempDir> Create(const std::string& prefix = "slipway-",
                                              const std::string& parent = "");
  ScopedTempDir(ScopedTempDir&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  ScopedTempDir& operator=(ScopedTempDir&& other) noexcept;
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  ~ScopedTempDir();

  const std::string& path() const { return path_; }
  // Keeps the directory on destruction and returns its path.
  std::string Release();

 private:
  explicit ScopedTempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace base

#endif  // SLIPWAY_BASE_SCOPED_TEMP_DIR_H_
