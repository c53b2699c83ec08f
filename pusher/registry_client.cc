#include "pusher/registry_client.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "oci/manifest.h"
#include "oci/media_types.h"
#include "pusher/errors.h"

namespace pusher {
namespace {

const std::string& AcceptManifests() {
  static const std::string* accept = new std::string(absl::StrCat(
      oci::kOciManifest, ", ", oci::kOciIndex, ", ", oci::kDockerManifest, ", ",
      oci::kDockerManifestList));
  return *accept;
}

std::string HostWithoutPort(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    size_t close = host.find(']');
    return std::string(host.substr(1, close == absl::string_view::npos ? host.size() : close - 1));
  }
  size_t colon = host.find(':');
  if (colon != absl::string_view::npos && host.find(':', colon + 1) == absl::string_view::npos) {
    return std::string(host.substr(0, colon));
  }
  return std::string(host);
}

// "0-1234" -> 1235 (the next offset); -1 when absent or malformed. The reference registry
// answers "0-0" both for an empty upload and for one byte; chunks are never one byte, so "0-0"
// means nothing was received (at worst one byte is sent again and the session restarts).
int64_t NextOffsetFromRange(absl::string_view range) {
  absl::ConsumePrefix(&range, "bytes=");
  if (range == "0-0") return 0;
  size_t dash = range.find('-');
  int64_t end = 0;
  if (dash == absl::string_view::npos || !absl::SimpleAtoi(range.substr(dash + 1), &end)) {
    return -1;
  }
  return end + 1;
}

// The URL in a Link header with rel="next", or "".
std::string NextLink(const std::string& link) {
  for (absl::string_view part : absl::StrSplit(link, ',')) {
    if (!absl::StrContains(part, "rel=\"next\"") && !absl::StrContains(part, "rel=next")) continue;
    size_t open = part.find('<');
    size_t close = part.find('>');
    if (open != absl::string_view::npos && close != absl::string_view::npos && close > open) {
      return std::string(part.substr(open + 1, close - open - 1));
    }
  }
  return "";
}

}  // namespace

std::string RepoScope(absl::string_view repo, absl::string_view actions) {
  return absl::StrCat("repository:", repo, ":", actions);
}

bool IsLoopbackHost(absl::string_view host) {
  std::string h = HostWithoutPort(host);
  return h == "localhost" || h == "::1" || absl::StartsWith(h, "127.");
}

oci::Descriptor ManifestBlob::descriptor() const {
  oci::Descriptor d;
  d.media_type = media_type;
  d.digest = digest;
  d.size = static_cast<int64_t>(bytes.size());
  return d;
}

Registry::Registry(std::string host, RegistryOptions options)
    : host_(std::move(host)),
      api_host_(host_ == "docker.io" ? "registry-1.docker.io" : host_),
      options_(std::move(options)) {
  if (!options_.sleep) options_.sleep = [](absl::Duration d) { absl::SleepFor(d); };
}

void Registry::Pause(int attempt) { options_.sleep(options_.resume_delay * attempt); }

absl::Status Registry::Ping(bool authenticate) {
  // One probe at a time: concurrent transfers wait for the first to learn the scheme.
  absl::MutexLock ping_lock(&ping_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (!base_url_.empty() && !authenticate) return absl::OkStatus();
  }
  std::vector<std::string> schemes;
  if (!options_.scheme.empty()) {
    schemes.push_back(options_.scheme);
  } else if (IsLoopbackHost(host_)) {
    // Loopback: plain http first (a TLS server answers it at once with 400), then https. Probing
    // https first would cost a CA-bundle load and a handshake on every run against a local
    // plain-http registry.
    schemes = {"http", "https"};
  } else {
    schemes.push_back("https");
    if (options_.insecure_registries.count(host_) > 0 ||
        options_.insecure_registries.count(HostWithoutPort(host_)) > 0) {
      schemes.push_back("http");
    }
  }
  absl::Status last;
  for (size_t i = 0; i < schemes.size(); ++i) {
    const std::string& scheme = schemes[i];
    const bool has_fallback = i + 1 < schemes.size();
    HttpRequest req;
    req.url = absl::StrCat(scheme, "://", api_host_, "/v2/");
    req.authenticate = authenticate;
    // With another scheme to try, a failing probe is not worth retrying.
    req.retryable = !has_fallback;
    absl::StatusOr<HttpResponse> resp = options_.transport->RoundTrip(req);
    if (!resp.ok()) {
      last = resp.status();
      continue;
    }
    if (resp->status == 200 || (resp->status == 401 && !authenticate)) {
      absl::MutexLock lock(&mu_);
      base_url_ = absl::StrCat(scheme, "://", api_host_);
      return absl::OkStatus();
    }
    last = RegistryError(absl::StrCat("GET `", req.url, "`"), *resp);
    // Plain http to a TLS port gets 400 ("client sent an HTTP request to an HTTPS server").
    if (has_fallback && resp->status == 400) continue;
    return last;
  }
  return base::Annotate(last, absl::StrCat("reaching registry `", host_, "`"));
}

