// The X.509 functions through the forwarders: libcrypto.so.3 is opened on first use, and a trust
// store is built the way pusher's CurlTransport builds one (PEM from memory, then from a file).
#include "third_party/lazy/lazy_crypto.h"

#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <fstream>
#include <string>

#include "base/scoped_temp_dir.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace {

bool CryptoIsLoaded() {
  void* handle = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);
  return true;
}

// Before any test has called libcrypto.
const bool kLoadedAtStart = CryptoIsLoaded();

// A self-signed P-256 certificate (CN=slipway-lazy-test).
constexpr char kPem[] = R"(
-----BEGIN CERTIFICATE-----
MIIBkDCCATWgAwIBAgIURvb1HGrmFsw0ugus2DT3EpdtncMwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRc2xpcHdheS1sYXp5LXRlc3QwIBcNMjYxMTI4MDEzNDQ2WhgP
MjEyNjExMDQwMTM0NDZaMBwxGjAYBgNVBAMMEXNsaXB3YXktbGF6eS10ZXN0MFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEaKD5uOC/80JxZqWvcA3flmlyreJQaLoV
O2LnRQlrpfVWgz8Q3aPhkeQjVZkMH8nloppjv0HNtgwbatbNPC6vAqNTMFEwHQYD
VR0OBBYEFM2RqhuXxjXU54tTxOl/+PHeGmaYMB8GA1UdIwQYMBaAFM2RqhuXxjXU
54tTxOl/+PHeGmaYMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIh
ANQi+ghsYnTuF7jYkNGpxzTyzk7CgbBp6hO72Mp3ff1AAiEAnHkXIu7fofZPKemo
BTQ9zmOV+OUT8sVE5EhvKwCnTv8=
-----END CERTIFICATE-----
)";

TEST(LazyCryptoTest, NotLoadedUntilFirstCall) {
  EXPECT_FALSE(kLoadedAtStart) << "the test binary links libcrypto.so.3";
  EXPECT_OK(lazy::CryptoLibrary().Load());
  EXPECT_TRUE(CryptoIsLoaded());
}

TEST(LazyCryptoTest, BuildsATrustStoreFromMemoryAndFromAFile) {
  X509_STORE* store = X509_STORE_new();
  ASSERT_NE(store, nullptr);
  BIO* bio = BIO_new_mem_buf(kPem, sizeof kPem - 1);
  ASSERT_NE(bio, nullptr);
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_STORE_add_cert(store, cert), 1);
  X509_free(cert);
  EXPECT_EQ(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr), nullptr);  // the end of the data
  ERR_clear_error();
  EXPECT_EQ(BIO_free(bio), 1);

  absl::StatusOr<base::ScopedTempDir> dir = base::ScopedTempDir::Create();
  ASSERT_OK(dir);
  const std::string path = dir->path() + "/ca.crt";
  std::ofstream(path) << kPem;
  X509_STORE* from_file = X509_STORE_new();
  ASSERT_NE(from_file, nullptr);
  EXPECT_EQ(X509_STORE_load_file(from_file, path.c_str()), 1);
  EXPECT_EQ(X509_STORE_load_file(from_file, (path + ".missing").c_str()), 0);
  ERR_clear_error();
  X509_STORE_free(from_file);
  X509_STORE_free(store);
}

}  // namespace
