// Image manifests and indexes (OCI v1 and Docker schema 2 / manifest list), with strict decoding and
// deterministic encoding.
//
// Decoding rejects malformed documents with the JSON path of the field that is wrong
// ("manifest: layers[2].digest: …"). Fields we do not model are kept in `unknown_fields` and written
// back by Encode, so a document round-trips. Encode always produces the same bytes for the same
// value. Digests of documents read from elsewhere must be computed over the bytes as received,
// never over a re-encoding.
#ifndef SLIPWAY_OCI_MANIFEST_H_
#define SLIPWAY_OCI_MANIFEST_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oci/descriptor.h"

namespace oci {

// Parse requires schemaVersion 2, a `config` descriptor and a `layers` array; an OCI manifest
// (mediaType OCI or absent) must have at least one layer, as the OCI schema demands (Docker schema 2
// manifests may have none). `mediaType`, when present, must be an OCI or Docker manifest type.
// Descriptor digests must be sha256 (see oci/digest.h): other algorithms are refused.
struct Manifest {
  int schema_version = 2;
  std::string media_type;  // kOciManifest or kDockerManifest (may be empty in OCI documents)
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
  // Top-level members we do not model: name -> raw JSON text.
  std::map<std::string, std::string> unknown_fields;

  static absl::StatusOr<Manifest> Parse(absl::string_view json);
  // Deterministic: members in the order Go's encoding/json writes image-spec's specs-go struct
  // (schemaVersion, mediaType, artifactType, config, layers, subject, annotations), then
  // unknown_fields sorted by name; empty optional members are omitted; strings escaped as Go does.
  std::string Encode(JsonFormat format = JsonFormat::kCompact) const;
};

struct Index {
  int schema_version = 2;
  std::string media_type;  // kOciIndex or kDockerManifestList (may be empty in OCI documents)
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> unknown_fields;

  static absl::StatusOr<Index> Parse(absl::string_view json);
  // Same rules as Manifest::Encode (schemaVersion, mediaType, artifactType, manifests, subject,
  // annotations, then unknown_fields sorted).
  std::string Encode(JsonFormat format = JsonFormat::kCompact) const;
};

// Looks at a manifest-ish document and returns its media type: the `mediaType` member when present,
// otherwise inferred (a `manifests` array means an OCI index, a `config` object an OCI manifest).
absl::StatusOr<std::string> SniffMediaType(absl::string_view json);

}  // namespace oci

#endif  // SLIPWAY_OCI_MANIFEST_H_
