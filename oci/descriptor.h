// Descriptor and Platform: the OCI content descriptor that every manifest and index is made of.
// Plain value types. JSON encoding/decoding lives in oci/json_codec.h.
#ifndef SLIPWAY_OCI_DESCRIPTOR_H_
#define SLIPWAY_OCI_DESCRIPTOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/digest.h"

namespace oci {

struct Platform {
  std::string architecture;  // "amd64", "arm64", …
  std::string os;            // "linux"
  std::string variant;       // "v8", … (optional)
  std::string os_version;    // (optional)
  std::vector<std::string> os_features;

  // "linux/amd64" or "linux/arm64/v8". Parse accepts "os/arch[/variant]", normalising as containerd
  // does (x86_64 -> amd64, aarch64 -> arm64, arm64 without variant -> v8 when matching).
  std::string ToString() const;
  static absl::StatusOr<Platform> Parse(absl::string_view text);
  // The platform this process runs on (linux/<arch>).
  static Platform Host();
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::string artifact_type;  // (optional)
  std::string data;           // base64 embedded data (optional), kept as written
};

// The annotation that names a tag in an OCI layout's index.json.
inline constexpr char kRefNameAnnotation[] = "org.opencontainers.image.ref.name";

}  // namespace oci

#endif  // SLIPWAY_OCI_DESCRIPTOR_H_
