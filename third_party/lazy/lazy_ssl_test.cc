// SSL_CTX_set1_cert_store through the forwarder: libssl.so.3 is opened on first use and the store
// really is installed on the context (libssl's own SSL_CTX_new/get_cert_store, from the same
// dlopen'ed library, check it).
#include "third_party/lazy/lazy_ssl.h"

#include <dlfcn.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace {

bool SslIsLoaded() {
  void* handle = dlopen("libssl.so.3", RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);
  return true;
}

// Before any test has called libssl.
const bool kLoadedAtStart = SslIsLoaded();

TEST(LazySslTest, InstallsTheStoreOnTheContext) {
  EXPECT_FALSE(kLoadedAtStart) << "the test binary links libssl.so.3";
  auto ssl_ctx_new = lazy::Resolve<decltype(&SSL_CTX_new)>(lazy::SslLibrary(), "SSL_CTX_new");
  auto tls_method = lazy::Resolve<decltype(&TLS_client_method)>(lazy::SslLibrary(),
                                                                 "TLS_client_method");
  auto get_store = lazy::Resolve<decltype(&SSL_CTX_get_cert_store)>(lazy::SslLibrary(),
                                                                     "SSL_CTX_get_cert_store");
  auto ssl_ctx_free = lazy::Resolve<decltype(&SSL_CTX_free)>(lazy::SslLibrary(), "SSL_CTX_free");
  ASSERT_TRUE(ssl_ctx_new && tls_method && get_store && ssl_ctx_free);
  EXPECT_TRUE(SslIsLoaded());

  SSL_CTX* ctx = ssl_ctx_new(tls_method());
  ASSERT_NE(ctx, nullptr);
  X509_STORE* store = X509_STORE_new();  // through lazy:crypto: the libcrypto.so.3 libssl uses
  ASSERT_NE(store, nullptr);
  ASSERT_NE(get_store(ctx), store);
  SSL_CTX_set1_cert_store(ctx, store);
  EXPECT_EQ(get_store(ctx), store);
  ssl_ctx_free(ctx);
  X509_STORE_free(store);  // set1 took its own reference
}

}  // namespace
