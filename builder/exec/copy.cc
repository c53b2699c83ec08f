#include "builder/exec/copy.h"

#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include <archive.h>
#include <curl/curl.h>
#include <fcntl.h>

#include <mutex>

#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"
#include "oci/tar/layer_extractor.h"
#include "third_party/lazy/lazy_archive.h"
#include "third_party/lazy/lazy_curl.h"

namespace builder {
namespace {

using oci::LayerEntry;

bool HasWildcard(absl::string_view s) { return s.find_first_of("*?[") != absl::string_view::npos; }

std::string JoinRel(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return absl::StrCat(a, "/", b);
}

std::string Base(const std::string& rel) {
  size_t s = rel.rfind('/');
  return s == std::string::npos ? rel : rel.substr(s + 1);
}

std::string Parent(const std::string& rel) {
  size_t s = rel.rfind('/');
  return s == std::string::npos ? "" : rel.substr(0, s);
}

absl::StatusOr<std::string> ReadLink(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  if (n < 0) return base::ErrnoError(errno, absl::StrCat("readlink `", path, "`"));
  return std::string(buf, n);
}

// One file-tree entry of a source.
struct Src {
  std::string rel;   // path inside the source tree
  std::string host;  // where its bytes are
  struct stat st;
};

// A source tree: the context or a stage's view.
class Tree {
 public:
  Tree(const BuildContext* ctx, const FsView* view) : ctx_(ctx), view_(view) {}

  std::optional<Src> Lookup(const std::string& rel) const {
    Src s;
    s.rel = rel;
    if (ctx_ != nullptr) {
      if (rel.empty()) {
        s.host = ctx_->dir();
        if (lstat(s.host.c_str(), &s.st) != 0) return std::nullopt;
        return s;
      }
      const ignore::WalkEntry* e = ctx_->Find(rel);
      if (e == nullptr) return std::nullopt;
      s.host = absl::StrCat(ctx_->dir(), "/", rel);
      s.st = e->info;
      return s;
    }
    std::optional<FsView::Hit> hit = view_->Lstat(rel);
    if (!hit) return std::nullopt;
    s.host = hit->host_path;
    s.st = hit->info;
    return s;
  }

  // Follows symlinks at `rel` (inside the tree).
  absl::StatusOr<std::optional<Src>> Follow(const std::string& rel) const {
    if (view_ != nullptr) {
      std::string resolved;
      ASSIGN_OR_RETURN(std::optional<FsView::Hit> hit, view_->Stat(rel, &resolved));
      if (!hit) return std::optional<Src>();
      return std::optional<Src>(Src{resolved, hit->host_path, hit->info});
    }
    std::string cur = rel;
    for (int i = 0; i < 40; ++i) {
      std::optional<Src> s = Lookup(cur);
      if (!s || !S_ISLNK(s->st.st_mode)) return s;
      ASSIGN_OR_RETURN(std::string target, ReadLink(s->host));
      cur = CleanRel(target[0] == '/' ? target : JoinRel(Parent(cur), target));
    }
    return absl::InvalidArgumentError(absl::StrCat("too many symbolic links at `", rel, "`"));
  }

  // All descendants of the directory `rel`, parents before children.
  std::vector<Src> Descendants(const std::string& rel) const {
    std::vector<Src> out;
    if (ctx_ != nullptr) {
      std::string prefix = rel.empty() ? "" : rel + "/";
      for (const ignore::WalkEntry& e : ctx_->entries()) {
        if (!absl::StartsWith(e.path, prefix) || e.path == rel) continue;
        out.push_back(Src{e.path, absl::StrCat(ctx_->dir(), "/", e.path), e.info});
      }
      return out;
    }
    std::vector<std::string> stack = {rel};
    while (!stack.empty()) {
      std::string dir = stack.back();
      stack.pop_back();
      for (const std::string& name : view_->ListDir(dir)) {
        std::string child = JoinRel(dir, name);
        std::optional<FsView::Hit> hit = view_->Lstat(child);
        if (!hit) continue;
        out.push_back(Src{child, hit->host_path, hit->info});
        if (S_ISDIR(hit->info.st_mode)) stack.push_back(child);
      }
    }
    std::sort(out.begin(), out.end(), [](const Src& a, const Src& b) { return a.rel < b.rel; });
    return out;
  }

