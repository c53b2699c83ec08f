// AuthTransport: an HttpTransport decorator that answers registry auth challenges.
//
// On a 401 it reads `WWW-Authenticate`, remembers the challenge for that host, and resends the
// request once with `Authorization`: Basic with the host's credentials, or Bearer with a token
// fetched from the challenge's realm (anonymously, with username/password as Basic, or with an
// identity token through the OAuth2 refresh-token grant). Tokens are cached per (host, scopes)
// until shortly before they expire, and later requests to a host with a known challenge carry
// the right header from the start (so streamed bodies are not sent twice). A request's scopes come
// from HttpRequest::scopes (`repository:NAME:pull,push`, plus `repository:SRC:pull` for mounts);
// the challenge's own `scope` is added when the registry asks for more (insufficient_scope).
//
// Tokens and passwords never appear in errors or logs. Thread-safe.
#ifndef SLIPWAY_PUSHER_AUTH_AUTH_TRANSPORT_H_
#define SLIPWAY_PUSHER_AUTH_AUTH_TRANSPORT_H_

#include <functional>
#include <map>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "pusher/auth/challenge.h"
#include "pusher/auth/credentials.h"
#include "pusher/transport/http.h"

namespace pusher {

// Returns the credentials for a registry host ("localhost:5000"); an empty Credential for none.
using CredentialFn = std::function<absl::StatusOr<Credential>(const std::string& host)>;

class AuthTransport : public HttpTransport {
 public:
  // `inner` is not owned. `credentials` may be empty (anonymous). `now` defaults to absl::Now.
  AuthTransport(HttpTransport* inner, CredentialFn credentials,
                std::function<absl::Time()> now = nullptr);

  absl::StatusOr<HttpResponse> RoundTrip(const HttpRequest& request) override;

  // Number of token requests made so far (for tests of the cache).
  int token_fetches() const;

 private:
  struct Token {
    std::string value;
    absl::Time expires;
  };
  absl::StatusOr<std::string> AuthorizationFor(const std::string& host,
                                               const std::vector<std::string>& scopes,
                                               bool force_refresh);
  absl::StatusOr<Token> FetchToken(const std::string& host, const Challenge& challenge,
                                   const std::vector<std::string>& scopes);

  HttpTransport* const inner_;  // Not owned.
  CredentialFn credentials_;
  std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  std::map<std::string, Challenge> challenges_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Token> tokens_ ABSL_GUARDED_BY(mu_);
  int token_fetches_ ABSL_GUARDED_BY(mu_) = 0;
};

// application/x-www-form-urlencoded / query escaping.
std::string PercentEncode(absl::string_view s);

}  // namespace pusher

#endif  // SLIPWAY_PUSHER_AUTH_AUTH_TRANSPORT_H_
