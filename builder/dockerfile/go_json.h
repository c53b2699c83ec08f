// Decoding of a JSON array of strings with Go's encoding/json rules (RFC 8259 syntax, invalid UTF-8
// and lone surrogates become U+FFFD, nesting limited to 10000), as the Dockerfile parser needs for
// the exec form (`CMD ["a", "b"]`). Pure functions, thread-safe.
#ifndef SLIPWAY_BUILDER_DOCKERFILE_GO_JSON_H_
#define SLIPWAY_BUILDER_DOCKERFILE_GO_JSON_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace builder::dockerfile {

enum class JsonArrayResult {
  kStrings,     // a valid array whose elements are all strings
  kNotStrings,  // a valid array holding a non-string element
  kInvalid,     // not valid JSON, or not an array
};

// Decodes `text` (which must hold exactly one JSON value plus optional whitespace).
JsonArrayResult DecodeJsonStringArray(absl::string_view text, std::vector<std::string>* out);

}  // namespace builder::dockerfile

#endif  // SLIPWAY_BUILDER_DOCKERFILE_GO_JSON_H_
