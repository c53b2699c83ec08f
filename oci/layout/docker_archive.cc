// `docker save` archives <-> OCI layouts (see docker_archive.h).
#include "oci/layout/docker_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/scoped_temp_dir.h"
#include "base/status_macros.h"
#include "oci/image_config.h"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "third_party/lazy/lazy_archive.h"

namespace oci {
namespace {

using Json = nlohmann::json;

constexpr size_t kChunk = 1 << 16;
// manifest.json, repositories and configs are read into memory; refuse absurd sizes.
constexpr int64_t kMaxDocumentSize = 64 << 20;
constexpr int kMaxLinkHops = 16;

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteDeleter {
  void operator()(struct archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

absl::Status ArchiveError(struct archive* a, absl::string_view what) {
  const char* msg = archive_error_string(a);
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", msg ? msg : "libarchive error"));
}

Compression Sniff(absl::string_view head) {
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
      static_cast<unsigned char>(head[1]) == 0x8b) {
    return Compression::kGzip;
  }
  if (head.size() >= 4 && static_cast<unsigned char>(head[0]) == 0x28 &&
      static_cast<unsigned char>(head[1]) == 0xb5 && static_cast<unsigned char>(head[2]) == 0x2f &&
      static_cast<unsigned char>(head[3]) == 0xfd) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

// Reads a layout blob through libarchive's decompressors (raw format: the bytes, not tar members)
// and hands the decompressed bytes to `out`.
struct BlobSource {
  BlobReader* reader;
  std::vector<char> buf;
  absl::Status status;
};

la_ssize_t ReadBlobCallback(struct archive*, void* data, const void** out) {
  auto* src = static_cast<BlobSource*>(data);
  absl::StatusOr<size_t> n = src->reader->Read(src->buf.data(), src->buf.size());
  if (!n.ok()) {
    src->status = n.status();
    return -1;
  }
  *out = src->buf.data();
  return static_cast<la_ssize_t>(*n);
}

absl::Status DecompressBlob(const Layout& layout, const Digest& digest,
                            const std::function<absl::Status(absl::string_view)>& out) {
  ASSIGN_OR_RETURN(std::unique_ptr<BlobReader> reader, layout.OpenBlob(digest));
  BlobSource src{reader.get(), std::vector<char>(kChunk), absl::OkStatus()};
  std::unique_ptr<struct archive, ArchiveDeleter> a(archive_read_new());
  if (!a) {
    RETURN_IF_ERROR(lazy::ArchiveLibrary().Load());  // libarchive.so.13 missing: say so
    return absl::ResourceExhaustedError("archive_read_new failed");
  }
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  std::string what = absl::StrCat("decompressing layer ", digest.str());
  if (archive_read_open(a.get(), &src, nullptr, ReadBlobCallback, nullptr) != ARCHIVE_OK) {
    if (!src.status.ok()) return base::Annotate(src.status, what);
    return ArchiveError(a.get(), what);
  }
  struct archive_entry* entry;
  int r = archive_read_next_header(a.get(), &entry);
  if (r == ARCHIVE_EOF) return absl::OkStatus();  // an empty stream
  if (r != ARCHIVE_OK) {
    if (!src.status.ok()) return base::Annotate(src.status, what);
    return ArchiveError(a.get(), what);
  }
  std::vector<char> buf(kChunk);
  while (true) {
    la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n < 0) {
      if (!src.status.ok()) return base::Annotate(src.status, what);
      return ArchiveError(a.get(), what);
    }
    if (n == 0) break;
    RETURN_IF_ERROR(out(absl::string_view(buf.data(), n)));
  }
  // Drain so the blob reader reaches its end and verifies the digest.
  if (!src.status.ok()) return base::Annotate(src.status, what);
  return absl::OkStatus();
}

// Normalises an archive member name: no leading "./" or "/", no "." components, ".." resolved.
absl::StatusOr<std::string> CleanMemberName(absl::string_view name) {
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(name, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (parts.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("member `", name, "` climbs out of the archive"));
      }
      parts.pop_back();
      continue;
    }
    parts.emplace_back(part);
  }
  return absl::StrJoin(parts, "/");
}

std::string DirOf(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? "" : name.substr(0, slash);
}

struct Member {
  mode_t type = AE_IFREG;
  int64_t size = 0;
  std::string link;  // symlink target (relative to the member's folder) or hardlink target
};

// Opens `path` for a fresh pass over its members.
absl::StatusOr<std::unique_ptr<struct archive, ArchiveDeleter>> OpenArchive(base::Env* env,
                                                                            const std::string& path,
                                                                            base::ScopedFd& fd) {
  ASSIGN_OR_RETURN(fd, env->Open(path, O_RDONLY, 0));
  std::unique_ptr<struct archive, ArchiveDeleter> a(archive_read_new());
  if (!a) {
    RETURN_IF_ERROR(lazy::ArchiveLibrary().Load());  // libarchive.so.13 missing: say so
    return absl::ResourceExhaustedError("archive_read_new failed");
  }
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_fd(a.get(), fd.get(), kChunk) != ARCHIVE_OK) {
    return ArchiveError(a.get(), absl::StrCat("opening `", path, "`"));
  }
  return a;
}