  // Paths matching the wildcard pattern `rel`.
  std::vector<std::string> Glob(const std::string& rel) const {
    std::vector<std::string> out;
    if (ctx_ != nullptr) {
      for (const ignore::WalkEntry& e : ctx_->entries()) {
        if (PathMatch(rel, e.path)) out.push_back(e.path);
      }
      return out;
    }
    // Wildcards in the last segment only for image trees.
    std::string dir = Parent(rel);
    for (const std::string& name : view_->ListDir(dir)) {
      std::string child = JoinRel(dir, name);
      if (PathMatch(rel, child)) out.push_back(child);
    }
    return out;
  }

 private:
  const BuildContext* ctx_;
  const FsView* view_;
};

struct ArchiveReadDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// Whether `head` (a file's first bytes) starts a tar, gzip, bzip2, xz or zstd stream.
bool LooksLikeArchive(const std::string& head) {
  auto starts = [&](absl::string_view magic) { return absl::StartsWith(head, magic); };
  if (starts("\x1f\x8b") || starts("BZh") || starts(absl::string_view("\xfd" "7zXZ\0", 6)) ||
      starts("\x28\xb5\x2f\xfd")) {
    return true;
  }
  return head.size() >= 262 && head.compare(257, 5, "ustar") == 0;
}

// ADD's archive rule: a local file that is a tar (plain, gzip, bzip2, xz or zstd) is extracted
// into `into` (created) and true is returned; anything else (including a compressed file that is
// not a tar) returns false and is copied as a file. The stream is first decompressed to
// `into`.tar with libarchive, then applied with the safe layer extractor (nothing is written
// outside `into`, whatever the tar holds; owners are kept, devices refused).
absl::StatusOr<bool> ExtractArchive(const std::string& host, const std::string& into) {
  base::Env* env = base::Env::Default();
  std::string head;
  {
    ASSIGN_OR_RETURN(base::ScopedFd fd, env->Open(host, O_RDONLY));
    head.resize(512);
    ASSIGN_OR_RETURN(size_t n, base::ReadFull(fd.get(), head.data(), head.size()));
    head.resize(n);
  }
  if (!LooksLikeArchive(head)) return false;
  std::string tar = into + ".tar";
  {
    std::unique_ptr<struct archive, ArchiveReadDeleter> a(archive_read_new());
    if (!a) {
      RETURN_IF_ERROR(lazy::ArchiveLibrary().Load());  // libarchive.so.13 missing: say so
      return absl::ResourceExhaustedError("archive_read_new failed");
    }
    archive_read_support_filter_all(a.get());
    archive_read_support_format_raw(a.get());
    if (archive_read_open_filename(a.get(), host.c_str(), 1 << 16) != ARCHIVE_OK) return false;
    struct archive_entry* entry;
    if (archive_read_next_header(a.get(), &entry) != ARCHIVE_OK) return false;
    ASSIGN_OR_RETURN(base::ScopedFd out, env->Open(tar, O_WRONLY | O_CREAT | O_TRUNC, 0600));
    std::string buf(1 << 16, '\0');
    while (true) {
      la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
      if (n < 0) return false;  // not decodable: copied as it is
      if (n == 0) break;
      RETURN_IF_ERROR(base::WriteAll(out.get(), absl::string_view(buf.data(), n)));
    }
  }
  {
    ASSIGN_OR_RETURN(base::ScopedFd fd, env->Open(tar, O_RDONLY));
    std::string thead(512, '\0');
    ASSIGN_OR_RETURN(size_t n, base::ReadFull(fd.get(), thead.data(), thead.size()));
    thead.resize(n);
    if (thead.size() < 262 || thead.compare(257, 5, "ustar") != 0) {
      unlink(tar.c_str());
      return false;
    }
  }
  RETURN_IF_ERROR(env->CreateDirs(into, 0755));
  ASSIGN_OR_RETURN(base::ScopedFd fd, env->Open(tar, O_RDONLY));
  oci::ExtractOptions xo;
  xo.preserve_owners = true;
  RETURN_IF_ERROR_CTX(oci::ApplyLayer(fd.get(), into, xo).status(), "extracting `", host, "`");
  unlink(tar.c_str());
  return true;
}

}  // namespace

bool PathMatch(absl::string_view pattern, absl::string_view path) {
  std::string p(pattern), s(path);
  return fnmatch(p.c_str(), s.c_str(), FNM_PATHNAME) == 0;
}

absl::StatusOr<BuildContext> BuildContext::Load(const std::string& dir,
                                                const std::vector<std::string>& ignore_patterns,
                                                StatCache* stat_cache) {
  BuildContext ctx;
  ctx.dir_ = dir;
  ctx.stat_cache_ = stat_cache;
  ASSIGN_OR_RETURN(ignore::PatternMatcher matcher, ignore::PatternMatcher::Create(ignore_patterns));
  RETURN_IF_ERROR(ignore::WalkContext(dir, matcher, [&](const ignore::WalkEntry& e) {
    ctx.entries_.push_back(e);
    return absl::OkStatus();
  }));
  std::sort(ctx.entries_.begin(), ctx.entries_.end(),
            [](const ignore::WalkEntry& a, const ignore::WalkEntry& b) { return a.path < b.path; });
  return ctx;
}

const ignore::WalkEntry* BuildContext::Find(const std::string& rel) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), rel,
                             [](const ignore::WalkEntry& e, const std::string& r) {
                               return e.path < r;
                             });
  if (it == entries_.end() || it->path != rel) return nullptr;
  return &*it;
}

