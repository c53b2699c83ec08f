// libcrypto's X.509 side, opened on first use: link //third_party/lazy:crypto for the few
// libcrypto functions slipway calls besides SHA-256 (the registry client's per-host trust stores,
// built only for https:// registries, when libcurl has already brought libcrypto.so.3 in). The
// stores are handed to that libcrypto through libssl, so they must come from it, not from a
// private copy. SHA-256 is linked in instead (//third_party:libcrypto_sha256). When
// libcrypto.so.3 is missing the functions return NULL / 0 and CryptoLibrary().Load() says why.
#ifndef SLIPWAY_THIRD_PARTY_LAZY_LAZY_CRYPTO_H_
#define SLIPWAY_THIRD_PARTY_LAZY_LAZY_CRYPTO_H_

#include "third_party/lazy/lazy_library.h"

namespace lazy {

// The process-wide libcrypto.so.3 (Debian package libssl3).
LazyLibrary& CryptoLibrary();

}  // namespace lazy

#endif  // SLIPWAY_THIRD_PARTY_LAZY_LAZY_CRYPTO_H_
