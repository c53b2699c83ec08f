#include "third_party/lazy/lazy_library.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace lazy {
namespace {

std::string UnavailableFor(const std::string& soname, const std::string& package) {
  return absl::StrCat(soname, " could not be loaded (install the Debian package ", package, ")");
}

}  // namespace

LazyLibrary::LazyLibrary(std::string soname, std::string package)
    : soname_(std::move(soname)),
      package_(std::move(package)),
      unavailable_message_(UnavailableFor(soname_, package_)) {}

void LazyLibrary::SetSonameForTesting(std::string soname) {
  soname_ = std::move(soname);
  unavailable_message_ = UnavailableFor(soname_, package_);
}

void LazyLibrary::Open() {
  handle_ = dlopen(soname_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ != nullptr) return;
  const char* why = dlerror();
  status_ = absl::InternalError(
      absl::StrCat("cannot load `", soname_, "`: ", why != nullptr ? why : "unknown dlopen error",
                   " (install the Debian package ", package_, ")"));
  fprintf(stderr, "%s: %s\n", program_invocation_short_name, std::string(status_.message()).c_str());
}

absl::Status LazyLibrary::Load() {
  absl::call_once(once_, &LazyLibrary::Open, this);
  return status_;
}

void* LazyLibrary::Symbol(const char* name) {
  if (!Load().ok()) return nullptr;
  dlerror();  // clear a stale error: dlsym reports failure only through dlerror
  void* address = dlsym(handle_, name);
  if (address == nullptr) {
    const char* why = dlerror();
    fprintf(stderr, "%s: `%s` has no function `%s`: %s (install a newer %s)\n",
            program_invocation_short_name, soname_.c_str(), name,
            why != nullptr ? why : "null symbol", package_.c_str());
  }
  return address;
}

}  // namespace lazy
