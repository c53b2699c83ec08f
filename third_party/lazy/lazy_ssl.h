// libssl, opened on first use: link //third_party/lazy:ssl instead of -lssl. slipway calls one
// libssl function, from inside libcurl's TLS set-up (CURLOPT_SSL_CTX_FUNCTION), when libcurl has
// already brought libssl.so.3 in; linking it would cost every start ~0.4 ms of relocations.
// libcrypto stays linked: digests use it in every command. When libssl.so.3 is missing the
// forwarded function does nothing and SslLibrary().Load() says why.
#ifndef SLIPWAY_THIRD_PARTY_LAZY_LAZY_SSL_H_
#define SLIPWAY_THIRD_PARTY_LAZY_LAZY_SSL_H_

#include "third_party/lazy/lazy_library.h"

namespace lazy {

// The process-wide libssl.so.3 (Debian package libssl3).
LazyLibrary& SslLibrary();

}  // namespace lazy

#endif  // SLIPWAY_THIRD_PARTY_LAZY_LAZY_SSL_H_