absl::StatusOr<std::string> ReadMemberData(struct archive* a, const std::string& name) {
  std::string out;
  std::vector<char> buf(kChunk);
  while (true) {
    la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
    if (n < 0) return ArchiveError(a, absl::StrCat("reading member `", name, "`"));
    if (n == 0) break;
    out.append(buf.data(), n);
    if (static_cast<int64_t>(out.size()) > kMaxDocumentSize) {
      return absl::InvalidArgumentError(absl::StrCat("member `", name, "` is too large"));
    }
  }
  return out;
}

// Follows symlinks and hardlinks among members to the member holding the data.
absl::StatusOr<std::string> ResolveMember(const std::map<std::string, Member>& members,
                                          const std::string& archive_path, absl::string_view ref) {
  ASSIGN_OR_RETURN(std::string name, CleanMemberName(ref));
  for (int hop = 0; hop < kMaxLinkHops; ++hop) {
    auto it = members.find(name);
    if (it == members.end()) {
      return absl::NotFoundError(absl::StrCat("`", archive_path, "` has no member `", name, "`"));
    }
    const Member& m = it->second;
    if (m.type == AE_IFLNK) {
      if (absl::StartsWith(m.link, "/")) {
        return absl::InvalidArgumentError(
            absl::StrCat("member `", name, "` is an absolute symlink (`", m.link, "`)"));
      }
      ASSIGN_OR_RETURN(name, CleanMemberName(absl::StrCat(DirOf(name), "/", m.link)));
      continue;
    }
    if (!m.link.empty()) {  // hardlink: the data sits with the target
      ASSIGN_OR_RETURN(name, CleanMemberName(m.link));
      continue;
    }
    if (m.type != AE_IFREG) {
      return absl::InvalidArgumentError(absl::StrCat("member `", name, "` is not a regular file"));
    }
    return name;
  }
  return absl::InvalidArgumentError(absl::StrCat("member `", ref, "`: too many links"));
}

absl::StatusOr<std::vector<std::string>> StringList(const Json& v, absl::string_view what) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (!v.is_array()) return absl::InvalidArgumentError(absl::StrCat(what, ": expected an array"));
  for (const Json& s : v) {
    if (!s.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": expected an array of strings"));
    }
    out.push_back(s.get<std::string>());
  }
  return out;
}

struct SaveEntry {
  std::string config;
  std::vector<std::string> layers;
  std::vector<std::string> repo_tags;
};

bool TagMatches(const std::vector<std::string>& repo_tags, const Reference& want) {
  for (const std::string& t : repo_tags) {
    absl::StatusOr<Reference> have = Reference::Parse(t);
    if (have.ok() && have->ToString() == want.ToString()) return true;
  }
  return false;
}

// A member of the archive being written, sorted by name.
struct OutEntry {
  bool directory = false;
  std::string content;    // in-memory data
  std::string file_path;  // or a host file
  int64_t size = 0;
};

