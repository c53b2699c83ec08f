// `slipway layer`: writes one layer blob (tar.gz or tar.zst) from an explicit list of entries, each
// with its in-image path, mode and owner. The Bazel rule `oci_image` uses it for `files`, so that
// modes and owners do not depend on the host checkout (umask, user) and a layer is its own cached
// action. The output is deterministic (oci/tar/layer_writer.h): same list -> same bytes.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/env.h"
#include "base/scoped_fd.h"
#include "base/status_macros.h"
#include "oci/byte_sink.h"
#include "oci/tar/layer_writer.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway layer --entries FILE -o OUT [--compression gzip|zstd]

Writes one image layer (a compressed tar) listing exactly the entries in FILE, one per line, fields
separated by a TAB:

  file     DEST  MODE  UID:GID  SOURCE     a regular file with the contents of host file SOURCE
  dir      DEST  MODE  UID:GID             a directory
  symlink  DEST  MODE  UID:GID  TARGET     a symbolic link to TARGET

DEST is the path in the image ("/usr/bin/app"); MODE is octal ("0755"). Parent folders that are
not listed are added as 0755 0:0. Entries are sorted; mtimes come from SOURCE_DATE_EPOCH (default 0).
Prints the layer's digest and its diff_id (digest of the uncompressed tar) on standard output.

Flags:
  --entries FILE         the entry list (required)
  -o, --output OUT       where to write the layer (required)
  --compression C        gzip (default) or zstd
)";

class FdSink : public oci::ByteSink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  absl::Status Write(absl::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return absl::ErrnoToStatus(errno, "write");
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

 private:
  const int fd_;  // Not owned.
};

absl::StatusOr<oci::LayerEntry> ParseEntry(absl::string_view line, int line_number) {
  const std::string where = absl::StrCat("line ", line_number, ": ");
  std::vector<std::string> fields = absl::StrSplit(line, '\t');
  if (fields.size() < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "expected TYPE<TAB>DEST<TAB>MODE<TAB>UID:GID[<TAB>SOURCE|TARGET]"));
  }
  oci::LayerEntry entry;
  const std::string& type = fields[0];
  size_t want = 5;
  if (type == "file") {
    entry.type = oci::LayerEntry::Type::kFile;
  } else if (type == "dir") {
    entry.type = oci::LayerEntry::Type::kDirectory;
    want = 4;
  } else if (type == "symlink") {
    entry.type = oci::LayerEntry::Type::kSymlink;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "unknown entry type `", type, "` (expected file, dir or symlink)"));
  }
  if (fields.size() != want) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "a `", type, "` entry has ", want, " fields, got ", fields.size()));
  }
  absl::string_view dest = fields[1];
  while (absl::ConsumePrefix(&dest, "/")) {
  }
  while (absl::ConsumeSuffix(&dest, "/")) {
  }
  if (dest.empty()) return absl::InvalidArgumentError(absl::StrCat(where, "empty destination"));
  for (absl::string_view part : absl::StrSplit(dest, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "destination `", fields[1], "` must be a clean path"));
    }
  }
  entry.path = std::string(dest);
  uint32_t mode = 0;
  if (fields[2].empty() || fields[2].size() > 5 ||
      fields[2].find_first_not_of("01234567") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "mode `", fields[2], "` is not an octal number such as 0755"));
  }
  mode = static_cast<uint32_t>(std::stoul(fields[2], nullptr, 8));
  if (mode > 07777) {
    return absl::InvalidArgumentError(absl::StrCat(where, "mode `", fields[2], "` is too large"));
  }
  entry.mode = mode;
  std::vector<std::string> owner = absl::StrSplit(fields[3], ':');
  uint32_t uid = 0, gid = 0;
  if (owner.size() != 2 || !absl::SimpleAtoi(owner[0], &uid) || !absl::SimpleAtoi(owner[1], &gid)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "owner `", fields[3], "` must be numeric UID:GID such as 0:0"));
  }
  entry.uid = uid;
  entry.gid = gid;
  if (entry.type == oci::LayerEntry::Type::kFile) {
    if (fields[4].empty()) return absl::InvalidArgumentError(absl::StrCat(where, "empty SOURCE"));
    entry.source_path = fields[4];
  } else if (entry.type == oci::LayerEntry::Type::kSymlink) {
    if (fields[4].empty()) return absl::InvalidArgumentError(absl::StrCat(where, "empty TARGET"));
    entry.link_target = fields[4];
  }
  return entry;
}

