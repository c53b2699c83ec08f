// The libssl functions slipway calls, each forwarded to libssl.so.3 opened on first use.
#include "third_party/lazy/lazy_ssl.h"

#include <openssl/ssl.h>

namespace lazy {

LazyLibrary& SslLibrary() {
  static LazyLibrary* const library = new LazyLibrary("libssl.so.3", "libssl3");
  return *library;
}

}  // namespace lazy

// Without libssl the context keeps curl's default trust store: verification can only get
// stricter, never be skipped.
LAZY_FORWARD(::lazy::SslLibrary(), void, SSL_CTX_set1_cert_store,
             (SSL_CTX * ctx, X509_STORE* store), (ctx, store), )