absl::StatusOr<std::string> Registry::BaseUrl() {
  {
    absl::MutexLock lock(&mu_);
    if (!base_url_.empty()) return base_url_;
  }
  RETURN_IF_ERROR(Ping());
  absl::MutexLock lock(&mu_);
  return base_url_;
}

std::string Registry::Describe() {
  absl::StatusOr<std::string> base = BaseUrl();
  return base.ok() ? *base : host_;
}

absl::StatusOr<std::string> Registry::Url(absl::string_view path) {
  ASSIGN_OR_RETURN(std::string base, BaseUrl());
  return absl::StrCat(base, path);
}

std::string Registry::Resolve(absl::string_view location) {
  if (absl::StartsWith(location, "http://") || absl::StartsWith(location, "https://")) {
    return std::string(location);
  }
  absl::MutexLock lock(&mu_);
  return absl::StrCat(base_url_, absl::StartsWith(location, "/") ? "" : "/", location);
}

absl::StatusOr<HttpResponse> Registry::Send(HttpRequest request) {
  return options_.transport->RoundTrip(request);
}

absl::StatusOr<std::optional<int64_t>> Registry::BlobSize(const std::string& repo,
                                                          const oci::Digest& digest) {
  HttpRequest req;
  req.method = "HEAD";
  ASSIGN_OR_RETURN(req.url, Url(absl::StrCat("/v2/", repo, "/blobs/", digest.str())));
  req.scopes = {RepoScope(repo, "pull")};
  ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  if (resp.status == 404) return std::optional<int64_t>();
  if (!resp.ok()) return RegistryError(absl::StrCat("HEAD `", RedactUrl(req.url), "`"), resp);
  int64_t size = -1;
  absl::SimpleAtoi(resp.Header("content-length"), &size);
  return std::optional<int64_t>(size);
}

absl::Status Registry::FetchBlob(const std::string& repo, const oci::Digest& digest, int64_t size,
                                 const std::function<absl::Status(absl::string_view)>& write,
                                 const ProgressFn& progress, bool verify_digest) {
  ASSIGN_OR_RETURN(std::string url, Url(absl::StrCat("/v2/", repo, "/blobs/", digest.str())));
  const std::string what = absl::StrCat("fetching blob ", digest.str(), " from `", host_, "/",
                                        repo, "`");
  oci::Sha256 hasher;
  int64_t received = 0;
  for (int attempt = 0;; ++attempt) {
    HttpRequest req;
    req.url = url;
    req.scopes = {RepoScope(repo, "pull")};
    const bool ranged = received > 0;
    if (ranged) req.headers.emplace_back("Range", absl::StrCat("bytes=", received, "-"));
    int64_t skip = 0;  // bytes to drop when a server answers a Range request with the whole blob
    req.on_body_start = [&](int status, const Headers&) {
      skip = (ranged && status == 200) ? received : 0;
      return absl::OkStatus();
    };
    req.response_sink = [&](absl::string_view data) -> absl::Status {
      if (skip > 0) {
        size_t n = static_cast<size_t>(std::min<int64_t>(skip, data.size()));
        data.remove_prefix(n);
        skip -= n;
        if (data.empty()) return absl::OkStatus();
      }
      if (size >= 0 && received + static_cast<int64_t>(data.size()) > size) {
        return absl::DataLossError(absl::StrCat("the registry sent more than the expected ",
                                                size, " bytes"));
      }
      if (verify_digest) hasher.Update(data);
      received += data.size();
      if (progress) progress(received, size);
      return write(data);
    };
    absl::StatusOr<HttpResponse> resp = Send(req);
    if (resp.ok() && !resp->ok()) {
      absl::Status err = RegistryError(absl::StrCat("GET `", RedactUrl(req.url), "`"), *resp);
      if (IsRetryable(err) && attempt < options_.max_download_resumes) {
        Pause(attempt + 1);
        continue;
      }
      return base::Annotate(err, what);
    }
    if (!resp.ok()) {
      if (!IsRetryable(resp.status()) || attempt >= options_.max_download_resumes) {
        return base::Annotate(resp.status(), what);
      }
      Pause(attempt + 1);
      continue;  // resume from `received`
    }
    break;
  }
  if (size >= 0 && received != size) {
    return absl::DataLossError(
        absl::StrCat(what, ": got ", received, " bytes, the descriptor says ", size));
  }
  if (!verify_digest) return absl::OkStatus();
  oci::Digest got = hasher.Finish();
  if (got != digest) {
    return absl::DataLossError(absl::StrCat(what, ": content hashes to ", got.str(),
                                            ", not the requested digest; nothing was kept"));
  }
  return absl::OkStatus();
}