absl::Status WriteTar(base::Env* env, const std::map<std::string, OutEntry>& entries, int64_t mtime,
                      int fd, const std::string& path) {
  std::unique_ptr<struct archive, ArchiveWriteDeleter> a(archive_write_new());
  if (!a) {
    RETURN_IF_ERROR(lazy::ArchiveLibrary().Load());  // libarchive.so.13 missing: say so
    return absl::ResourceExhaustedError("archive_write_new failed");
  }
  archive_write_set_format_pax_restricted(a.get());
  if (archive_write_open_fd(a.get(), fd) != ARCHIVE_OK) {
    return ArchiveError(a.get(), absl::StrCat("writing `", path, "`"));
  }
  std::vector<char> buf(kChunk);
  for (const auto& [name, e] : entries) {
    std::unique_ptr<struct archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), e.directory ? (name + "/").c_str() : name.c_str());
    archive_entry_set_filetype(entry.get(), e.directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry.get(), e.directory ? 0755 : 0644);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_mtime(entry.get(), mtime, 0);
    archive_entry_set_size(entry.get(), e.directory ? 0 : e.size);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      return ArchiveError(a.get(), absl::StrCat("writing `", path, "`: member `", name, "`"));
    }
    if (e.directory) continue;
    auto write = [&](const char* data, size_t n) -> absl::Status {
      if (archive_write_data(a.get(), data, n) != static_cast<la_ssize_t>(n)) {
        return ArchiveError(a.get(), absl::StrCat("writing `", path, "`: member `", name, "`"));
      }
      return absl::OkStatus();
    };
    if (e.file_path.empty()) {
      RETURN_IF_ERROR(write(e.content.data(), e.content.size()));
      continue;
    }
    ASSIGN_OR_RETURN(base::ScopedFd in, env->Open(e.file_path, O_RDONLY, 0));
    int64_t left = e.size;
    while (left > 0) {
      ASSIGN_OR_RETURN(size_t n, base::ReadFull(in.get(), buf.data(),
                                                std::min<int64_t>(left, buf.size())));
      if (n == 0) {
        return absl::DataLossError(absl::StrCat("`", e.file_path, "` shrank while archiving"));
      }
      RETURN_IF_ERROR(write(buf.data(), n));
      left -= n;
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), absl::StrCat("finishing `", path, "`"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Digest> LayerDiffId(const Layout& layout, const Descriptor& layer) {
  Compression c = LayerCompression(layer.media_type);
  if (c == Compression::kNone) {
    // Unknown types are sniffed: a tar's diff_id is its digest.
    ASSIGN_OR_RETURN(std::unique_ptr<BlobReader> reader, layout.OpenBlob(layer.digest));
    char head[4] = {0, 0, 0, 0};
    ASSIGN_OR_RETURN(size_t n, reader->Read(head, sizeof(head)));
    if (Sniff(absl::string_view(head, n)) == Compression::kNone) return layer.digest;
  }
  Sha256 hasher;
  RETURN_IF_ERROR(DecompressBlob(layout, layer.digest, [&](absl::string_view data) {
    hasher.Update(data);
    return absl::OkStatus();
  }));
  return hasher.Finish();
}

absl::StatusOr<ImportedLayer> ImportLayerFile(const std::string& path, Layout& layout,
                                              base::Env* env) {
  if (env == nullptr) env = base::Env::Default();
  ASSIGN_OR_RETURN(base::ScopedFd fd, env->Open(path, O_RDONLY, 0));
  ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, layout.NewBlobWriter());
  std::vector<char> buf(kChunk);
  std::string head;
  while (true) {
    absl::StatusOr<size_t> n = base::ReadFull(fd.get(), buf.data(), buf.size());
    if (!n.ok()) return base::Annotate(n.status(), absl::StrCat("reading `", path, "`"));
    if (*n == 0) break;
    if (head.size() < 512) head.append(buf.data(), std::min<size_t>(*n, 512 - head.size()));
    RETURN_IF_ERROR(writer->Write(absl::string_view(buf.data(), *n)));
  }
  Compression c = Sniff(head);
  if (c == Compression::kNone &&
      !(head.size() == 512 && absl::StartsWith(absl::string_view(head).substr(257), "ustar"))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "`", path, "` is not a tar archive (no ustar header), nor gzip or zstd compressed"));
  }
  ImportedLayer out;
  out.descriptor.size = writer->size();
  ASSIGN_OR_RETURN(out.descriptor.digest, writer->Commit(Digest()));
  out.descriptor.media_type = std::string(OciLayerMediaType(c));
  absl::StatusOr<Digest> diff_id = LayerDiffId(layout, out.descriptor);
  if (!diff_id.ok()) return base::Annotate(diff_id.status(), absl::StrCat("layer `", path, "`"));
  out.diff_id = *diff_id;
  return out;
}

