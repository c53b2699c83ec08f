#include "pusher/auth/auth_transport.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"
#include "pusher/errors.h"

namespace pusher {
namespace {

using json = nlohmann::json;

// Tokens are refreshed this long before they expire.
constexpr absl::Duration kExpirySlack = absl::Seconds(10);

std::vector<std::string> MergeScopes(const std::vector<std::string>& a, absl::string_view extra) {
  std::set<std::string> all(a.begin(), a.end());
  for (absl::string_view s : absl::StrSplit(extra, ' ', absl::SkipEmpty())) {
    all.insert(std::string(s));
  }
  return std::vector<std::string>(all.begin(), all.end());
}

}  // namespace

std::string PercentEncode(absl::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

AuthTransport::AuthTransport(HttpTransport* inner, CredentialFn credentials,
                             std::function<absl::Time()> now)
    : inner_(inner), credentials_(std::move(credentials)), now_(std::move(now)) {
  if (!now_) now_ = [] { return absl::Now(); };
}

int AuthTransport::token_fetches() const {
  absl::MutexLock lock(&mu_);
  return token_fetches_;
}

absl::StatusOr<AuthTransport::Token> AuthTransport::FetchToken(
    const std::string& host, const Challenge& challenge, const std::vector<std::string>& scopes) {
  std::string realm = challenge.Param("realm");
  if (realm.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat("registry `", host, "` sent a Bearer challenge without a realm"));
  }
  Credential cred;
  if (credentials_) {
    ASSIGN_OR_RETURN(cred, credentials_(host));
  }
  std::string service = challenge.Param("service");
  HttpRequest req;
  req.scopes.clear();
  std::string what;
  if (!cred.identity_token.empty()) {
    req.method = "POST";
    req.url = realm;
    std::string form = absl::StrCat("grant_type=refresh_token&client_id=slipway&refresh_token=",
                                    PercentEncode(cred.identity_token));
    if (!service.empty()) absl::StrAppend(&form, "&service=", PercentEncode(service));
    if (!scopes.empty()) {
      absl::StrAppend(&form, "&scope=", PercentEncode(absl::StrJoin(scopes, " ")));
    }
    req.body = form;
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  } else {
    std::vector<std::string> query;
    if (!service.empty()) query.push_back(absl::StrCat("service=", PercentEncode(service)));
    for (const std::string& s : scopes) query.push_back(absl::StrCat("scope=", PercentEncode(s)));
    if (!cred.username.empty()) {
      query.push_back(absl::StrCat("account=", PercentEncode(cred.username)));
      req.headers.emplace_back(
          "Authorization",
          absl::StrCat("Basic ", absl::Base64Escape(
                                     absl::StrCat(cred.username, ":", cred.password))));
    }
    req.url = realm;
    if (!query.empty()) {
      absl::StrAppend(&req.url, realm.find('?') == std::string::npos ? "?" : "&",
                      absl::StrJoin(query, "&"));
    }
  }
  what = absl::StrCat("fetching a token from `", RedactUrl(realm), "` for ",
                      scopes.empty() ? "no scope" : absl::StrJoin(scopes, " "));
  {
    absl::MutexLock lock(&mu_);
    ++token_fetches_;
  }
  absl::StatusOr<HttpResponse> resp = inner_->RoundTrip(req);
  if (!resp.ok()) return base::Annotate(resp.status(), what);
  if (!resp->ok()) {
    absl::Status err = RegistryError(absl::StrCat(req.method, " `", RedactUrl(realm), "`"), *resp);
    if (resp->status == 401 || resp->status == 403) {
      return absl::UnauthenticatedError(
          absl::StrCat(what, ": the token server refused the ",
                       cred.empty() ? "anonymous request" : "credentials", ": ",
                       err.message()));
    }
    return base::Annotate(err, what);
  }
  json doc = json::parse(resp->body, nullptr, false);
  if (!doc.is_object()) {
    return absl::UnavailableError(absl::StrCat(what, ": the answer is not a JSON object"));
  }
  Token token;
  if (doc.contains("token") && doc["token"].is_string()) {
    token.value = doc["token"].get<std::string>();
  } else if (doc.contains("access_token") && doc["access_token"].is_string()) {
    token.value = doc["access_token"].get<std::string>();
  }
  if (token.value.empty()) {
    return absl::UnavailableError(absl::StrCat(what, ": the answer holds no token"));
  }
  int64_t expires_in = 60;
  if (doc.contains("expires_in") && doc["expires_in"].is_number_integer()) {
    expires_in = std::max<int64_t>(doc["expires_in"].get<int64_t>(), 1);
  }
  token.expires = now_() + absl::Seconds(expires_in);
  return token;
}

absl::StatusOr<std::string> AuthTransport::AuthorizationFor(const std::string& host,
                                                            const std::vector<std::string>& scopes,
                                                            bool force_refresh) {
  Challenge challenge;
  std::string key = absl::StrCat(host, "|", absl::StrJoin(scopes, " "));
  {
    absl::MutexLock lock(&mu_);
    auto it = challenges_.find(host);
    if (it == challenges_.end()) return std::string();
    challenge = it->second;
    if (challenge.scheme == "bearer" && !force_refresh) {
      auto t = tokens_.find(key);
      if (t != tokens_.end() && t->second.expires - kExpirySlack > now_()) {
        return absl::StrCat("Bearer ", t->second.value);
      }
    }
  }
  if (challenge.scheme == "basic") {
    Credential cred;
    if (credentials_) {
      ASSIGN_OR_RETURN(cred, credentials_(host));
    }
    if (cred.username.empty() && cred.password.empty()) return std::string();
    return absl::StrCat("Basic ",
                        absl::Base64Escape(absl::StrCat(cred.username, ":", cred.password)));
  }
  if (challenge.scheme != "bearer") {
    return absl::UnimplementedError(absl::StrCat("registry `", host,
                                                 "` asks for unsupported auth scheme `",
                                                 challenge.scheme, "`"));
  }
  ASSIGN_OR_RETURN(Token token, FetchToken(host, challenge, scopes));
  absl::MutexLock lock(&mu_);
  tokens_[key] = token;
  return absl::StrCat("Bearer ", token.value);
}

absl::StatusOr<HttpResponse> AuthTransport::RoundTrip(const HttpRequest& request) {
  const std::string host = UrlHost(request.url);
  std::vector<std::string> scopes = MergeScopes(request.scopes, "");
  ASSIGN_OR_RETURN(std::string authorization, AuthorizationFor(host, scopes, false));
  HttpRequest req = request;
  if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
  ASSIGN_OR_RETURN(HttpResponse resp, inner_->RoundTrip(req));
  if (resp.status != 401) return resp;

  // Learn (or re-learn) the challenge and try once more.
  std::vector<Challenge> challenges;
  for (const std::string& h : resp.HeaderValues("www-authenticate")) {
    for (Challenge& c : ParseWwwAuthenticate(h)) challenges.push_back(std::move(c));
  }
  const Challenge* chosen = nullptr;
  for (const Challenge& c : challenges) {
    if (c.scheme == "bearer") chosen = &c;
  }
  if (chosen == nullptr) {
    for (const Challenge& c : challenges) {
      if (c.scheme == "basic") chosen = &c;
    }
  }
  if (chosen == nullptr) return resp;
  {
    absl::MutexLock lock(&mu_);
    challenges_[host] = *chosen;
  }
  if (!request.authenticate) return resp;
  if (chosen->scheme == "bearer") scopes = MergeScopes(scopes, chosen->Param("scope"));
  ASSIGN_OR_RETURN(authorization, AuthorizationFor(host, scopes, true));
  if (authorization.empty()) return resp;  // nothing to offer: let the caller see the 401
  if (chosen->scheme == "bearer" && scopes != MergeScopes(request.scopes, "")) {
    // Cache under the request's own scopes too, so the next request goes straight through.
    absl::MutexLock lock(&mu_);
    auto t = tokens_.find(absl::StrCat(host, "|", absl::StrJoin(scopes, " ")));
    if (t != tokens_.end()) {
      tokens_[absl::StrCat(host, "|", absl::StrJoin(MergeScopes(request.scopes, ""), " "))] =
          t->second;
    }
  }
  if (request.body_source != nullptr) RETURN_IF_ERROR(request.body_source->Rewind());
  req = request;
  req.headers.emplace_back("Authorization", authorization);
  return inner_->RoundTrip(req);
}

}  // namespace pusher
