// Removing unused layers from the layer cache (see layer_prune.h).
#include "runner/rootfs/layer_prune.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/status_macros.h"

namespace runner {
namespace {

bool IsLayerName(const std::string& name) {
  if (name.size() != 64) return false;
  for (char c : name) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

// The apparent size of the files under `path` (best effort: what cannot be read counts 0).
int64_t TreeBytes(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) return st.st_size;
  absl::StatusOr<std::vector<std::string>> names = base::Env::Default()->ListDir(path);
  if (!names.ok()) return 0;
  int64_t total = 0;
  for (const std::string& name : *names) total += TreeBytes(absl::StrCat(path, "/", name));
  return total;
}

// Prunes one folder of layers (the cache root or a mapping folder).
absl::Status PruneFolder(const std::string& dir, const std::set<std::string>& keep_hex,
                         LayerPruneStats& stats) {
  base::Env* env = base::Env::Default();
  ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(dir));
  std::set<std::string> present(names.begin(), names.end());
  for (const std::string& name : names) {
    if (!IsLayerName(name) || keep_hex.count(name) > 0) continue;
    std::string layer = absl::StrCat(dir, "/", name);
    std::string lock_path = absl::StrCat(dir, "/.lock-", name);
    ASSIGN_OR_RETURN(base::ScopedFd lock, env->Open(lock_path, O_RDWR | O_CREAT, 0600));
    int r;
    do {
      r = ::flock(lock.get(), LOCK_EX | LOCK_NB);
    } while (r != 0 && errno == EINTR);
    if (r != 0) {
      if (errno != EWOULDBLOCK) return base::ErrnoError(errno, absl::StrCat("flock `", lock_path, "`"));
      stats.skipped.push_back(layer);
      continue;
    }
    int64_t bytes = TreeBytes(layer);
    RETURN_IF_ERROR_CTX(env->RemoveAll(layer), "removing cached layer `", layer, "`");
    stats.layers_removed++;
    stats.bytes_removed += bytes;
    // Leftovers of crashed unpacks of this layer (we hold its lock: nobody is unpacking it).
    std::string tmp_prefix = absl::StrCat(".tmp-", name);
    for (const std::string& other : present) {
      if (!absl::StartsWith(other, tmp_prefix)) continue;
      std::string path = absl::StrCat(dir, "/", other);
      int64_t tmp_bytes = TreeBytes(path);
      RETURN_IF_ERROR_CTX(env->RemoveAll(path), "removing `", path, "`");
      stats.bytes_removed += tmp_bytes;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LayerPruneStats> PruneLayerCache(const std::string& cache_dir,
                                                const std::set<std::string>& keep_hex) {
  LayerPruneStats stats;
  base::Env* env = base::Env::Default();
  if (!env->IsDirectory(cache_dir)) return stats;
  RETURN_IF_ERROR_CTX(PruneFolder(cache_dir, keep_hex, stats), "pruning layer cache `", cache_dir,
                      "`");
  ASSIGN_OR_RETURN(std::vector<std::string> names, env->ListDir(cache_dir));
  for (const std::string& name : names) {
    // Rootless id-mapping folders (IdMappings::Key: "u_…_g_…").
    std::string path = absl::StrCat(cache_dir, "/", name);
    if (!absl::StartsWith(name, "u_") || !env->IsDirectory(path)) continue;
    RETURN_IF_ERROR_CTX(PruneFolder(path, keep_hex, stats), "pruning layer cache `", path, "`");
  }
  return stats;
}

}  // namespace runner
