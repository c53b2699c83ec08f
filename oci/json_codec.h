// Internal JSON helpers for oci/: strict decoding with JSON-path error messages, and a writer that
// produces exactly what Go's encoding/json writes (compact or MarshalIndent with two spaces), so
// documents written by BuildKit/Docker re-encode to the same bytes.
//
// Built on nlohmann::ordered_json (member order as written is kept for values we hold raw).
// Nothing here throws: parse errors come back as InvalidArgument.
//
// Unknown members: decoders return every member they did not consume as name -> compact raw JSON
// (Go escaping, original member order inside nested values). Encoders write them after the known
// members, sorted by name, unless the document type documents another placement.
#ifndef SLIPWAY_OCI_JSON_CODEC_H_
#define SLIPWAY_OCI_JSON_CODEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oci/descriptor.h"
#include "oci/digest.h"

namespace oci {
namespace json {

using Json = nlohmann::ordered_json;

// Parses `text` as one JSON value. Errors (with byte offset) are InvalidArgument. Nesting deeper than
// 256 levels is refused so that no later recursion can exhaust the stack.
absl::StatusOr<Json> ParseJson(absl::string_view text);

// Writes `value` the way Go's json.Marshal (kCompact) / json.MarshalIndent(v, "", "  ") (kIndented)
// would write the equivalent Go value: `<`, `>`, `&`, U+2028, U+2029 escaped as \u003c…, control
// characters as \n \r \t \b \f or \u00XX, invalid UTF-8 as \ufffd, object members in stored order.
std::string WriteJson(const Json& value, JsonFormat format = JsonFormat::kCompact);
// Appends a Go-escaped JSON string literal (with quotes).
void AppendQuotedString(std::string* out, absl::string_view s);

// Raw JSON text -> value, for re-emitting unknown members. Invalid text becomes null.
Json RawToJson(const std::string& raw);

// Reads the members of one JSON object strictly. Every accessor names the member's JSON path in
// errors ("layers[2].digest: expected a string, got number"). Members not read are "unknown".
class ObjectReader {
 public:
  // `path` is the path of `value` ("" for the document root). Fails if `value` is not an object.
  static absl::StatusOr<ObjectReader> Make(const Json& value, std::string path);

  // Path of member `key` of this object.
  std::string PathOf(absl::string_view key) const;
  bool Has(absl::string_view key) const;
  // The member, or nullptr if absent. Marks it as read.
  const Json* Get(absl::string_view key);

  // Scalars: absent -> `out` untouched (error if required). null is a type error for scalars.
  absl::Status String(absl::string_view key, std::string* out, bool required = false);
  absl::Status Int64(absl::string_view key, int64_t* out, bool required = false);
  absl::Status Bool(absl::string_view key, bool* out);
  absl::Status Digest(absl::string_view key, oci::Digest* out, bool required = false);
  // Arrays/maps: absent or null -> empty / nullopt (as Go decodes null into a slice or map).
  absl::Status StringArray(absl::string_view key, std::vector<std::string>* out);
  absl::Status OptionalStringArray(absl::string_view key,
                                   std::optional<std::vector<std::string>>* out);
  absl::Status StringMap(absl::string_view key, std::map<std::string, std::string>* out);
  // An object whose values are objects (ExposedPorts, Volumes): returns the keys.
  absl::Status KeySet(absl::string_view key, std::set<std::string>* out);

  // Members never read, as compact raw JSON.
  std::map<std::string, std::string> Unknown() const;

 private:
  ObjectReader(const Json* value, std::string path) : value_(value), path_(std::move(path)) {}
  absl::Status Error(absl::string_view key, absl::string_view message) const;

  const Json* value_;  // Not owned.
  std::string path_;
  std::set<std::string> read_;
};

// An InvalidArgument "<path>: <message>" (just message when path is empty).
absl::Status PathError(absl::string_view path, absl::string_view message);
// "layers" + 2 -> "layers[2]".
std::string IndexPath(absl::string_view path, size_t i);
// Prefixes "<document>: " to an error (keeps the code).
absl::Status InDocument(const absl::Status& status, absl::string_view document);

// The media type grammar of the OCI schema (RFC 6838 restricted-name "type/subtype").
bool IsValidMediaType(absl::string_view media_type);

// Descriptor and platform, strict. `path` is used in errors.
absl::StatusOr<Descriptor> DecodeDescriptor(const Json& value, const std::string& path);
absl::StatusOr<Platform> DecodePlatform(const Json& value, const std::string& path);
Json EncodeDescriptor(const Descriptor& d);
Json EncodePlatform(const Platform& p);

// Adds raw unknown members to `object` (after what is already there, sorted by name).
void AppendUnknown(Json* object, const std::map<std::string, std::string>& unknown);

}  // namespace json

// A single descriptor document (application/vnd.oci.descriptor.v1+json), strict.
absl::StatusOr<Descriptor> ParseDescriptor(absl::string_view json);
std::string EncodeDescriptor(const Descriptor& d, JsonFormat format = JsonFormat::kCompact);

}  // namespace oci

#endif  // SLIPWAY_OCI_JSON_CODEC_H_