absl::Status WriteDockerArchive(const Layout& layout, const std::vector<DockerArchiveImage>& images,
                                const std::string& path, const DockerArchiveOptions& options) {
  base::Env* env = options.env != nullptr ? options.env : base::Env::Default();
  if (images.empty()) return absl::InvalidArgumentError("writing a docker archive: no images");
  ASSIGN_OR_RETURN(base::ScopedTempDir scratch, base::ScopedTempDir::Create("docker-archive-"));
  std::map<std::string, OutEntry> entries;
  Json manifest_json = Json::array();
  Json repositories = Json::object();
  for (const DockerArchiveImage& image : images) {
    std::string what = absl::StrCat("writing image ", image.manifest.digest.str(), " to `", path, "`");
    ASSIGN_OR_RETURN(std::string manifest_bytes, layout.ReadBlob(image.manifest.digest));
    absl::StatusOr<Manifest> manifest = Manifest::Parse(manifest_bytes);
    if (!manifest.ok()) return base::Annotate(manifest.status(), what);
    ASSIGN_OR_RETURN(std::string config_bytes, layout.ReadBlob(manifest->config.digest));
    absl::StatusOr<ImageConfig> config = ImageConfig::Parse(config_bytes);
    if (!config.ok()) return base::Annotate(config.status(), what);
    if (config->diff_ids.size() != manifest->layers.size()) {
      return absl::FailedPreconditionError(absl::StrCat(what, ": the config lists ",
                                                        config->diff_ids.size(), " diff_ids for ",
                                                        manifest->layers.size(), " layers"));
    }
    std::string config_name = absl::StrCat(manifest->config.digest.hex(), ".json");
    entries[config_name].content = config_bytes;
    entries[config_name].size = config_bytes.size();

    Json layer_paths = Json::array();
    std::string parent_id;
    for (size_t i = 0; i < manifest->layers.size(); ++i) {
      const Descriptor& layer = manifest->layers[i];
      const Digest& diff_id = config->diff_ids[i];
      // A v1-style layer ID: depends on the whole chain below it, so equal IDs mean equal content.
      std::string id(Digest::Of(absl::StrCat(parent_id, " ", diff_id.str())).hex());
      std::string tar_name = absl::StrCat(id, "/layer.tar");
      layer_paths.push_back(tar_name);
      if (entries.count(tar_name) == 0) {
        std::string temp = absl::StrCat(scratch.path(), "/", id);
        ASSIGN_OR_RETURN(base::ScopedFd out, env->Open(temp, O_WRONLY | O_CREAT | O_EXCL, 0600));
        Sha256 hasher;
        int64_t size = 0;
        RETURN_IF_ERROR_CTX(DecompressBlob(layout, layer.digest,
                                           [&](absl::string_view data) {
                                             hasher.Update(data);
                                             size += data.size();
                                             return base::WriteAll(out.get(), data);
                                           }),
                            what);
        Digest got = hasher.Finish();
        if (got != diff_id) {
          return absl::DataLossError(absl::StrCat(what, ": layer ", layer.digest.str(),
                                                  " decompresses to ", got.str(),
                                                  ", but the config's diff_id is ", diff_id.str()));
        }
        entries[id].directory = true;
        entries[tar_name].file_path = temp;
        entries[tar_name].size = size;
        entries[absl::StrCat(id, "/VERSION")].content = "1.0";
        Json v1 = {{"id", id}, {"created", config->created.empty() ? "1970-01-01T00:00:00Z"
                                                                   : config->created}};
        if (!parent_id.empty()) v1["parent"] = parent_id;
        entries[absl::StrCat(id, "/json")].content = v1.dump();
        for (const char* leaf : {"/VERSION", "/json"}) {
          OutEntry& e = entries[absl::StrCat(id, leaf)];
          e.size = e.content.size();
        }
      }
      parent_id = id;
    }
    Json tags = Json::array();
    for (const std::string& t : image.repo_tags) {
      absl::StatusOr<Reference> ref = Reference::Parse(t);
      if (!ref.ok()) return base::Annotate(ref.status(), what);
      if (ref->tag.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(what, ": repo tag `", t, "` has no tag"));
      }
      std::string familiar = ref->Familiar();
      tags.push_back(familiar);
      // `repositories` maps the familiar name (without the tag) to tag -> top layer ID.
      std::string suffix = absl::StrCat(":", ref->tag);
      std::string name = absl::EndsWith(familiar, suffix)
                             ? familiar.substr(0, familiar.size() - suffix.size())
                             : familiar;
      if (!parent_id.empty()) repositories[name][ref->tag] = parent_id;
    }
    Json entry = {{"Config", config_name}, {"Layers", layer_paths}};
    entry["RepoTags"] = tags.empty() ? Json(nullptr) : tags;
    manifest_json.push_back(entry);
  }
  entries["manifest.json"].content = manifest_json.dump();
  entries["manifest.json"].size = entries["manifest.json"].content.size();
  if (!repositories.empty()) {
    entries["repositories"].content = repositories.dump();
    entries["repositories"].size = entries["repositories"].content.size();
  }

  // Write beside the destination, then rename: a reader never sees half an archive.
  absl::BitGen gen;
  std::string temp = absl::StrFormat("%s.tmp-%d-%016x", path, ::getpid(), absl::Uniform<uint64_t>(gen));
  absl::Status written;
  {
    ASSIGN_OR_RETURN(base::ScopedFd fd, env->Open(temp, O_WRONLY | O_CREAT | O_EXCL, 0644));
    written = WriteTar(env, entries, options.mtime, fd.get(), path);
    if (written.ok() && ::fsync(fd.get()) != 0) {
      written = base::ErrnoError(errno, absl::StrCat("fsync `", temp, "`"));
    }
  }
  if (written.ok()) written = env->Rename(temp, path);
  if (!written.ok()) {
    env->Remove(temp).IgnoreError();
    return written;
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadedImage> ReadDockerArchive(const std::string& path, absl::string_view tag,
                                              Layout& layout, const DockerArchiveOptions& options) {
  base::Env* env = options.env != nullptr ? options.env : base::Env::Default();
  std::string what = absl::StrCat("reading docker archive `", path, "`");

  // Pass 1: the member table and manifest.json.
  std::map<std::string, Member> members;
  std::string manifest_text;
  bool have_manifest = false;
  {
    base::ScopedFd fd;
    ASSIGN_OR_RETURN(auto a, OpenArchive(env, path, fd));
    struct archive_entry* entry;
    int r;
    while ((r = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
      const char* raw = archive_entry_pathname(entry);
      absl::StatusOr<std::string> name = CleanMemberName(raw ? raw : "");
      if (!name.ok()) return base::Annotate(name.status(), what);
      Member m;
      m.type = archive_entry_filetype(entry);
      m.size = archive_entry_size(entry);
      if (const char* hl = archive_entry_hardlink(entry)) m.link = hl;
      if (m.type == AE_IFLNK) {
        const char* sl = archive_entry_symlink(entry);
        m.link = sl ? sl : "";
      }
      if (*name == "manifest.json" && m.type == AE_IFREG && m.link.empty()) {
        ASSIGN_OR_RETURN(manifest_text, ReadMemberData(a.get(), *name));
        have_manifest = true;
      }
      members[*name] = m;
    }
    if (r != ARCHIVE_EOF) return ArchiveError(a.get(), what);
  }
  if (!have_manifest) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": no manifest.json (archives from before Docker 1.10 are not supported)"));
  }
  Json doc = Json::parse(manifest_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": manifest.json is not valid JSON"));
  }
  if (!doc.is_array() || doc.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": manifest.json must be a non-empty array of images, got ", doc.dump()));
  }
  std::vector<SaveEntry> saved;
  for (size_t i = 0; i < doc.size(); ++i) {
    const Json& e = doc[i];
    std::string where = absl::StrCat(what, ": manifest.json[", i, "]");
    if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected an object with a Config string"));
    }
    SaveEntry s;
    s.config = e["Config"].get<std::string>();
    ASSIGN_OR_RETURN(s.layers, StringList(e.contains("Layers") ? e["Layers"] : Json(),
                                          absl::StrCat(where, ".Layers")));
    ASSIGN_OR_RETURN(s.repo_tags, StringList(e.contains("RepoTags") ? e["RepoTags"] : Json(),
                                             absl::StrCat(where, ".RepoTags")));
    saved.push_back(std::move(s));
  }
  const SaveEntry* chosen = nullptr;
  if (tag.empty()) {
    if (saved.size() != 1) {
      std::vector<std::string> all;
      for (const SaveEntry& s : saved) all.insert(all.end(), s.repo_tags.begin(), s.repo_tags.end());
      return absl::InvalidArgumentError(absl::StrCat(what, ": it holds ", saved.size(),
                                                     " images; name one (", absl::StrJoin(all, ", "),
                                                     ")"));
    }
    chosen = &saved[0];
  } else {
    absl::StatusOr<Reference> want = Reference::Parse(tag);
    if (!want.ok()) return base::Annotate(want.status(), what);
    for (const SaveEntry& s : saved) {
      if (TagMatches(s.repo_tags, *want)) {
        chosen = &s;
        break;
      }
    }
    if (chosen == nullptr) {
      return absl::NotFoundError(absl::StrCat(what, ": no image tagged `", tag, "`"));
    }
  }

  // Which members hold the config and the layers.
  ASSIGN_OR_RETURN(std::string config_member, ResolveMember(members, path, chosen->config));
  std::vector<std::string> layer_members;
  for (const std::string& l : chosen->layers) {
    absl::StatusOr<std::string> m = ResolveMember(members, path, l);
    if (!m.ok()) return base::Annotate(m.status(), what);
    layer_members.push_back(*m);
  }
  std::set<std::string> wanted_layers(layer_members.begin(), layer_members.end());

  // Pass 2: stream the wanted members into the layout.
  std::string config_bytes;
  bool have_config = false;
  struct Stored {
    Descriptor descriptor;
    Compression compression = Compression::kNone;
  };
  std::map<std::string, Stored> stored;
  {
    base::ScopedFd fd;
    ASSIGN_OR_RETURN(auto a, OpenArchive(env, path, fd));
    struct archive_entry* entry;
    int r;
    std::vector<char> buf(kChunk);
    while ((r = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
      const char* raw = archive_entry_pathname(entry);
      ASSIGN_OR_RETURN(std::string name, CleanMemberName(raw ? raw : ""));
      if (name == config_member && !have_config) {
        ASSIGN_OR_RETURN(config_bytes, ReadMemberData(a.get(), name));
        have_config = true;
      }
      if (wanted_layers.count(name) == 0 || stored.count(name) > 0) continue;
      ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, layout.NewBlobWriter());
      std::string head;
      while (true) {
        la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
        if (n < 0) return ArchiveError(a.get(), absl::StrCat(what, ": member `", name, "`"));
        if (n == 0) break;
        if (head.size() < 4) head.append(buf.data(), std::min<size_t>(n, 4 - head.size()));
        RETURN_IF_ERROR(writer->Write(absl::string_view(buf.data(), n)));
      }
      Stored s;
      s.compression = Sniff(head);
      s.descriptor.size = writer->size();
      s.descriptor.media_type = std::string(OciLayerMediaType(s.compression));
      ASSIGN_OR_RETURN(s.descriptor.digest, writer->Commit(Digest()));
      stored[name] = s;
    }
    if (r != ARCHIVE_EOF) return ArchiveError(a.get(), what);
  }
  if (!have_config) {
    return absl::NotFoundError(absl::StrCat(what, ": config member `", config_member, "` is missing"));
  }
  absl::StatusOr<ImageConfig> config = ImageConfig::Parse(config_bytes);
  if (!config.ok()) {
    return base::Annotate(config.status(), absl::StrCat(what, ": config `", config_member, "`"));
  }
  if (config->diff_ids.size() != layer_members.size()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": the config lists ",
                                                   config->diff_ids.size(), " diff_ids but ",
                                                   layer_members.size(), " layers are listed"));
  }
  Manifest manifest;
  manifest.media_type = std::string(kOciManifest);
  ASSIGN_OR_RETURN(manifest.config, layout.WriteBlob(config_bytes, kOciConfig));
  for (size_t i = 0; i < layer_members.size(); ++i) {
    auto it = stored.find(layer_members[i]);
    if (it == stored.end()) {
      return absl::NotFoundError(
          absl::StrCat(what, ": layer member `", layer_members[i], "` has no data"));
    }
    const Descriptor& layer = it->second.descriptor;
    ASSIGN_OR_RETURN(Digest diff_id, LayerDiffId(layout, layer));
    if (diff_id != config->diff_ids[i]) {
      return absl::DataLossError(absl::StrCat(what, ": layer `", layer_members[i], "` has diff_id ",
                                              diff_id.str(), ", but the config says ",
                                              config->diff_ids[i].str()));
    }
    manifest.layers.push_back(layer);
  }
  LoadedImage out;
  out.config = manifest.config.digest;
  out.repo_tags = chosen->repo_tags;
  ASSIGN_OR_RETURN(out.manifest, layout.WriteBlob(manifest.Encode(), kOciManifest));
  return out;
}

}  // namespace oci