absl::StatusOr<UploadOutcome> Registry::PushBlob(const std::string& repo,
                                                 const oci::Descriptor& blob,
                                                 const BlobOpener& open,
                                                 const std::string& mount_from,
                                                 const ProgressFn& progress) {
  const std::string what = absl::StrCat("pushing blob ", blob.digest.str(), " to `", host_, "/",
                                        repo, "`");
  absl::Status last;
  for (int restart = 0; restart <= options_.max_upload_restarts; ++restart) {
    if (restart > 0) Pause(restart);
    absl::StatusOr<std::optional<int64_t>> have = BlobSize(repo, blob.digest);
    if (!have.ok()) {
      last = have.status();
      if (IsRetryable(last)) continue;
      return base::Annotate(last, what);
    }
    if (have->has_value()) {
      if (progress) progress(blob.size, blob.size);
      return UploadOutcome::kExisted;
    }
    HttpRequest start;
    start.method = "POST";
    std::string path = absl::StrCat("/v2/", repo, "/blobs/uploads/");
    start.scopes = {RepoScope(repo, "pull,push")};
    const bool mount = !mount_from.empty() && mount_from != repo && restart == 0;
    if (mount) {
      absl::StrAppend(&path, "?mount=", blob.digest.str(), "&from=", mount_from);
      start.scopes.push_back(RepoScope(mount_from, "pull"));
    }
    ASSIGN_OR_RETURN(start.url, Url(path));
    absl::StatusOr<HttpResponse> resp = Send(start);
    if (!resp.ok()) {
      last = resp.status();
      if (IsRetryable(last)) continue;
      return base::Annotate(last, what);
    }
    if (mount && resp->status == 201) {
      if (progress) progress(blob.size, blob.size);
      return UploadOutcome::kMounted;
    }
    if (resp->status != 202) {
      last = RegistryError(absl::StrCat("POST `", RedactUrl(start.url), "`"), *resp);
      if (IsRetryable(last)) continue;
      return base::Annotate(last, what);
    }
    std::string location = resp->Header("location");
    if (location.empty()) {
      return absl::UnavailableError(
          absl::StrCat(what, ": the registry started an upload without a Location"));
    }
    absl::StatusOr<UploadOutcome> done = UploadOnce(repo, blob, open, Resolve(location), progress);
    if (done.ok()) return done;
    last = done.status();
    if (!IsRetryable(last) && last.code() != absl::StatusCode::kOutOfRange &&
        last.code() != absl::StatusCode::kNotFound) {
      return base::Annotate(last, what);
    }
  }
  return base::Annotate(last, absl::StrCat(what, " (gave up after ",
                                           options_.max_upload_restarts + 1, " sessions)"));
}

