// The libcrypto functions slipway calls besides SHA-256, each forwarded to libcrypto.so.3 opened
// on first use.
#include "third_party/lazy/lazy_crypto.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace lazy {

LazyLibrary& CryptoLibrary() {
  static LazyLibrary* const library = new LazyLibrary("libcrypto.so.3", "libssl3");
  return *library;
}

}  // namespace lazy

#define LAZY_CRYPTO(ret, name, params, args, failure) \
  LAZY_FORWARD(::lazy::CryptoLibrary(), ret, name, params, args, failure)

LAZY_CRYPTO(X509_STORE*, X509_STORE_new, (void), (), nullptr)
LAZY_CRYPTO(void, X509_STORE_free, (X509_STORE * store), (store), )
LAZY_CRYPTO(int, X509_STORE_load_file, (X509_STORE * store, const char* file), (store, file), 0)
LAZY_CRYPTO(int, X509_STORE_add_cert, (X509_STORE * store, X509* cert), (store, cert), 0)
LAZY_CRYPTO(void, X509_free, (X509 * cert), (cert), )
LAZY_CRYPTO(X509*, PEM_read_bio_X509, (BIO * bio, X509** out, pem_password_cb* cb, void* u),
            (bio, out, cb, u), nullptr)
LAZY_CRYPTO(BIO*, BIO_new_mem_buf, (const void* buf, int len), (buf, len), nullptr)
LAZY_CRYPTO(int, BIO_free, (BIO * bio), (bio), 0)
LAZY_CRYPTO(void, ERR_clear_error, (void), (), )
