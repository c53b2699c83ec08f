// Manifest and Index: strict decoding and deterministic, Go-compatible encoding.
#include "oci/manifest.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/json_codec.h"
#include "oci/media_types.h"

namespace oci {
namespace {

using json::Json;
using json::ObjectReader;
using json::PathError;

absl::Status ReadSchemaVersion(ObjectReader& r, int* out) {
  int64_t v = 0;
  RETURN_IF_ERROR(r.Int64("schemaVersion", &v, /*required=*/true));
  if (v != 2) return PathError("schemaVersion", absl::StrCat("must be 2, got ", v));
  *out = 2;
  return absl::OkStatus();
}

absl::Status ReadArtifactType(ObjectReader& r, std::string* out) {
  RETURN_IF_ERROR(r.String("artifactType", out));
  if (r.Has("artifactType") && !json::IsValidMediaType(*out)) {
    return PathError("artifactType", absl::StrCat("`", *out, "` is not a valid media type"));
  }
  return absl::OkStatus();
}

absl::Status ReadSubject(ObjectReader& r, std::optional<Descriptor>* out) {
  if (const Json* s = r.Get("subject"); s != nullptr) {
    ASSIGN_OR_RETURN(*out, json::DecodeDescriptor(*s, "subject"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Manifest> DecodeManifest(const Json& root) {
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(root, ""));
  Manifest m;
  RETURN_IF_ERROR(ReadSchemaVersion(r, &m.schema_version));
  RETURN_IF_ERROR(r.String("mediaType", &m.media_type));
  if (r.Has("mediaType") && !IsManifest(m.media_type)) {
    return PathError("mediaType", absl::StrCat("`", m.media_type, "` is not an image manifest type (",
                                               kOciManifest, " or ", kDockerManifest, ")"));
  }
  RETURN_IF_ERROR(ReadArtifactType(r, &m.artifact_type));
  const Json* config = r.Get("config");
  if (config == nullptr) return PathError("config", "required member is missing");
  ASSIGN_OR_RETURN(m.config, json::DecodeDescriptor(*config, "config"));
  const Json* layers = r.Get("layers");
  if (layers == nullptr) return PathError("layers", "required member is missing");
  if (!layers->is_array()) return PathError("layers", "expected an array");
  for (size_t i = 0; i < layers->size(); ++i) {
    ASSIGN_OR_RETURN(Descriptor d, json::DecodeDescriptor((*layers)[i], json::IndexPath("layers", i)));
    m.layers.push_back(std::move(d));
  }
  if (m.layers.empty() && m.media_type != kDockerManifest) {
    return PathError("layers", "an OCI image manifest needs at least one layer");
  }
  RETURN_IF_ERROR(ReadSubject(r, &m.subject));
  RETURN_IF_ERROR(r.StringMap("annotations", &m.annotations));
  m.unknown_fields = r.Unknown();
  return m;
}

absl::StatusOr<Index> DecodeIndex(const Json& root) {
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(root, ""));
  Index idx;
  RETURN_IF_ERROR(ReadSchemaVersion(r, &idx.schema_version));
  RETURN_IF_ERROR(r.String("mediaType", &idx.media_type));
  if (r.Has("mediaType") && !IsIndex(idx.media_type)) {
    return PathError("mediaType", absl::StrCat("`", idx.media_type, "` is not an index type (",
                                               kOciIndex, " or ", kDockerManifestList, ")"));
  }
  RETURN_IF_ERROR(ReadArtifactType(r, &idx.artifact_type));
  const Json* manifests = r.Get("manifests");
  if (manifests == nullptr) return PathError("manifests", "required member is missing");
  if (!manifests->is_array()) return PathError("manifests", "expected an array");
  for (size_t i = 0; i < manifests->size(); ++i) {
    ASSIGN_OR_RETURN(Descriptor d,
                     json::DecodeDescriptor((*manifests)[i], json::IndexPath("manifests", i)));
    idx.manifests.push_back(std::move(d));
  }
  RETURN_IF_ERROR(ReadSubject(r, &idx.subject));
  RETURN_IF_ERROR(r.StringMap("annotations", &idx.annotations));
  idx.unknown_fields = r.Unknown();
  return idx;
}

}  // namespace

absl::StatusOr<Manifest> Manifest::Parse(absl::string_view text) {
  absl::StatusOr<Json> root = json::ParseJson(text);
  if (!root.ok()) return json::InDocument(root.status(), "manifest");
  absl::StatusOr<Manifest> m = DecodeManifest(*root);
  if (!m.ok()) return json::InDocument(m.status(), "manifest");
  return m;
}

std::string Manifest::Encode(JsonFormat format) const {
  Json o = Json::object();
  o["schemaVersion"] = schema_version;
  if (!media_type.empty()) o["mediaType"] = media_type;
  if (!artifact_type.empty()) o["artifactType"] = artifact_type;
  o["config"] = json::EncodeDescriptor(config);
  Json layers_json = Json::array();
  for (const Descriptor& d : layers) layers_json.push_back(json::EncodeDescriptor(d));
  o["layers"] = std::move(layers_json);
  if (subject.has_value()) o["subject"] = json::EncodeDescriptor(*subject);
  if (!annotations.empty()) o["annotations"] = annotations;
  json::AppendUnknown(&o, unknown_fields);
  return json::WriteJson(o, format);
}

absl::StatusOr<Index> Index::Parse(absl::string_view text) {
  absl::StatusOr<Json> root = json::ParseJson(text);
  if (!root.ok()) return json::InDocument(root.status(), "index");
  absl::StatusOr<Index> idx = DecodeIndex(*root);
  if (!idx.ok()) return json::InDocument(idx.status(), "index");
  return idx;
}

std::string Index::Encode(JsonFormat format) const {
  Json o = Json::object();
  o["schemaVersion"] = schema_version;
  if (!media_type.empty()) o["mediaType"] = media_type;
  if (!artifact_type.empty()) o["artifactType"] = artifact_type;
  Json manifests_json = Json::array();
  for (const Descriptor& d : manifests) manifests_json.push_back(json::EncodeDescriptor(d));
  o["manifests"] = std::move(manifests_json);
  if (subject.has_value()) o["subject"] = json::EncodeDescriptor(*subject);
  if (!annotations.empty()) o["annotations"] = annotations;
  json::AppendUnknown(&o, unknown_fields);
  return json::WriteJson(o, format);
}

absl::StatusOr<std::string> SniffMediaType(absl::string_view text) {
  absl::StatusOr<Json> root = json::ParseJson(text);
  if (!root.ok()) return root.status();
  if (!root->is_object()) return absl::InvalidArgumentError("expected a JSON object");
  auto it = root->find("mediaType");
  if (it != root->end()) {
    if (!it->is_string()) return PathError("mediaType", "expected a string");
    if (!it->get_ref<const std::string&>().empty()) return it->get<std::string>();
  }
  if (root->contains("manifests")) return std::string(kOciIndex);
  if (root->contains("config") && root->contains("layers")) return std::string(kOciManifest);
  return absl::InvalidArgumentError(
      "cannot tell the media type: no `mediaType`, `manifests` or `config`/`layers` member");
}

}  // namespace oci