absl::StatusOr<UploadOutcome> Registry::UploadOnce(const std::string& repo,
                                                   const oci::Descriptor& blob,
                                                   const BlobOpener& open, std::string location,
                                                   const ProgressFn& progress) {
  const std::vector<std::string> scopes = {RepoScope(repo, "pull,push")};
  auto with_digest = [&blob](const std::string& loc) {
    return absl::StrCat(loc, loc.find('?') == std::string::npos ? "?" : "&",
                        "digest=", blob.digest.str());
  };
  auto finish = [&](const HttpResponse& resp, const std::string& url) -> absl::Status {
    if (resp.status != 201 && resp.status != 204 && resp.status != 200) {
      return RegistryError(absl::StrCat("PUT `", RedactUrl(url), "`"), resp);
    }
    std::string got = resp.Header("docker-content-digest");
    if (!got.empty() && got != blob.digest.str()) {
      return absl::DataLossError(absl::StrCat("the registry stored digest ", got, " for ",
                                              blob.digest.str()));
    }
    return absl::OkStatus();
  };

  if (blob.size <= options_.monolithic_limit) {
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, open(0, blob.size));
    HttpRequest put;
    put.method = "PUT";
    put.url = with_digest(location);
    put.scopes = scopes;
    put.retryable = false;
    put.body_source = source.get();
    put.headers.emplace_back("Content-Type", "application/octet-stream");
    if (progress) put.progress = progress;
    ASSIGN_OR_RETURN(HttpResponse resp, Send(put));
    RETURN_IF_ERROR(finish(resp, put.url));
    if (progress) progress(blob.size, blob.size);
    return UploadOutcome::kUploaded;
  }

  int64_t offset = 0;
  int failures = 0;
  while (offset < blob.size) {
    const int64_t length = std::min(options_.chunk_size, blob.size - offset);
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, open(offset, length));
    HttpRequest patch;
    patch.method = "PATCH";
    patch.url = location;
    patch.scopes = scopes;
    patch.retryable = false;
    patch.body_source = source.get();
    patch.headers.emplace_back("Content-Type", "application/octet-stream");
    patch.headers.emplace_back("Content-Range",
                               absl::StrCat(offset, "-", offset + length - 1));
    const int64_t base = offset;
    if (progress) {
      patch.progress = [&progress, base, &blob](int64_t done, int64_t) {
        progress(base + done, blob.size);
      };
    }
    absl::StatusOr<HttpResponse> resp = Send(patch);
    if (resp.ok() && resp->status == 202) {
      std::string next = resp->Header("location");
      if (!next.empty()) location = Resolve(next);
      int64_t reported = NextOffsetFromRange(resp->Header("range"));
      offset = reported >= 0 ? reported : offset + length;
      continue;
    }
    absl::Status err = resp.ok() ? RegistryError(absl::StrCat("PATCH `", RedactUrl(location), "`"),
                                                 *resp)
                                 : resp.status();
    if (!IsRetryable(err) || ++failures > options_.max_download_resumes) return err;
    // Ask the registry how much it kept and continue from there.
    Pause(failures);
    HttpRequest status;
    status.url = location;
    status.scopes = scopes;
    ASSIGN_OR_RETURN(HttpResponse st, Send(status));
    if (st.status != 204 && st.status != 200) {
      return RegistryError(absl::StrCat("GET `", RedactUrl(location), "`"), st);
    }
    std::string next = st.Header("location");
    if (!next.empty()) location = Resolve(next);
    int64_t reported = NextOffsetFromRange(st.Header("range"));
    offset = reported >= 0 ? reported : 0;
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = with_digest(location);
  put.scopes = scopes;
  put.headers.emplace_back("Content-Type", "application/octet-stream");
  ASSIGN_OR_RETURN(HttpResponse resp, Send(put));
  RETURN_IF_ERROR(finish(resp, put.url));
  return UploadOutcome::kUploaded;
}

absl::StatusOr<ManifestBlob> Registry::GetManifest(const std::string& repo,
                                                   const std::string& reference) {
  HttpRequest req;
  ASSIGN_OR_RETURN(req.url, Url(absl::StrCat("/v2/", repo, "/manifests/", reference)));
  req.scopes = {RepoScope(repo, "pull")};
  req.headers.emplace_back("Accept", AcceptManifests());
  ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  const std::string what = absl::StrCat("GET `", RedactUrl(req.url), "`");
  if (!resp.ok()) return RegistryError(what, resp);
  ManifestBlob m;
  m.bytes = std::move(resp.body);
  m.digest = oci::Digest::Of(m.bytes);
  std::string type = resp.Header("content-type");
  type = std::string(absl::StripAsciiWhitespace(type.substr(0, type.find(';'))));
  if (type.empty() || type == "application/json" || type == "text/plain") {
    absl::StatusOr<std::string> sniffed = oci::SniffMediaType(m.bytes);
    if (!sniffed.ok()) return base::Annotate(sniffed.status(), what);
    type = *sniffed;
  }
  m.media_type = type;
  if (absl::StartsWith(reference, "sha256:") && m.digest.str() != reference) {
    return absl::DataLossError(absl::StrCat(what, ": the manifest hashes to ", m.digest.str()));
  }
  return m;
}

