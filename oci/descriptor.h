// Descriptor and Platform: the OCI content descriptor that every manifest and index is made of.
// Plain value types. JSON encoding/decoding lives in oci/json_codec.h.
#ifndef SLIPWAY_OCI_DESCRIPTOR_H_
#define SLIPWAY_OCI_DESCRIPTOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oci/digest.h"

namespace oci {

struct Platform {
  std::string architecture;  // "amd64", "arm64", …
  std::string os;            // "linux"
  std::string variant;       // "v8", … (optional)
  std::string os_version;    // (optional)
  std::vector<std::string> os_features;
  // Members of a decoded `platform` object that we do not model: name -> raw JSON (compact).
  std::map<std::string, std::string> unknown_fields;

  // "linux/amd64" or "linux/arm/v7". Parse accepts "os/arch[/variant]" or a single OS or
  // architecture name, normalising as containerd does: lowercase; x86_64/x86-64 -> amd64;
  // i386 -> 386; aarch64 -> arm64 and arm64 variants 8/v8/v8.0 dropped; armhf -> arm/v7,
  // armel -> arm/v6, bare arm -> arm/v7; macos -> darwin. A lone OS gets the host's architecture,
  // a lone architecture gets os "linux". InvalidArgument for empty parts, more than three parts or
  // characters outside [A-Za-z0-9_-].
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
  // Members of a decoded descriptor that we do not model: name -> raw JSON (compact). Written back
  // after the known members, sorted by name.
  std::map<std::string, std::string> unknown_fields;
};

// How Encode() lays out JSON. kCompact is Go's json.Marshal; kIndented is Go's
// json.MarshalIndent(v, "", "  ") (what BuildKit and Docker use for manifests and indexes).
enum class JsonFormat { kCompact, kIndented };

// The annotation that names a tag in an OCI layout's index.json.
inline constexpr char kRefNameAnnotation[] = "org.opencontainers.image.ref.name";

}  // namespace oci

#endif  // SLIPWAY_OCI_DESCRIPTOR_H_
