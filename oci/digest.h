// Content digests: `sha256:<64 lowercase hex>`, and a streaming SHA-256 over OpenSSL's EVP API.
//
// Digest is a small value type (copyable, thread-compatible). Only sha256 is accepted: anything
// else (other algorithms, uppercase hex, wrong length) is refused by Parse with the reason.
#ifndef SLIPWAY_OCI_DIGEST_H_
#define SLIPWAY_OCI_DIGEST_H_

#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace oci {

class Digest {
 public:
  // An empty, invalid digest (`empty()` is true). Useful as a default member value only.
  Digest() = default;

  // Parses "sha256:<64 lowercase hex>". InvalidArgument names what is wrong.
  static absl::StatusOr<Digest> Parse(absl::string_view text);
  // The sha256 digest of `data`.
  static Digest Of(absl::string_view data);
  // From 32 raw hash bytes.
  static Digest FromRawSha256(const unsigned char raw[32]);

  const std::string& str() const { return value_; }        // "sha256:abc…"
  absl::string_view algorithm() const;                     // "sha256"
  absl::string_view hex() const;                           // "abc…" (64 chars)
  bool empty() const { return value_.empty(); }

  friend bool operator==(const Digest& a, const Digest& b) { return a.value_ == b.value_; }
  friend bool operator!=(const Digest& a, const Digest& b) { return a.value_ != b.value_; }
  friend bool operator<(const Digest& a, const Digest& b) { return a.value_ < b.value_; }
  friend std::ostream& operator<<(std::ostream& os, const Digest& d) { return os << d.value_; }
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.value_);
  }

 private:
  explicit Digest(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

// Streaming SHA-256. Feed bytes with Update, then Finish once. Move-only; not thread-safe.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }
  // Bytes fed so far.
  uint64_t bytes() const { return bytes_; }
  // Returns the digest; the hasher must not be used afterwards.
  Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint64_t bytes_ = 0;
};

}  // namespace oci

#endif  // SLIPWAY_OCI_DIGEST_H_
