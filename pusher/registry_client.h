// Registry: a client for one registry host speaking the OCI distribution API (/v2/): ping and
// scheme discovery, blob HEAD/GET (streamed, verified against the digest, resumed with `Range`
// after a dropped connection), blob upload (one PUT for small blobs, PATCH chunks for large ones,
// resuming from the offset the registry reports, restarting the session when it is lost),
// cross-repository mount, manifests by tag or digest with OCI and Docker Accept types, the tag list
// (following `Link` pagination) and the catalog.
//
// Every request carries the token scopes it needs (`repository:R:pull` or `pull,push`, plus
// `repository:SRC:pull` for mounts), which the auth decorator in the transport stack uses.
// The scheme: https, except that hosts named in `insecure_registries` fall back to plain http when
// https fails, and loopback hosts (localhost, 127.0.0.0/8, ::1) are probed with plain http first
// and then https (a TLS server answers plain http with 400).
// Thread-safe: blobs may be moved by several threads at once.
#ifndef SLIPWAY_PUSHER_REGISTRY_CLIENT_H_
#define SLIPWAY_PUSHER_REGISTRY_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "oci/descriptor.h"
#include "oci/digest.h"
#include "pusher/transport/http.h"

namespace pusher {

struct RegistryOptions {
  // The transport stack (auth over retry over curl, or a fake). Not owned. Required.
  HttpTransport* transport = nullptr;
  // Hosts ("host:port" or "host") that may be spoken to over plain http.
  std::set<std::string> insecure_registries;
  // Force a scheme ("http"/"https") instead of discovering it. Default: discover.
  std::string scheme;
  // Blobs up to this size are uploaded with one PUT; larger ones in PATCH chunks. Default: 32 MiB.
  int64_t monolithic_limit = 32 << 20;
  // Size of each PATCH. Default: 64 MiB.
  int64_t chunk_size = 64 << 20;
  // How often an upload may start a fresh session, and a download resume, after failures.
  int max_upload_restarts = 4;
  int max_download_resumes = 6;
  // Pause before a resume or restart (times the attempt number). Default: 200 ms.
  std::function<void(absl::Duration)> sleep;
  absl::Duration resume_delay = absl::Milliseconds(200);
  // Entries asked for per page of tags/list and _catalog (`?n=`); 0 lets the registry choose.
  // Every page is followed through `Link` either way (docker-registry 2.8 pages the catalog when
  // asked, but always answers tags/list in one page).
  int list_page_size = 0;
};

// A manifest or index exactly as the registry sent it.
struct ManifestBlob {
  std::string bytes;
  std::string media_type;
  oci::Digest digest;  // sha256 of `bytes`
  oci::Descriptor descriptor() const;
};

// Opens `length` bytes of a blob's content starting at `offset`.
using BlobOpener =
    std::function<absl::StatusOr<std::unique_ptr<ByteSource>>(int64_t offset, int64_t length)>;
// (bytes done, total) for one blob.
using ProgressFn = std::function<void(int64_t, int64_t)>;

enum class UploadOutcome { kExisted, kMounted, kUploaded };

class Registry {
 public:
  // `host` as in a reference ("localhost:5000", "docker.io"); docker.io is reached at
  // registry-1.docker.io.
  Registry(std::string host, RegistryOptions options);

  const std::string& host() const { return host_; }
  // Discovers the scheme and the auth challenge (GET /v2/). With `authenticate`, also proves the
  // credentials work (for login): Unauthenticated if the registry still refuses.
  absl::Status Ping(bool authenticate = false);
  // "https://host:port" (pings first if needed).
  absl::StatusOr<std::string> BaseUrl();

  // The blob's size if the repository has it, nullopt if not.
  absl::StatusOr<std::optional<int64_t>> BlobSize(const std::string& repo,
                                                  const oci::Digest& digest);
  // Streams a blob to `write`, resuming after drops, and verifies size (when `size` >= 0) and,
  // unless `verify_digest` is false (the caller hashes what it receives itself, as a layout's
  // BlobWriter does), the digest: DataLoss on mismatch (the caller must discard what it received).
  absl::Status FetchBlob(const std::string& repo, const oci::Digest& digest, int64_t size,
                         const std::function<absl::Status(absl::string_view)>& write,
                         const ProgressFn& progress = nullptr, bool verify_digest = true);
  // Makes sure `repo` has the blob: nothing if it exists, a mount from `mount_from` (same
  // registry) if given and allowed, else an upload from `open`.
  absl::StatusOr<UploadOutcome> PushBlob(const std::string& repo, const oci::Descriptor& blob,
                                         const BlobOpener& open,
                                         const std::string& mount_from = "",
                                         const ProgressFn& progress = nullptr);

  // GET a manifest or index by tag or "sha256:…"; verifies the digest when asked by digest.
  absl::StatusOr<ManifestBlob> GetManifest(const std::string& repo, const std::string& reference);
  // HEAD: the descriptor the registry reports (digest from Docker-Content-Digest).
  absl::StatusOr<oci::Descriptor> HeadManifest(const std::string& repo,
                                               const std::string& reference);
  // PUT under a tag or its digest.
  absl::Status PutManifest(const std::string& repo, const std::string& reference,
                           const ManifestBlob& manifest);

  // All tags, following Link pagination.
  absl::StatusOr<std::vector<std::string>> ListTags(const std::string& repo);
  // All repositories (GET /v2/_catalog), following Link pagination.
  absl::StatusOr<std::vector<std::string>> Catalog();

  // Which endpoint answered (for reports): "http://127.0.0.1:5000".
  std::string Describe();

 private:
  absl::StatusOr<HttpResponse> Send(HttpRequest request);
  absl::StatusOr<std::string> Url(absl::string_view path);
  std::string Resolve(absl::string_view location);
  absl::StatusOr<std::vector<std::string>> ListPaged(const std::string& first_path,
                                                     const std::string& key,
                                                     const std::vector<std::string>& scopes);
  absl::StatusOr<UploadOutcome> UploadOnce(const std::string& repo, const oci::Descriptor& blob,
                                           const BlobOpener& open, std::string location,
                                           const ProgressFn& progress);
  void Pause(int attempt);

  const std::string host_;
  const std::string api_host_;
  RegistryOptions options_;
  absl::Mutex ping_mu_;
  absl::Mutex mu_;
  std::string base_url_ ABSL_GUARDED_BY(mu_);
};

// `repository:NAME:ACTIONS`.
std::string RepoScope(absl::string_view repo, absl::string_view actions);
// True for localhost, 127.0.0.0/8 and ::1 (with or without a port).
bool IsLoopbackHost(absl::string_view host);

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_REGISTRY_CLIENT_H_
