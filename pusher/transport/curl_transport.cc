#include "pusher/transport/curl_transport.h"

#include <curl/curl.h>
#include <dirent.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "third_party/lazy/lazy_curl.h"

namespace pusher {
namespace {

constexpr size_t kMaxErrorBody = 1 << 20;

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> ListDirSorted(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") out.push_back(name);
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  CURL* easy = nullptr;
  ByteSource* source = nullptr;
  absl::Status callback_error;
  int64_t uploaded = 0;
  bool body_started = false;
};

size_t HeaderCallback(char* data, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  absl::string_view line(data, size * nitems);
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    t->response->headers.clear();
    return size * nitems;
  }
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    t->response->headers.emplace_back(
        absl::AsciiStrToLower(line.substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * nitems;
}

size_t WriteCallback(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t n = size * nmemb;
  long code = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 200 && code < 300 && t->request->response_sink) {
    if (!t->body_started) {
      t->body_started = true;
      if (t->request->on_body_start) {
        absl::Status s = t->request->on_body_start(static_cast<int>(code), t->response->headers);
        if (!s.ok()) {
          t->callback_error = s;
          return 0;
        }
      }
    }
    absl::Status s = t->request->response_sink(absl::string_view(data, n));
    if (!s.ok()) {
      t->callback_error = s;
      return 0;
    }
    t->response->streamed_bytes += n;
    return n;
  }
  if (t->response->body.size() < kMaxErrorBody || (code >= 200 && code < 300)) {
    t->response->body.append(data, n);
  }
  return n;
}

size_t ReadCallback(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  absl::StatusOr<size_t> n = t->source->Read(buffer, size * nitems);
  if (!n.ok()) {
    t->callback_error = n.status();
    return CURL_READFUNC_ABORT;
  }
  t->uploaded += *n;
  return *n;
}

int SeekCallback(void* userdata, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(userdata);
  if (origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
  if (!t->source->Rewind().ok()) return CURL_SEEKFUNC_FAIL;
  t->uploaded = 0;
  return CURL_SEEKFUNC_OK;
}

int XferInfoCallback(void* userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                     curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(userdata);
  if (t->request->progress) {
    if (t->source != nullptr) {
      t->request->progress(ulnow, t->source->size());
    } else if (dlnow > 0) {
      t->request->progress(dlnow, dltotal > 0 ? dltotal : -1);
    }
  }
  return 0;
}

// Installs the trust store built once per host (CURLOPT_SSL_CTX_FUNCTION; OpenSSL backend).
CURLcode SslCtxCallback(CURL*, void* ssl_ctx, void* store) {
  SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(ssl_ctx), static_cast<X509_STORE*>(store));
  return CURLE_OK;
}

// The system bundle plus `extra_pem` (certs.d CAs) as one X509_STORE. Null when nothing loads.
X509_STORE* BuildStore(const std::string& system_bundle, const std::string& extra_pem) {
  X509_STORE* store = X509_STORE_new();
  if (store == nullptr) return nullptr;
  bool any = X509_STORE_load_file(store, system_bundle.c_str()) == 1;
  ERR_clear_error();  // a missing system bundle is fine when certs.d names the CA
  if (!extra_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(extra_pem.data(), static_cast<int>(extra_pem.size()));
    while (bio != nullptr) {
      X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
      if (cert == nullptr) break;
      if (X509_STORE_add_cert(store, cert) == 1) any = true;
      X509_free(cert);
    }
    ERR_clear_error();  // the end of the PEM data is reported as an error
    BIO_free(bio);
  }
  if (!any) {
    X509_STORE_free(store);
    return nullptr;
  }
  return store;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

std::vector<std::string> DefaultCertsDirs() {
  std::vector<std::string> dirs;
  const char* docker_config = std::getenv("DOCKER_CONFIG");
  const char* home = std::getenv("HOME");
  if (docker_config != nullptr && *docker_config != '\0') {
    dirs.push_back(absl::StrCat(docker_config, "/certs.d"));
  } else if (home != nullptr) {
    dirs.push_back(absl::StrCat(home, "/.docker/certs.d"));
  }
  dirs.push_back("/etc/docker/certs.d");
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg != '\0') {
    dirs.push_back(absl::StrCat(xdg, "/slipway/certs.d"));
  } else if (home != nullptr) {
    dirs.push_back(absl::StrCat(home, "/.config/slipway/certs.d"));
  }
  return dirs;
}

struct CurlTransport::Shared {
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST + 1];
  absl::Mutex mu;
  std::vector<CURL*> idle ABSL_GUARDED_BY(mu);
  // Per host: TLS material found in certs.d.
  struct HostTls {
    // The system bundle + certs.d CAs, parsed once and shared by every connection to the host
    // (OpenSSL 3 takes 30-50 ms to parse the system bundle: per connection that was most of a
    // small TLS push). Owned by `stores`; null when nothing could be loaded (curl's defaults).
    X509_STORE* store = nullptr;
    std::string client_cert;
    std::string client_key;
  };
  std::vector<X509_STORE*> stores ABSL_GUARDED_BY(mu);
  std::map<std::string, HostTls> tls ABSL_GUARDED_BY(mu);

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* userptr) {
    static_cast<Shared*>(userptr)->locks[data].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* userptr) {
    static_cast<Shared*>(userptr)->locks[data].unlock();
  }
};

