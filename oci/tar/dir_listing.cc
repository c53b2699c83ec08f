#include "oci/tar/dir_listing.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace oci {
namespace {

struct CloseDir {
  void operator()(DIR* dir) const { closedir(dir); }
};

}  // namespace

absl::StatusOr<DirListing> OpenAndListDirAt(int parent, const std::string& name, int extra_flags,
                                            const std::string& shown) {
  DirListing out;
  out.fd.Reset(openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | extra_flags));
  if (!out.fd.valid()) return base::ErrnoError(errno, absl::StrCat("open `", shown, "`"));
  // The stream reads through its own descriptor (closed with it), so `out.fd` stays usable.
  int stream_fd = fcntl(out.fd.get(), F_DUPFD_CLOEXEC, 0);
  if (stream_fd < 0) return base::ErrnoError(errno, absl::StrCat("dup `", shown, "`"));
  std::unique_ptr<DIR, CloseDir> dir(fdopendir(stream_fd));
  if (dir == nullptr) {
    const int fdopendir_errno = errno;
    close(stream_fd);
    return base::ErrnoError(fdopendir_errno, absl::StrCat("fdopendir `", shown, "`"));
  }
  errno = 0;
  while (struct dirent* d = readdir(dir.get())) {
    std::string n = d->d_name;
    if (n != "." && n != "..") out.names.push_back(std::move(n));
    errno = 0;
  }
  if (errno != 0) return base::ErrnoError(errno, absl::StrCat("readdir `", shown, "`"));
  return out;
}

}  // namespace oci
