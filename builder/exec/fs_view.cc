#include "builder/exec/fs_view.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/env.h"
#include "base/status_macros.h"

namespace builder {
namespace {

bool IsWhiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && major(st.st_rdev) == 0 && minor(st.st_rdev) == 0;
}

std::string Join(const std::string& dir, const std::string& rel) {
  return rel.empty() ? dir : absl::StrCat(dir, "/", rel);
}

}  // namespace

std::string CleanRel(const std::string& path) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.emplace_back(part);
  }
  return absl::StrJoin(out, "/");
}

bool FsView::Blocks(size_t i, const std::string& rel) const {
  // Check rel and each of its parents in layer i.
  std::string prefix;
  std::vector<absl::string_view> parts = absl::StrSplit(rel, '/', absl::SkipEmpty());
  for (size_t k = 0; k <= parts.size(); ++k) {
    if (k > 0) prefix = prefix.empty() ? std::string(parts[k - 1])
                                       : absl::StrCat(prefix, "/", parts[k - 1]);
    std::string host = Join(dirs_[i], prefix);
    struct stat st;
    if (lstat(host.c_str(), &st) != 0) {
      if (k == 0) continue;
      return false;  // nothing further down in this layer
    }
    if (k > 0 && IsWhiteout(st)) return true;
    if (k > 0 && !S_ISDIR(st.st_mode)) return true;
    char v[4];
    ssize_t n = lgetxattr(host.c_str(), opaque_xattr_.c_str(), v, sizeof(v));
    if (k > 0 && n == 1 && v[0] == 'y') return true;
  }
  return false;
}

std::optional<FsView::Hit> FsView::Lstat(const std::string& path) const {
  std::string rel = CleanRel(path);
  for (size_t i = dirs_.size(); i-- > 0;) {
    Hit hit;
    hit.host_path = Join(dirs_[i], rel);
    if (lstat(hit.host_path.c_str(), &hit.info) == 0) {
      if (IsWhiteout(hit.info)) return std::nullopt;
      return hit;
    }
    if (Blocks(i, rel)) return std::nullopt;
  }
  if (rel.empty() && !dirs_.empty()) {
    Hit hit;
    hit.host_path = dirs_.back();
    if (lstat(hit.host_path.c_str(), &hit.info) == 0) return hit;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> FsView::ResolveParents(const std::string& path) const {
  std::vector<std::string> todo;
  for (absl::string_view p : absl::StrSplit(path, '/', absl::SkipEmpty())) todo.emplace_back(p);
  std::vector<std::string> done;
  int links = 0;
  // Walk all but the last component.
  size_t idx = 0;
  while (idx + 1 < todo.size()) {
    const std::string part = todo[idx++];
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(part);
    std::optional<Hit> hit = Lstat(absl::StrJoin(done, "/"));
    if (hit && S_ISLNK(hit->info.st_mode)) {
      if (++links > 40) return absl::InvalidArgumentError(absl::StrCat("too many links in `", path, "`"));
      char buf[4096];
      ssize_t n = readlink(hit->host_path.c_str(), buf, sizeof(buf));
      if (n < 0) return base::ErrnoError(errno, absl::StrCat("readlink `", hit->host_path, "`"));
      std::string target(buf, n);
      done.pop_back();
      if (!target.empty() && target[0] == '/') done.clear();
      std::vector<std::string> rest;
      for (absl::string_view p : absl::StrSplit(target, '/', absl::SkipEmpty())) rest.emplace_back(p);
      rest.insert(rest.end(), todo.begin() + idx, todo.end());
      todo = std::move(rest);
      idx = 0;
    }
  }
  if (idx < todo.size()) {
    if (todo[idx] == "..") {
      if (!done.empty()) done.pop_back();
    } else if (todo[idx] != ".") {
      done.push_back(todo[idx]);
    }
  }
  return absl::StrJoin(done, "/");
}

absl::StatusOr<std::optional<FsView::Hit>> FsView::Stat(const std::string& path,
                                                        std::string* resolved) const {
  std::string cur = path;
  for (int links = 0; links < 40; ++links) {
    ASSIGN_OR_RETURN(std::string rel, ResolveParents(cur));
    std::optional<Hit> hit = Lstat(rel);
    if (!hit || !S_ISLNK(hit->info.st_mode)) {
      if (resolved != nullptr) *resolved = rel;
      return hit;
    }
    char buf[4096];
    ssize_t n = readlink(hit->host_path.c_str(), buf, sizeof(buf));
    if (n < 0) return base::ErrnoError(errno, absl::StrCat("readlink `", hit->host_path, "`"));
    std::string target(buf, n);
    if (!target.empty() && target[0] == '/') {
      cur = target;
    } else {
      size_t slash = rel.rfind('/');
      cur = slash == std::string::npos ? target : absl::StrCat(rel.substr(0, slash), "/", target);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("too many levels of symbolic links at `", path, "`"));
}

std::vector<std::string> FsView::ListDir(const std::string& path) const {
  std::string rel = CleanRel(path);
  std::set<std::string> names, hidden;
  for (size_t i = dirs_.size(); i-- > 0;) {
    std::string host = Join(dirs_[i], rel);
    struct stat st;
    if (lstat(host.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) break;
      absl::StatusOr<std::vector<std::string>> list = base::Env::Default()->ListDir(host);
      if (list.ok()) {
        for (const std::string& n : *list) {
          if (names.count(n) || hidden.count(n)) continue;
          struct stat cst;
          if (lstat(absl::StrCat(host, "/", n).c_str(), &cst) == 0 && IsWhiteout(cst)) {
            hidden.insert(n);
          } else {
            names.insert(n);
          }
        }
      }
      char v[4];
      ssize_t n = lgetxattr(host.c_str(), opaque_xattr_.c_str(), v, sizeof(v));
      if (n == 1 && v[0] == 'y') break;
    }
    if (Blocks(i, rel)) break;
  }
  return std::vector<std::string>(names.begin(), names.end());
}

absl::StatusOr<std::string> FsView::ReadFile(const std::string& path) const {
  ASSIGN_OR_RETURN(std::optional<Hit> hit, Stat(path));
  if (!hit || !S_ISREG(hit->info.st_mode)) return std::string();
  return base::Env::Default()->ReadFile(hit->host_path);
}

}  // namespace builder