absl::StatusOr<mode_t> ApplyChmod(absl::string_view spec, mode_t mode, bool is_dir) {
  mode_t perm = mode & 07777;
  uint32_t octal = 0;
  if (!spec.empty() && absl::ascii_isdigit(spec[0])) {
    for (char c : spec) {
      if (c < '0' || c > '7') return absl::InvalidArgumentError(absl::StrCat("invalid chmod `", spec, "`"));
      octal = octal * 8 + (c - '0');
    }
    if (octal > 07777) return absl::InvalidArgumentError(absl::StrCat("invalid chmod `", spec, "`"));
    return static_cast<mode_t>(octal);
  }
  for (absl::string_view clause : absl::StrSplit(spec, ',')) {
    size_t i = 0;
    mode_t who = 0;
    for (; i < clause.size() && std::strchr("ugoa", clause[i]) != nullptr; ++i) {
      switch (clause[i]) {
        case 'u': who |= 04700; break;
        case 'g': who |= 02070; break;
        case 'o': who |= 01007; break;
        case 'a': who |= 07777; break;
      }
    }
    if (who == 0) who = 07777;
    if (i >= clause.size()) return absl::InvalidArgumentError(absl::StrCat("invalid chmod `", spec, "`"));
    while (i < clause.size()) {
      char op = clause[i++];
      if (op != '+' && op != '-' && op != '=') {
        return absl::InvalidArgumentError(absl::StrCat("invalid chmod `", spec, "`"));
      }
      mode_t bits = 0;
      for (; i < clause.size() && std::strchr("rwxXst", clause[i]) != nullptr; ++i) {
        switch (clause[i]) {
          case 'r': bits |= 0444; break;
          case 'w': bits |= 0222; break;
          case 'x': bits |= 0111; break;
          case 'X': if (is_dir || (perm & 0111)) bits |= 0111; break;
          case 's': bits |= 06000; break;
          case 't': bits |= 01000; break;
        }
      }
      bits &= who;
      if (op == '+') perm |= bits;
      if (op == '-') perm &= ~bits;
      if (op == '=') perm = (perm & ~(who & 0777)) | bits;
    }
  }
  return perm;
}

absl::StatusOr<std::pair<uid_t, gid_t>> ResolveChown(absl::string_view spec,
                                                     const std::string& passwd,
                                                     const std::string& group) {
  std::vector<std::string> parts = absl::StrSplit(spec, absl::MaxSplits(':', 1));
  std::string user = parts[0];
  std::optional<std::string> grp;
  if (parts.size() > 1) grp = parts[1];
  uint32_t uid = 0, gid = 0;
  bool have_gid = false;
  if (absl::SimpleAtoi(user, &uid)) {
    gid = uid;
    for (absl::string_view line : absl::StrSplit(passwd, '\n')) {
      std::vector<std::string> f = absl::StrSplit(line, ':');
      uint32_t u;
      if (f.size() >= 4 && absl::SimpleAtoi(f[2], &u) && u == uid && absl::SimpleAtoi(f[3], &gid)) break;
    }
    have_gid = true;
  } else {
    for (absl::string_view line : absl::StrSplit(passwd, '\n')) {
      std::vector<std::string> f = absl::StrSplit(line, ':');
      if (f.size() >= 4 && f[0] == user && absl::SimpleAtoi(f[2], &uid) &&
          absl::SimpleAtoi(f[3], &gid)) {
        have_gid = true;
        break;
      }
    }
    if (!have_gid) {
      return absl::InvalidArgumentError(
          absl::StrCat("unable to convert uid/gid chown string to host mapping: can't find uid for "
                       "user ", user, ": no such user: ", user));
    }
  }
  if (grp) {
    if (!absl::SimpleAtoi(*grp, &gid)) {
      bool found = false;
      for (absl::string_view line : absl::StrSplit(group, '\n')) {
        std::vector<std::string> f = absl::StrSplit(line, ':');
        if (f.size() >= 3 && f[0] == *grp && absl::SimpleAtoi(f[2], &gid)) {
          found = true;
          break;
        }
      }
      if (!found) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unable to convert uid/gid chown string to host mapping: can't find gid for group ",
            *grp, ": no such group: ", *grp));
      }
    }
  }
  return std::make_pair(static_cast<uid_t>(uid), static_cast<gid_t>(gid));
}