CurlTransport::CurlTransport(CurlTransportOptions options)
    : options_(std::move(options)), shared_(std::make_unique<Shared>()) {
  static CurlGlobal global;
  if (options_.certs_dirs.empty()) options_.certs_dirs = DefaultCertsDirs();
  shared_->share = curl_share_init();
  curl_share_setopt(shared_->share, CURLSHOPT_LOCKFUNC, &Shared::Lock);
  curl_share_setopt(shared_->share, CURLSHOPT_UNLOCKFUNC, &Shared::Unlock);
  curl_share_setopt(shared_->share, CURLSHOPT_USERDATA, shared_.get());
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(shared_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

CurlTransport::~CurlTransport() {
  {
    absl::MutexLock lock(&shared_->mu);
    for (CURL* easy : shared_->idle) curl_easy_cleanup(easy);
    shared_->idle.clear();
    for (X509_STORE* store : shared_->stores) X509_STORE_free(store);
    shared_->stores.clear();
  }
  curl_share_cleanup(shared_->share);
}

absl::StatusOr<HttpResponse> CurlTransport::RoundTrip(const HttpRequest& request) {
  const bool https = absl::StartsWithIgnoreCase(request.url, "https://");
  if (!https && !absl::StartsWithIgnoreCase(request.url, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported URL `", RedactUrl(request.url), "`: want http:// or https://"));
  }
  const std::string host = UrlHost(request.url);

  // TLS material for this host, looked up once.
  Shared::HostTls tls;
  if (https) {
    absl::MutexLock lock(&shared_->mu);
    auto it = shared_->tls.find(host);
    if (it == shared_->tls.end()) {
      Shared::HostTls found;
      std::string extra_cas;
      for (const std::string& dir : options_.certs_dirs) {
        std::string host_dir = absl::StrCat(dir, "/", host);
        for (const std::string& name : ListDirSorted(host_dir)) {
          std::string path = absl::StrCat(host_dir, "/", name);
          if (absl::EndsWith(name, ".crt")) {
            absl::StrAppend(&extra_cas, ReadWholeFile(path), "\n");
          } else if (absl::EndsWith(name, ".cert") && found.client_cert.empty()) {
            std::string key = absl::StrCat(host_dir, "/", name.substr(0, name.size() - 5), ".key");
            found.client_cert = path;
            found.client_key = key;
          }
        }
      }
      found.store = BuildStore(options_.system_ca_bundle, extra_cas);
      if (found.store != nullptr) shared_->stores.push_back(found.store);
      it = shared_->tls.emplace(host, std::move(found)).first;
    }
    tls = it->second;
  }

  CURL* easy = nullptr;
  {
    absl::MutexLock lock(&shared_->mu);
    if (!shared_->idle.empty()) {
      easy = shared_->idle.back();
      shared_->idle.pop_back();
    }
  }
  if (easy == nullptr) easy = curl_easy_init();
  if (easy == nullptr) {
    RETURN_IF_ERROR(lazy::CurlLibrary().Load());  // libcurl.so.4 missing: say so
    return absl::ResourceExhaustedError("curl_easy_init failed");
  }
  curl_easy_reset(easy);

  HttpResponse response;
  Transfer t;
  t.request = &request;
  t.response = &response;
  t.easy = easy;
  StringSource memory_body(request.body);
  const bool has_body = request.body_source != nullptr || !request.body.empty();
  if (has_body) t.source = request.body_source != nullptr ? request.body_source : &memory_body;
  if (t.source != nullptr) {
    absl::Status s = t.source->Rewind();
    if (!s.ok()) return s;
  }

  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_SHARE, shared_->share);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                   std::max<long>(1, absl::ToInt64Seconds(options_.low_speed_time)));
  curl_easy_setopt(easy, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &HeaderCallback);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &WriteCallback);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  if (request.progress) {
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &XferInfoCallback);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &t);
  }
  if (https) {
    bool insecure = options_.insecure_hosts.count(host) > 0;
    if (!insecure) {
      size_t colon = host.rfind(':');
      if (colon != std::string::npos && host.find(']') == std::string::npos) {
        insecure = options_.insecure_hosts.count(host.substr(0, colon)) > 0;
      }
    }
    if (insecure) {
      curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (tls.store != nullptr) {
      // curl loads no CA file itself; the callback installs the shared store.
      curl_easy_setopt(easy, CURLOPT_CAINFO, nullptr);
      curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
      curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &SslCtxCallback);
      curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, tls.store);
    }
    if (!tls.client_cert.empty()) {
      curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.client_cert.c_str());
      curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.client_key.c_str());
    }
  }

  struct curl_slist* headers = nullptr;
  bool has_content_type = false;
  for (const auto& [k, v] : request.headers) {
    if (absl::EqualsIgnoreCase(k, "content-type")) has_content_type = true;
    headers = curl_slist_append(headers, absl::StrCat(k, ": ", v).c_str());
  }
  headers = curl_slist_append(headers, "Expect:");

  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET" && !has_body) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    // Every other method sends a body (possibly empty) through the read callback.
    if (!has_content_type) headers = curl_slist_append(headers, "Content-Type:");
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    if (t.source != nullptr) {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(t.source->size()));
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, &ReadCallback);
      curl_easy_setopt(easy, CURLOPT_READDATA, &t);
      curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, &SeekCallback);
      curl_easy_setopt(easy, CURLOPT_SEEKDATA, &t);
    } else {
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
    }
    if (request.method != "POST") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    // Keep the method on redirects (POST would otherwise become GET after 301/302).
    curl_easy_setopt(easy, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL));
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(easy);
  long code = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  char* effective = nullptr;
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective);
  if (effective != nullptr) response.effective_url = effective;
  response.status = static_cast<int>(code);
  curl_slist_free_all(headers);
  // Detach per-request pointers before the handle goes back to the pool.
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  {
    absl::MutexLock lock(&shared_->mu);
    if (shared_->idle.size() < 16) {
      shared_->idle.push_back(easy);
      easy = nullptr;
    }
  }
  if (easy != nullptr) curl_easy_cleanup(easy);

  if (rc == CURLE_OK) return response;
  std::string what = absl::StrCat(request.method, " `", RedactUrl(request.url), "`");
  if (!t.callback_error.ok()) return base::Annotate(t.callback_error, what);
  std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
      return absl::FailedPreconditionError(absl::StrCat(
          what, ": TLS certificate of `", host, "` not accepted (", detail,
          "); put the registry's CA in certs.d/", host,
          "/ca.crt or name it with --insecure-registry"));
    case CURLE_URL_MALFORMAT:
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", detail));
    default:
      return absl::UnavailableError(absl::StrCat(what, ": ", detail));
  }
}

}  // namespace pusher
