// Digest parsing/validation and streaming SHA-256 (OpenSSL's SHA256_* functions).
#include "oci/digest.h"

// The low-level SHA256_* API is deprecated in OpenSSL 3 in favour of EVP, but it runs the same
// assembly (SHA-NI/AVX2) without EVP's provider machinery, whose first use costs ~1 ms of start-up
// in every process that hashes anything (e.g. `slipway run` verifying a manifest).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace oci {
namespace {

constexpr absl::string_view kSha256Prefix = "sha256:";
constexpr size_t kSha256HexLen = 64;
constexpr char kHexDigits[] = "0123456789abcdef";

// Shortens user input quoted in error messages so a huge string does not flood the log.
std::string Quote(absl::string_view text) {
  if (text.size() > 100) return absl::StrCat("`", text.substr(0, 100), "…`");
  return absl::StrCat("`", text, "`");
}

}  // namespace

absl::StatusOr<Digest> Digest::Parse(absl::string_view text) {
  size_t colon = text.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid digest ", Quote(text), ": expected `sha256:<64 lowercase hex>`, missing `:`"));
  }
  absl::string_view algorithm = text.substr(0, colon);
  absl::string_view hex = text.substr(colon + 1);
  if (algorithm != "sha256") {
    if (algorithm.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid digest ", Quote(text), ": empty algorithm"));
    }
    return absl::InvalidArgumentError(absl::StrCat("unsupported digest algorithm `", algorithm,
                                                   "` in ", Quote(text), ": only sha256 is accepted"));
  }
  if (hex.size() != kSha256HexLen) {
    return absl::InvalidArgumentError(absl::StrCat("invalid digest ", Quote(text), ": sha256 needs ",
                                                   kSha256HexLen, " hex characters, got ",
                                                   hex.size()));
  }
  for (size_t i = 0; i < hex.size(); ++i) {
    char c = hex[i];
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) continue;
    if (c >= 'A' && c <= 'F') {
      return absl::InvalidArgumentError(absl::StrCat("invalid digest ", Quote(text),
                                                     ": uppercase hex is not allowed (offset ", i,
                                                     ")"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid digest ", Quote(text), ": non-hex character at offset ", i, " of the hex part"));
  }
  return Digest(std::string(text));
}

Digest Digest::Of(absl::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

Digest Digest::FromRawSha256(const unsigned char raw[32]) {
  std::string value(kSha256Prefix);
  value.reserve(kSha256Prefix.size() + kSha256HexLen);
  for (int i = 0; i < 32; ++i) {
    value.push_back(kHexDigits[raw[i] >> 4]);
    value.push_back(kHexDigits[raw[i] & 0xf]);
  }
  return Digest(std::move(value));
}

absl::string_view Digest::algorithm() const {
  absl::string_view v = value_;
  size_t colon = v.find(':');
  return colon == absl::string_view::npos ? absl::string_view() : v.substr(0, colon);
}

absl::string_view Digest::hex() const {
  absl::string_view v = value_;
  size_t colon = v.find(':');
  return colon == absl::string_view::npos ? absl::string_view() : v.substr(colon + 1);
}

struct Sha256::Impl {
  SHA256_CTX ctx;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  // These cannot fail short of memory corruption; a wrong digest would be worse than aborting.
  if (SHA256_Init(&impl_->ctx) != 1) std::abort();
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(const void* data, size_t size) {
  if (size == 0) return;
  if (SHA256_Update(&impl_->ctx, data, size) != 1) std::abort();
  bytes_ += size;
}

Digest Sha256::Finish() {
  unsigned char raw[SHA256_DIGEST_LENGTH];
  if (SHA256_Final(raw, &impl_->ctx) != 1) std::abort();
  return Digest::FromRawSha256(raw);
}

}  // namespace oci