absl::StatusOr<oci::Descriptor> Registry::HeadManifest(const std::string& repo,
                                                       const std::string& reference) {
  HttpRequest req;
  req.method = "HEAD";
  ASSIGN_OR_RETURN(req.url, Url(absl::StrCat("/v2/", repo, "/manifests/", reference)));
  req.scopes = {RepoScope(repo, "pull")};
  req.headers.emplace_back("Accept", AcceptManifests());
  ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  const std::string what = absl::StrCat("HEAD `", RedactUrl(req.url), "`");
  if (!resp.ok()) return RegistryError(what, resp);
  oci::Descriptor d;
  std::string digest = resp.Header("docker-content-digest");
  if (digest.empty()) {
    // Some registries omit it on HEAD; fall back to GET.
    ASSIGN_OR_RETURN(ManifestBlob m, GetManifest(repo, reference));
    return m.descriptor();
  }
  ASSIGN_OR_RETURN(d.digest, oci::Digest::Parse(digest));
  std::string type = resp.Header("content-type");
  d.media_type = std::string(absl::StripAsciiWhitespace(type.substr(0, type.find(';'))));
  absl::SimpleAtoi(resp.Header("content-length"), &d.size);
  return d;
}

absl::Status Registry::PutManifest(const std::string& repo, const std::string& reference,
                                   const ManifestBlob& manifest) {
  HttpRequest req;
  req.method = "PUT";
  ASSIGN_OR_RETURN(req.url, Url(absl::StrCat("/v2/", repo, "/manifests/", reference)));
  req.scopes = {RepoScope(repo, "pull,push")};
  req.headers.emplace_back("Content-Type", manifest.media_type);
  req.body = manifest.bytes;
  ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
  if (resp.status != 201 && resp.status != 200 && resp.status != 202) {
    return RegistryError(absl::StrCat("PUT `", RedactUrl(req.url), "`"), resp);
  }
  std::string got = resp.Header("docker-content-digest");
  if (!got.empty() && got != manifest.digest.str()) {
    return absl::DataLossError(absl::StrCat("PUT `", RedactUrl(req.url), "`: the registry says ",
                                            got, ", we sent ", manifest.digest.str()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Registry::ListPaged(
    const std::string& first_path, const std::string& key,
    const std::vector<std::string>& scopes) {
  std::vector<std::string> out;
  ASSIGN_OR_RETURN(std::string url, Url(first_path));
  for (int page = 0; page < 100000 && !url.empty(); ++page) {
    HttpRequest req;
    req.url = url;
    req.scopes = scopes;
    ASSIGN_OR_RETURN(HttpResponse resp, Send(req));
    if (!resp.ok()) return RegistryError(absl::StrCat("GET `", RedactUrl(url), "`"), resp);
    nlohmann::json doc = nlohmann::json::parse(resp.body, nullptr, false);
    if (!doc.is_object()) {
      return absl::UnavailableError(
          absl::StrCat("GET `", RedactUrl(url), "`: the answer is not a JSON object"));
    }
    if (doc.contains(key) && doc[key].is_array()) {
      for (const auto& v : doc[key]) {
        if (v.is_string()) out.push_back(v.get<std::string>());
      }
    }
    std::string next = NextLink(resp.Header("link"));
    url = next.empty() ? "" : Resolve(next);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> Registry::ListTags(const std::string& repo) {
  const std::string n =
      options_.list_page_size > 0 ? absl::StrCat("?n=", options_.list_page_size) : "";
  return ListPaged(absl::StrCat("/v2/", repo, "/tags/list", n), "tags", {RepoScope(repo, "pull")});
}

absl::StatusOr<std::vector<std::string>> Registry::Catalog() {
  const std::string n =
      options_.list_page_size > 0 ? absl::StrCat("?n=", options_.list_page_size) : "";
  return ListPaged(absl::StrCat("/v2/_catalog", n), "repositories", {"registry:catalog:*"});
}

}  // namespace pusher
