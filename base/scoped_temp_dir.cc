#include "base/scoped_temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/status_macros.h"

namespace base {

absl::StatusOr<ScopedTempDir> ScopedTempDir::Create(const std::string& prefix,
                                                    const std::string& parent) {
  std::string dir = parent;
  for (const char* var : {"TEST_TMPDIR", "TMPDIR"}) {
    if (!dir.empty()) break;
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') dir = v;
  }
  if (dir.empty()) dir = "/tmp";
  std::string templ = absl::StrCat(dir, "/", prefix, "XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    return ErrnoError(errno, absl::StrCat("mkdtemp `", templ, "`"));
  }
  return ScopedTempDir(std::string(buf.data()));
}

ScopedTempDir& ScopedTempDir::operator=(ScopedTempDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) (void)Env::Default()->RemoveAll(path_);
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

ScopedTempDir::~ScopedTempDir() {
  if (!path_.empty()) (void)Env::Default()->RemoveAll(path_);
}

std::string ScopedTempDir::Release() {
  std::string p = std::move(path_);
  path_.clear();
  return p;
}

}  // namespace base