absl::StatusOr<CopyPlan> PlanCopy(const CopyPlanInput& in) {
  const instructions::CopyCmd& cmd = *in.cmd;
  Tree tree(in.context, in.from);

  std::optional<std::pair<uid_t, gid_t>> chown;
  if (!cmd.chown.empty()) {
    std::string passwd, group;
    if (in.dest != nullptr) {
      ASSIGN_OR_RETURN(passwd, in.dest->ReadFile("/etc/passwd"));
      ASSIGN_OR_RETURN(group, in.dest->ReadFile("/etc/group"));
    }
    ASSIGN_OR_RETURN(chown, ResolveChown(cmd.chown, passwd, group));
  }

  // Destination.
  std::string dest_raw(cmd.dest);
  bool dest_is_dir = absl::EndsWith(dest_raw, "/") || dest_raw == "." ||
                     absl::EndsWith(dest_raw, "/.");
  if (dest_raw.empty() || dest_raw[0] != '/') dest_raw = absl::StrCat(in.workdir, "/", dest_raw);
  std::string dest = CleanRel(dest_raw);
  if (in.dest != nullptr) {
    ASSIGN_OR_RETURN(std::string parents, in.dest->ResolveParents(dest));
    dest = parents;
    std::string resolved;
    ASSIGN_OR_RETURN(std::optional<FsView::Hit> hit, in.dest->Stat(dest, &resolved));
    if (hit && S_ISDIR(hit->info.st_mode)) {
      dest_is_dir = true;
      dest = resolved;
    }
  }

  // Expand sources.
  struct Source {
    Src src;
    bool explicit_name;
    bool url = false;
  };
  std::vector<Source> sources;
  std::optional<ignore::PatternMatcher> excludes;
  if (!cmd.excludes.empty()) {
    ASSIGN_OR_RETURN(ignore::PatternMatcher m,
                     ignore::PatternMatcher::Create(std::vector<std::string>(
                         cmd.excludes.begin(), cmd.excludes.end())));
    excludes = std::move(m);
  }
  for (absl::string_view raw_view : cmd.sources) {
    const std::string raw(raw_view);
    if (IsUrl(raw)) {
      auto it = in.downloads.find(raw);
      if (it == in.downloads.end()) return absl::InternalError(absl::StrCat("`", raw, "` was not downloaded"));
      Src s;
      std::string name = raw.substr(raw.find("://") + 3);
      name = name.substr(0, name.find_first_of("?#"));
      size_t slash = name.find('/');
      name = slash == std::string::npos ? "" : Base(name.substr(slash + 1));
      if (name.empty() || name == "." || name == "..") name = "__unnamed__";
      s.rel = name;
      s.host = it->second;
      if (lstat(s.host.c_str(), &s.st) != 0) return base::ErrnoError(errno, "lstat a download");
      s.st.st_mode = S_IFREG | 0600;
      sources.push_back({s, true, true});
      continue;
    }
    std::string rel = CleanRel(raw);
    if (HasWildcard(rel)) {
      for (const std::string& match : tree.Glob(rel)) {
        if (excludes && excludes->Excluded(match)) continue;
        std::optional<Src> s = tree.Lookup(match);
        if (s) sources.push_back({*s, false});
      }
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<Src> s, tree.Follow(rel));
    if (!s) {
      return absl::NotFoundError(absl::StrCat("failed to compute cache key: \"/", rel,
                                              "\": not found"));
    }
    s->rel = rel;  // keep the name as written (for --parents and the basename)
    sources.push_back({*s, true});
  }
  if (sources.empty() && cmd.source_contents.empty()) {
    return absl::InvalidArgumentError("no source files were specified");
  }
  if (sources.size() + cmd.source_contents.size() > 1) dest_is_dir = true;

  std::map<std::string, LayerEntry> entries;
  std::map<std::string, oci::Digest> digests;  // path -> content digest
  auto owner = [&](const struct stat& st, LayerEntry* e) {
    if (chown) {
      e->uid = chown->first;
      e->gid = chown->second;
    } else if (in.from != nullptr) {
      e->uid = st.st_uid;
      e->gid = st.st_gid;
    }
  };
  auto add = [&](const Src& s, const std::string& target) -> absl::Status {
    LayerEntry e;
    e.path = target;
    bool is_dir = S_ISDIR(s.st.st_mode);
    e.mode = s.st.st_mode & 07777;
    if (!cmd.chmod.empty()) {
      ASSIGN_OR_RETURN(e.mode, ApplyChmod(cmd.chmod, e.mode, is_dir));
    }
    owner(s.st, &e);
    if (is_dir) {
      e.type = LayerEntry::Type::kDirectory;
    } else if (S_ISLNK(s.st.st_mode)) {
      e.type = LayerEntry::Type::kSymlink;
      ASSIGN_OR_RETURN(e.link_target, ReadLink(s.host));
    } else if (S_ISREG(s.st.st_mode)) {
      e.type = LayerEntry::Type::kFile;
      e.source_path = s.host;
      oci::Digest d;
      if (in.context != nullptr && in.context->stat_cache() != nullptr &&
          absl::StartsWith(s.host, in.context->dir() + "/")) {
        ASSIGN_OR_RETURN(d, in.context->stat_cache()->FileDigest(s.rel, s.host, s.st));
      } else {
        ASSIGN_OR_RETURN(d, HashFile(s.host));
      }
      digests[target] = d;
    } else {
      return absl::OkStatus();  // sockets, devices and fifos are not copied
    }
    entries[target] = std::move(e);
    return absl::OkStatus();
  };

  int extracted = 0;
  for (const Source& source : sources) {
    const Src& s = source.src;
    std::string rel_name = cmd.parents ? s.rel : Base(s.rel);
    if (S_ISDIR(s.st.st_mode)) {
      std::string root = cmd.parents ? JoinRel(dest, s.rel) : dest;
      // A directory's contents go into DEST; DEST itself takes the directory's metadata only when
      // it does not exist yet.
      bool exists = in.dest != nullptr && in.dest->Lstat(root).has_value();
      if (!exists && !root.empty()) RETURN_IF_ERROR(add(s, root));
      for (const Src& child : tree.Descendants(s.rel)) {
        std::string sub = child.rel.substr(s.rel.empty() ? 0 : s.rel.size() + 1);
        if (excludes && excludes->Excluded(sub)) continue;
        RETURN_IF_ERROR(add(child, JoinRel(root, sub)));
      }
    } else if (cmd.is_add && cmd.unpack.value_or(true) && S_ISREG(s.st.st_mode) &&
               !source.url) {
      // A local archive is extracted into DEST (a directory); other files are copied.
      if (in.scratch_dir.empty()) return absl::InternalError("ADD needs a scratch directory");
      std::string into = absl::StrCat(in.scratch_dir, "/add-", extracted++);
      ASSIGN_OR_RETURN(bool is_archive, ExtractArchive(s.host, into));
      if (!is_archive) {
        std::string target = dest_is_dir ? JoinRel(dest, rel_name) : dest;
        if (target.empty()) {
          return absl::InvalidArgumentError("cannot copy a file to the root directory itself");
        }
        RETURN_IF_ERROR(add(s, target));
        continue;
      }
      ASSIGN_OR_RETURN(std::vector<oci::LayerEntry> files,
                       oci::EntriesFromDirectory(into, dest, /*keep_owners=*/true));
      for (oci::LayerEntry& e : files) {
        if (chown) {
          e.uid = chown->first;
          e.gid = chown->second;
        }
        if (!cmd.chmod.empty()) {
          ASSIGN_OR_RETURN(e.mode, ApplyChmod(cmd.chmod, e.mode,
                                              e.type == LayerEntry::Type::kDirectory));
        }
        if (e.type == LayerEntry::Type::kFile && !e.source_path.empty()) {
          ASSIGN_OR_RETURN(digests[e.path], HashFile(e.source_path));
        }
        // An existing destination directory keeps its metadata (as for directory sources).
        if (e.path == dest && in.dest != nullptr && in.dest->Lstat(dest).has_value()) continue;
        entries[e.path] = std::move(e);
      }
    } else {
      std::string target = dest_is_dir ? JoinRel(dest, rel_name) : dest;
      if (target.empty()) {
        return absl::InvalidArgumentError("cannot copy a file to the root directory itself");
      }
      RETURN_IF_ERROR(add(s, target));
    }
  }
  for (const auto& doc : cmd.source_contents) {
    std::string target = dest_is_dir ? JoinRel(dest, std::string(doc.name)) : dest;
    LayerEntry e;
    e.path = target;
    e.type = LayerEntry::Type::kFile;
    e.mode = 0644;
    if (!cmd.chmod.empty()) {
      ASSIGN_OR_RETURN(e.mode, ApplyChmod(cmd.chmod, e.mode, false));
    }
    if (chown) {
      e.uid = chown->first;
      e.gid = chown->second;
    }
    e.content = std::string(doc.content);
    digests[target] = oci::Digest::Of(doc.content);
    entries[target] = std::move(e);
  }

  // Missing parents: 0755, owned like the copied files.
  std::set<std::string> parents;
  for (const auto& [path, e] : entries) {
    for (std::string p = Parent(path); !p.empty(); p = Parent(p)) parents.insert(p);
  }
  for (const std::string& p : parents) {
    if (entries.count(p)) continue;
    if (in.dest != nullptr && in.dest->Lstat(p).has_value()) continue;
    LayerEntry e;
    e.type = LayerEntry::Type::kDirectory;
    e.path = p;
    e.mode = 0755;
    if (chown) {
      e.uid = chown->first;
      e.gid = chown->second;
    }
    entries[p] = std::move(e);
  }

  CopyPlan plan;
  oci::Sha256 sha;
  for (auto& [path, e] : entries) {
    std::string line = absl::StrCat(static_cast<int>(e.type), " ", path.size(), ":", path, " ",
                                    e.mode, " ", e.uid, " ", e.gid, " ", e.link_target.size(), ":",
                                    e.link_target, " ");
    auto d = digests.find(path);
    if (d != digests.end()) absl::StrAppend(&line, d->second.str());
    line.push_back('\n');
    sha.Update(line);
    plan.entries.push_back(std::move(e));
  }
  plan.content_digest = sha.Finish();
  return plan;
}

}  // namespace builder

