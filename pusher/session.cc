#include "pusher/session.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace pusher {

absl::StatusOr<std::unique_ptr<Session>> Session::Create(SessionOptions options) {
  std::unique_ptr<Session> s(new Session());
  s->options_ = std::move(options);
  SessionOptions& o = s->options_;
  if (o.docker_config_dir.empty()) o.docker_config_dir = DockerConfigDir();
  ASSIGN_OR_RETURN(CredentialStore store, CredentialStore::Load(o.docker_config_dir));
  s->store_ = std::make_unique<CredentialStore>(std::move(store));
  HttpTransport* base = o.base_transport;
  if (base == nullptr) {
    for (const std::string& h : o.insecure_registries) o.curl.insecure_hosts.insert(h);
    s->curl_ = std::make_unique<CurlTransport>(o.curl);
    base = s->curl_.get();
  }
  if (o.progress != nullptr && !o.retry.on_retry) {
    Progress* progress = o.progress;
    o.retry.on_retry = [progress](const std::string& what) {
      progress->Message(absl::StrCat("retrying after: ", what));
    };
  }
  s->retry_ = std::make_unique<RetryTransport>(base, o.retry);
  Session* raw = s.get();
  s->auth_ = std::make_unique<AuthTransport>(
      s->retry_.get(), [raw](const std::string& host) -> absl::StatusOr<Credential> {
        if (raw->options_.credential_override.has_value()) {
          return *raw->options_.credential_override;
        }
        // Credentials are keyed by the registry name; docker.io's API host maps back to it.
        std::string key = host == "registry-1.docker.io" ? "docker.io" : host;
        return raw->store_->Get(key);
      });
  return s;
}

Registry* Session::ForHost(const std::string& host) { return Get(host, ""); }

Registry* Session::ForMirror(const MirrorEndpoint& mirror) { return Get(mirror.host, mirror.scheme); }

Registry* Session::Get(const std::string& host, const std::string& scheme) {
  absl::MutexLock lock(&mu_);
  const std::string key = absl::StrCat(scheme, "|", host);
  auto it = registries_.find(key);
  if (it != registries_.end()) return it->second.get();
  RegistryOptions ro;
  ro.transport = auth_.get();
  ro.insecure_registries = options_.insecure_registries;
  ro.monolithic_limit = options_.monolithic_limit;
  ro.chunk_size = options_.chunk_size;
  ro.scheme = scheme;
  auto reg = std::make_unique<Registry>(host, ro);
  Registry* out = reg.get();
  registries_[key] = std::move(reg);
  return out;
}

}  // namespace pusher
