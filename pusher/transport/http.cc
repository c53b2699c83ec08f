#include "pusher/transport/http.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace pusher {

absl::StatusOr<size_t> StringSource::Read(char* buf, size_t size) {
  size_t n = std::min(size, data_.size() - pos_);
  memcpy(buf, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

absl::StatusOr<std::unique_ptr<FileRangeSource>> FileRangeSource::Open(const std::string& path,
                                                                        int64_t offset,
                                                                        int64_t length) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return base::ErrnoError(errno, absl::StrCat("open `", path, "`"));
  if (length < 0) {
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0) {
      int e = errno;
      close(fd);
      return base::ErrnoError(e, absl::StrCat("seek `", path, "`"));
    }
    length = end - offset;
    if (length < 0) length = 0;
  }
  posix_fadvise(fd, offset, length, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<FileRangeSource>(new FileRangeSource(fd, path, offset, length));
}

FileRangeSource::~FileRangeSource() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<size_t> FileRangeSource::Read(char* buf, size_t size) {
  size_t want = static_cast<size_t>(std::min<int64_t>(size, length_ - pos_));
  if (want == 0) return 0;
  while (true) {
    ssize_t n = pread(fd_, buf, want, offset_ + pos_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::ErrnoError(errno, absl::StrCat("read `", path_, "`"));
    if (n == 0) {
      return absl::DataLossError(
          absl::StrCat("`", path_, "` is shorter than expected (", offset_ + length_, " bytes)"));
    }
    pos_ += n;
    return static_cast<size_t>(n);
  }
}

std::string HttpResponse::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

std::vector<std::string> HttpResponse::HeaderValues(absl::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) out.push_back(v);
  }
  return out;
}

std::string UrlHost(absl::string_view url) {
  size_t scheme = url.find("://");
  absl::string_view rest = scheme == absl::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  if (at != absl::string_view::npos) rest = rest.substr(at + 1);
  return std::string(rest);
}

std::string RedactUrl(absl::string_view url) {
  size_t cut = url.find_first_of("?#");
  std::string out(url.substr(0, cut));
  // Never show userinfo (user:password@host).
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t host_start = scheme + 3;
    size_t slash = out.find('/', host_start);
    size_t at = out.rfind('@', slash == std::string::npos ? out.size() : slash);
    if (at != std::string::npos && at >= host_start) out.erase(host_start, at + 1 - host_start);
  }
  return out;
}

}  // namespace pusher