namespace builder {

bool IsUrl(absl::string_view source) {
  return absl::StartsWith(source, "http://") || absl::StartsWith(source, "https://");
}

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

struct DownloadSink {
  int fd;
  oci::Sha256 sha;
  absl::Status status;
};

size_t WriteToSink(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<DownloadSink*>(user);
  absl::string_view bytes(data, size * n);
  sink->status = base::WriteAll(sink->fd, bytes);
  if (!sink->status.ok()) return 0;
  sink->sha.Update(bytes);
  return bytes.size();
}

}  // namespace

absl::StatusOr<oci::Digest> DownloadUrl(const std::string& url, const std::string& path,
                                        const std::string& checksum) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::optional<oci::Digest> want;
  if (!checksum.empty()) {
    absl::StatusOr<oci::Digest> d = oci::Digest::Parse(checksum);
    if (!d.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid checksum `", checksum,
                                                     "`: want sha256:<64 hex digits>"));
    }
    want = *d;
  }
  ASSIGN_OR_RETURN(base::ScopedFd fd, base::Env::Default()->Open(path, O_WRONLY | O_CREAT | O_EXCL, 0600));
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    RETURN_IF_ERROR(lazy::CurlLibrary().Load());  // libcurl.so.4 missing: say so
    return absl::ResourceExhaustedError("curl_easy_init failed");
  }
  DownloadSink sink{fd.get(), oci::Sha256(), absl::OkStatus()};
  char err[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, WriteToSink);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
  CURLcode rc = curl_easy_perform(curl.get());
  if (!sink.status.ok()) return base::Annotate(sink.status, absl::StrCat("downloading ", url));
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat("downloading ", url, ": ",
                                               err[0] != '\0' ? err : curl_easy_strerror(rc)));
  }
  oci::Digest got = sink.sha.Finish();
  if (want && got != *want) {
    return absl::InvalidArgumentError(absl::StrCat("digest mismatch for ", url, ": ", got.str(),
                                                   " (expected ", want->str(), ")"));
  }
  return got;
}

}  // namespace builder
