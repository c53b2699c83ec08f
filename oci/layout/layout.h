// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`): slipway's
// content-addressed store. The local store (`local:NAME[:TAG]`, $XDG_DATA_HOME/slipway) is one of these.
//
// Guarantees:
//  - Blob writes are atomic: bytes go to a temp file under `blobs/.ingest/`, are fsynced and renamed
//    to `blobs/sha256/<hex>` only once their digest is known (and matches, if one was expected). A
//    crash leaves at most a stale temp file, never a wrong or partial blob behind a digest name.
//  - Blobs are verified on read: ReadBlob hashes what it reads, and a BlobReader reports DataLoss at
//    end of stream if the bytes do not match their name.
//  - index.json is changed under an exclusive flock on `<dir>/.lock` by read-modify-write and atomic
//    rename, so two processes tagging at once both land.
//  - Tags are `org.opencontainers.image.ref.name` annotations on index.json entries.
//  - Writers and the garbage collector exclude each other across processes: a Layout object that
//    writes (a blob, a tag, a copied blob) first takes a SHARED flock on `<dir>/.writers` and holds
//    it until the object is destroyed, and GarbageCollect takes it EXCLUSIVELY without waiting, so
//    it never removes the blobs another process has committed but not tagged yet. Readers take
//    nothing, so a long `slipway run` does not keep `slipway prune` out.
// A Layout object is thread-safe.
#ifndef SLIPWAY_OCI_LAYOUT_LAYOUT_H_
#define SLIPWAY_OCI_LAYOUT_LAYOUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/env.h"
#include "oci/byte_sink.h"
#include "oci/descriptor.h"
#include "oci/digest.h"
#include "oci/image_config.h"
#include "oci/manifest.h"

namespace oci {

// ByteSink (where streamed bytes go) lives in oci/byte_sink.h.

// Streams one blob into a layout. Destroying it without Commit discards the temp file.
class BlobWriter : public ByteSink {
 public:
  ~BlobWriter() override = default;
  // Bytes written so far.
  virtual int64_t size() const = 0;
  // Finishes the blob: fsync, verify against `expected` when it is not empty (DataLoss on mismatch,
  // and nothing is kept), rename into place. Returns the blob's digest.
  virtual absl::StatusOr<Digest> Commit(const Digest& expected = Digest()) = 0;
};

// Reads one blob, hashing as it goes; Read returns DataLoss at end of stream on a mismatch.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Reads up to `size` bytes; 0 at end of blob.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t size) = 0;
  virtual int64_t size() const = 0;
};

struct LayoutOptions {
  // Filesystem access. Default: base::Env::Default(). Not owned.
  base::Env* env = nullptr;
  // Create the layout (oci-layout + empty index.json) if the directory has none. Default: true.
  bool create = true;
};

struct GcStats {
  int blobs_removed = 0;
  int64_t bytes_removed = 0;
};

class Layout {
 public:
  static absl::StatusOr<std::unique_ptr<Layout>> Open(const std::string& dir,
                                                      LayoutOptions options = {});
  virtual ~Layout() = default;

  virtual const std::string& dir() const = 0;
  virtual std::string BlobPath(const Digest& digest) const = 0;
  virtual bool HasBlob(const Digest& digest) const = 0;

  // Writes a whole blob from memory and returns its descriptor (digest, size, media_type).
  virtual absl::StatusOr<Descriptor> WriteBlob(absl::string_view data,
                                               absl::string_view media_type) = 0;
  virtual absl::StatusOr<std::unique_ptr<BlobWriter>> NewBlobWriter() = 0;
  // Makes this object a writer of the layout: takes a shared flock on `<dir>/.writers` (waiting
  // while a GarbageCollect of another process runs) and keeps it until the object is destroyed.
  // NewBlobWriter, WriteBlob, Tag and CopyBlob call it; call it yourself before relying on a blob
  // that HasBlob found and that you will reference without writing it. Idempotent.
  // On a layout this process may not write to (no `.writers` and no right to create it), it
  // takes nothing and succeeds: such a process cannot collect it, and its blob writes fail anyway.
  virtual absl::Status HoldWriterLock() = 0;
  // Reads and verifies a whole blob (for manifests and configs; use OpenBlob for layers).
  virtual absl::StatusOr<std::string> ReadBlob(const Digest& digest) const = 0;
  virtual absl::StatusOr<std::unique_ptr<BlobReader>> OpenBlob(const Digest& digest) const = 0;

  virtual absl::StatusOr<Index> ReadIndex() const = 0;
  // Points `tag` at `manifest` (replacing any entry with the same tag); the descriptor goes into
  // index.json with the ref.name annotation.
  virtual absl::Status Tag(const Descriptor& manifest, absl::string_view tag) = 0;
  virtual absl::Status Untag(absl::string_view tag) = 0;
  // NotFound if no entry has this tag.
  virtual absl::StatusOr<Descriptor> Resolve(absl::string_view tag) const = 0;
  // (tag, descriptor) for every tagged entry, sorted by tag.
  virtual absl::StatusOr<std::vector<std::pair<std::string, Descriptor>>> ListTags() const = 0;
  // Removes every blob not reachable from index.json (through indexes, manifests, configs and
  // layers) and stale ingest files (those whose BlobWriter is gone: a live writer holds a flock on
  // its temp file). Holds the lock, so it never races a Tag. FailedPrecondition, and nothing is
  // removed, when index.json or a reachable index names a media type it cannot walk, or when another
  // Layout object (in any process) holds the writer lock (HoldWriterLock): it does not wait, it
  // fails with "another slipway process is writing to <dir>; try again when it is done". Blobs this
  // object wrote itself but did not tag are collected (its own writer lock is upgraded for the
  // duration, then given back). `blobs_removed` counts blobs; `bytes_removed` also counts stale
  // ingest files.
  virtual absl::StatusOr<GcStats> GarbageCollect() = 0;
};

// An image read from a layout: the manifest as stored, its bytes' descriptor, and its config.
struct ImageRef {
  Descriptor manifest_descriptor;
  Manifest manifest;
  ImageConfig config;
};

// Resolves `tag_or_digest` (a tag, or "sha256:…") to an image manifest, choosing `platform` (default:
// the host's) when it names an index.
absl::StatusOr<ImageRef> ReadImage(const Layout& layout, absl::string_view tag_or_digest,
                                   const Platform* platform = nullptr);

// Writes `config` and then a manifest referencing it and `layers` (which must already be blobs in
// the layout); returns the manifest descriptor. Does not tag.
absl::StatusOr<Descriptor> WriteImage(Layout& layout, const ImageConfig& config,
                                      const std::vector<Descriptor>& layers,
                                      absl::string_view manifest_media_type);

// The directory of the local store: $XDG_DATA_HOME/slipway, else $HOME/.local/share/slipway.
std::string LocalStoreDir();

// Makes `digest` (a blob of `from`) a blob of `to`: a hard link when both are on one filesystem
// (blobs are immutable and named by content), else a verified copy. No-op if `to` has it.
absl::Status CopyBlob(const Layout& from, Layout& to, const Digest& digest);

// Copies an image's layers, config and manifest blobs from `from` into `to` (does not tag).
absl::Status CopyImageBlobs(const Layout& from, Layout& to, const ImageRef& image);

// The index.json tag (ref.name) of `local:NAME[:TAG]` in the local store: "NAME:TAG" (TAG defaults
// to "latest"). A plain registry name found in the local store uses Reference::Familiar().
std::string LocalStoreTag(absl::string_view name, absl::string_view tag);

}  // namespace oci

#endif  // SLIPWAY_OCI_LAYOUT_LAYOUT_H_
