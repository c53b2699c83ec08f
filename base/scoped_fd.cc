#include "base/scoped_fd.h"

#include <unistd.h>

namespace base {

void ScopedFd::Reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

}  // namespace base
