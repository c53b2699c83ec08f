// Cache keys of a layer graph's nodes, derived on demand from the inputs BuildGraph recorded.
//
// A node's key is sha256 over a length-prefixed serialisation of its parent key (the key of the
// previous node in the stage, "" for a FROM), its expanded instruction, its build args, its context
// paths, its stage keys (the keys of the final nodes of the stages it reads) and the digest of its
// context files' contents when a context hasher is given. The serialisation is part of the cache's
// format: changing it changes every key.
//
// ComputeKeys is thread-safe if the hasher is. Keys is immutable once computed and does not refer
// to the graph.
#ifndef SLIPWAY_BUILDER_GRAPH_KEYS_H_
#define SLIPWAY_BUILDER_GRAPH_KEYS_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "builder/graph/graph.h"

namespace builder::graph {

// Returns a digest (e.g. "sha256:...") of the context files matching `paths` (patterns, with
// `!pattern` excludes, after .dockerignore), including modes, owners and link targets.
using ContextHasher =
    std::function<absl::StatusOr<std::string>(absl::Span<const absl::string_view> paths)>;

// Every node's key and context digest, by node id.
class Keys {
 public:
  static constexpr size_t kKeySize = 7 + 64;  // "sha256:" and 64 hex digits

  Keys() = default;  // the keys of an empty graph

  // "sha256:<hex>" of node `id`.
  absl::string_view key(int id) const {
    return absl::string_view(keys_.get() + static_cast<size_t>(id) * kKeySize, kKeySize);
  }
  // What the context hasher returned for node `id`'s context paths; "" if there was no hasher or
  // the node reads no context paths.
  absl::string_view context_digest(int id) const {
    return context_digests_.empty() ? absl::string_view() : context_digests_[id];
  }
  int size() const { return size_; }

 private:
  friend absl::StatusOr<Keys> ComputeKeys(const Graph& g, const ContextHasher& hasher);

  int size_ = 0;
  std::unique_ptr<char[]> keys_;              // kKeySize bytes per node
  std::vector<std::string> context_digests_;  // empty without a hasher
};

// The keys of `g`'s nodes. With `hasher`, each node that reads context paths gets their digest
// into its key (the hasher reads files); its errors come back with the Dockerfile line.
absl::StatusOr<Keys> ComputeKeys(const Graph& g, const ContextHasher& hasher = nullptr);

}  // namespace builder::graph

#endif  // SLIPWAY_BUILDER_GRAPH_KEYS_H_