absl::Status Layer(const std::vector<std::string>& args) {
  FlagSet flags;
  std::string entries_path, output, compression = "gzip";
  flags.String("entries", 0, &entries_path);
  flags.String("output", 'o', &output);
  flags.String("compression", 0, &compression);
  ASSIGN_OR_RETURN(std::vector<std::string> positional, flags.Parse(args));
  if (!positional.empty()) {
    return UsageError(absl::StrCat("unexpected argument `", positional[0], "`"));
  }
  if (entries_path.empty()) return UsageError("--entries FILE is required");
  if (output.empty()) return UsageError("-o OUT is required");
  oci::LayerWriterOptions options;
  if (compression == "gzip") {
    options.compression = oci::Compression::kGzip;
  } else if (compression == "zstd") {
    options.compression = oci::Compression::kZstd;
  } else {
    return UsageError(absl::StrCat("--compression `", compression, "`: expected gzip or zstd"));
  }
  ASSIGN_OR_RETURN(options.mtime, oci::SourceDateEpoch());

  base::Env* env = base::Env::Default();
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(entries_path));
  std::map<std::string, oci::LayerEntry> by_path;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (line.empty()) continue;
    absl::StatusOr<oci::LayerEntry> entry = ParseEntry(line, line_number);
    if (!entry.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("`", entries_path, "` ", entry.status().message()));
    }
    if (by_path.count(entry->path) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("`", entries_path, "` line ", line_number,
                                                     ": `/", entry->path, "` is listed twice"));
    }
    std::string path = entry->path;
    by_path.emplace(std::move(path), *std::move(entry));
  }
  // Parent folders nobody listed: root-owned 0755, as a Dockerfile COPY would create them.
  std::vector<oci::LayerEntry> parents;
  for (const auto& [path, entry] : by_path) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      std::string parent = path.substr(0, slash);
      if (by_path.count(parent) != 0) {
        if (by_path.at(parent).type != oci::LayerEntry::Type::kDirectory) {
          return absl::InvalidArgumentError(absl::StrCat(
              "`", entries_path, "`: `/", parent, "` is not a folder but `/", path, "` is in it"));
        }
        continue;
      }
      oci::LayerEntry dir;
      dir.type = oci::LayerEntry::Type::kDirectory;
      dir.path = parent;
      dir.mode = 0755;
      parents.push_back(dir);
    }
  }
  for (oci::LayerEntry& dir : parents) {
    std::string path = dir.path;
    by_path.emplace(std::move(path), std::move(dir));
  }
  std::vector<oci::LayerEntry> entries;
  entries.reserve(by_path.size());
  for (auto& [path, entry] : by_path) entries.push_back(std::move(entry));

  ASSIGN_OR_RETURN(base::ScopedFd fd,
                   env->Open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  FdSink sink(fd.get());
  absl::StatusOr<oci::LayerResult> result = oci::WriteLayer(std::move(entries), options, sink);
  if (!result.ok()) {
    return base::Annotate(result.status(), absl::StrCat("writing layer `", output, "`"));
  }
  if (::fsync(fd.get()) != 0) return absl::ErrnoToStatus(errno, absl::StrCat("fsync `", output, "`"));
  std::cout << result->descriptor.digest.str() << "\n" << result->diff_id.str() << std::endl;
  return absl::OkStatus();
}

int RunLayer(const std::vector<std::string>& args) { return ReportError("layer", Layer(args)); }

}  // namespace

SLIPWAY_COMMAND(layer, "Write one layer from a list of files with modes and owners", kUsage,
                RunLayer);

}  // namespace cli
