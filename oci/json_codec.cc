// Strict JSON decoding helpers and a Go-compatible JSON writer (see json_codec.h).
#include "oci/json_codec.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace oci {
namespace json {
namespace {

constexpr int kMaxDepth = 256;

// Forwards SAX events to nlohmann's DOM builder, but records parse errors instead of throwing and
// bounds the nesting depth.
class SaxBuilder {
 public:
  explicit SaxBuilder(Json* root) : dom_(*root, /*allow_exceptions=*/false) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const Json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(Json::string_t& v) { return dom_.string(v); }
  bool binary(Json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return Enter() && dom_.start_object(n); }
  bool key(Json::string_t& k) { return dom_.key(k); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return Enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& /*token*/,
                   const nlohmann::detail::exception& ex) {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1, …".
    std::string what = ex.what();
    size_t cut = what.find("] ");
    if (cut != std::string::npos) what = what.substr(cut + 2);
    error_ = absl::StrCat("not valid JSON (byte ", position, "): ", what);
    return false;
  }

  const std::string& error() const { return error_; }

 private:
  bool Enter() {
    if (++depth_ > kMaxDepth) {
      error_ = absl::StrCat("JSON nested deeper than ", kMaxDepth, " levels");
      return false;
    }
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  int depth_ = 0;
  std::string error_;
};

const char* TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    default:
      return "value";
  }
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid.
size_t Utf8Len(absl::string_view s, size_t i, uint32_t* cp) {
  unsigned char c = s[i];
  size_t n;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xe0) == 0xc0) {
    n = 2;
    v = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    v = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = s[i + k];
    if ((cc & 0xc0) != 0x80) return 0;
    v = (v << 6) | (cc & 0x3f);
  }
  // Overlong forms, surrogates and out-of-range code points are invalid (as in Go's utf8 package).
  if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10ffff ||
      (v >= 0xd800 && v <= 0xdfff)) {
    return 0;
  }
  *cp = v;
  return n;
}

// Go's strconv.FormatFloat(f, 'g'-like, -1, 64) as encoding/json uses it: shortest representation
// that round-trips; plain decimal for 1e-6 <= |f| < 1e21, else exponent with at least two digits
// dropped ("1e+21", "1e-07" -> "1e-7").
std::string FormatFloat(double f) {
  if (!std::isfinite(f)) return "null";  // Go refuses to encode these; we never produce them.
  char buf[64];
  int precision = 1;
  for (; precision <= 17; ++precision) {
    snprintf(buf, sizeof(buf), "%.*e", precision - 1, f);
    if (strtod(buf, nullptr) == f) break;
  }
  double a = std::fabs(f);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    // buf is d.ddde±XX; Go writes e-7 rather than e-07.
    std::string s = buf;
    size_t e = s.find('e');
    std::string mant = s.substr(0, e);
    std::string exp = s.substr(e + 1);
    char sign = exp[0];
    std::string digits = exp.substr(1);
    while (digits.size() > 1 && digits[0] == '0') digits.erase(0, 1);
    if (digits.size() < 2) digits.insert(0, "0");
    // Go's 'e' format keeps at least two exponent digits ("1e-07" -> Go writes "1e-07"), then
    // encoding/json rewrites "e-07" to "e-7".
    if (sign == '-' && digits.size() == 2 && digits[0] == '0') digits.erase(0, 1);
    return absl::StrCat(mant, "e", std::string(1, sign), digits);
  }
  // Decimal with the same significant digits.
  int exp10 = 0;
  {
    std::string s = buf;
    exp10 = std::atoi(s.c_str() + s.find('e') + 1);
  }
  int decimals = std::max(0, precision - 1 - exp10);
  snprintf(buf, sizeof(buf), "%.*f", decimals, f);
  return buf;
}

void WriteIndent(std::string* out, int level) {
  out->push_back('\n');
  out->append(static_cast<size_t>(level) * 2, ' ');
}

void Write(std::string* out, const Json& v, bool indent, int level) {
  switch (v.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
      out->append("null");
      return;
    case Json::value_t::boolean:
      out->append(v.get<bool>() ? "true" : "false");
      return;
    case Json::value_t::number_integer:
      absl::StrAppend(out, v.get<int64_t>());
      return;
    case Json::value_t::number_unsigned:
      absl::StrAppend(out, v.get<uint64_t>());
      return;
    case Json::value_t::number_float:
      out->append(FormatFloat(v.get<double>()));
      return;
    case Json::value_t::string:
      AppendQuotedString(out, v.get_ref<const std::string&>());
      return;
    case Json::value_t::binary:
      out->append("null");
      return;
    case Json::value_t::array: {
      if (v.empty()) {
        out->append("[]");
        return;
      }
      out->push_back('[');
      bool first = true;
      for (const Json& e : v) {
        if (!first) out->push_back(',');
        first = false;
        if (indent) WriteIndent(out, level + 1);
        Write(out, e, indent, level + 1);
      }
      if (indent) WriteIndent(out, level);
      out->push_back(']');
      return;
    }
    case Json::value_t::object: {
      if (v.empty()) {
        out->append("{}");
        return;
      }
      out->push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        if (indent) WriteIndent(out, level + 1);
        AppendQuotedString(out, it.key());
        out->append(indent ? ": " : ":");
        Write(out, it.value(), indent, level + 1);
      }
      if (indent) WriteIndent(out, level);
      out->push_back('}');
      return;
    }
  }
}

bool IsBase64Std(absl::string_view s) {
  if (s.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '=') {
      if (i < s.size() - 2) return false;
      ++pad;
      continue;
    }
    if (pad > 0) return false;  // data after padding
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  }
  return pad <= 2;
}

// RFC 3986 absolute URI, as the schema's "format": "uri" asserts: a scheme, `:`, and no characters
// that can never appear in a URI.
bool IsAbsoluteUri(absl::string_view s) {
  size_t colon = s.find(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  if (!absl::ascii_isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  for (char c : s) {
    unsigned char u = c;
    if (u <= 0x20 || u == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      return false;
    }
  }
  return true;
}

bool IsRestrictedNameChar(char c, bool first) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  if (first) return false;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '&':
    case '^':
    case '_':
    case '.':
    case '+':
    case '-':
      return true;
    default:
      return false;
  }
}

bool IsRestrictedName(absl::string_view s) {
  if (s.empty() || s.size() > 127) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsRestrictedNameChar(s[i], i == 0)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Json> ParseJson(absl::string_view text) {
  Json root;
  SaxBuilder sax(&root);
  bool ok = Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json,
                            /*strict=*/true);
  if (!ok || root.is_discarded()) {
    return absl::InvalidArgumentError(sax.error().empty() ? "not valid JSON" : sax.error());
  }
  return root;
}

void AppendQuotedString(std::string* out, absl::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (c < 0x80) {
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        case '<':
        case '>':
        case '&':
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
          break;
        default:
          if (c < 0x20) {
            out->append("\\u00");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 0xf]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t n = Utf8Len(s, i, &cp);
    if (n == 0) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      out->append(cp == 0x2028 ? "\\u2028" : "\\u2029");
    } else {
      out->append(s.data() + i, n);
    }
    i += n;
  }
  out->push_back('"');
}

std::string WriteJson(const Json& value, JsonFormat format) {
  std::string out;
  Write(&out, value, format == JsonFormat::kIndented, 0);
  return out;
}

Json RawToJson(const std::string& raw) {
  absl::StatusOr<Json> v = ParseJson(raw);
  return v.ok() ? *std::move(v) : Json(nullptr);
}

absl::Status PathError(absl::string_view path, absl::string_view message) {
  if (path.empty()) return absl::InvalidArgumentError(message);
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

std::string IndexPath(absl::string_view path, size_t i) { return absl::StrCat(path, "[", i, "]"); }

absl::Status InDocument(const absl::Status& status, absl::string_view document) {
  return base::Annotate(status, document);
}

bool IsValidMediaType(absl::string_view media_type) {
  size_t slash = media_type.find('/');
  if (slash == absl::string_view::npos) return false;
  return IsRestrictedName(media_type.substr(0, slash)) &&
         IsRestrictedName(media_type.substr(slash + 1));
}

// --- ObjectReader ---

absl::StatusOr<ObjectReader> ObjectReader::Make(const Json& value, std::string path) {
  if (!value.is_object()) {
    return PathError(path, absl::StrCat("expected an object, got ", TypeName(value)));
  }
  return ObjectReader(&value, std::move(path));
}

std::string ObjectReader::PathOf(absl::string_view key) const {
  return path_.empty() ? std::string(key) : absl::StrCat(path_, ".", key);
}

absl::Status ObjectReader::Error(absl::string_view key, absl::string_view message) const {
  return PathError(PathOf(key), message);
}

bool ObjectReader::Has(absl::string_view key) const {
  return value_->find(std::string(key)) != value_->end();
}

const Json* ObjectReader::Get(absl::string_view key) {
  auto it = value_->find(std::string(key));
  if (it == value_->end()) return nullptr;
  read_.insert(std::string(key));
  return &*it;
}

absl::Status ObjectReader::String(absl::string_view key, std::string* out, bool required) {
  const Json* v = Get(key);
  if (v == nullptr) return required ? Error(key, "required member is missing") : absl::OkStatus();
  if (!v->is_string()) return Error(key, absl::StrCat("expected a string, got ", TypeName(*v)));
  *out = v->get<std::string>();
  return absl::OkStatus();
}

absl::Status ObjectReader::Int64(absl::string_view key, int64_t* out, bool required) {
  const Json* v = Get(key);
  if (v == nullptr) return required ? Error(key, "required member is missing") : absl::OkStatus();
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return Error(key, "integer out of range");
    *out = static_cast<int64_t>(u);
    return absl::OkStatus();
  }
  if (v->is_number_integer()) {
    *out = v->get<int64_t>();
    return absl::OkStatus();
  }
  return Error(key, absl::StrCat("expected an integer, got ", TypeName(*v)));
}

absl::Status ObjectReader::Bool(absl::string_view key, bool* out) {
  const Json* v = Get(key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_boolean()) return Error(key, absl::StrCat("expected a boolean, got ", TypeName(*v)));
  *out = v->get<bool>();
  return absl::OkStatus();
}

absl::Status ObjectReader::Digest(absl::string_view key, oci::Digest* out, bool required) {
  std::string text;
  const bool present = Has(key);
  RETURN_IF_ERROR(String(key, &text, required));
  if (!present) return absl::OkStatus();
  absl::StatusOr<oci::Digest> d = oci::Digest::Parse(text);
  if (!d.ok()) return Error(key, d.status().message());
  *out = *std::move(d);
  return absl::OkStatus();
}

absl::Status ObjectReader::StringArray(absl::string_view key, std::vector<std::string>* out) {
  std::optional<std::vector<std::string>> v;
  RETURN_IF_ERROR(OptionalStringArray(key, &v));
  if (v.has_value()) *out = *std::move(v);
  return absl::OkStatus();
}

absl::Status ObjectReader::OptionalStringArray(absl::string_view key,
                                               std::optional<std::vector<std::string>>* out) {
  const Json* v = Get(key);
  if (v == nullptr || v->is_null()) {
    out->reset();
    return absl::OkStatus();
  }
  if (!v->is_array()) return Error(key, absl::StrCat("expected an array, got ", TypeName(*v)));
  std::vector<std::string> items;
  items.reserve(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& e = (*v)[i];
    if (!e.is_string()) {
      return PathError(IndexPath(PathOf(key), i),
                       absl::StrCat("expected a string, got ", TypeName(e)));
    }
    items.push_back(e.get<std::string>());
  }
  *out = std::move(items);
  return absl::OkStatus();
}

absl::Status ObjectReader::StringMap(absl::string_view key, std::map<std::string, std::string>* out) {
  const Json* v = Get(key);
  out->clear();
  if (v == nullptr || v->is_null()) return absl::OkStatus();
  if (!v->is_object()) return Error(key, absl::StrCat("expected an object, got ", TypeName(*v)));
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) {
      return PathError(absl::StrCat(PathOf(key), ".", it.key()),
                       absl::StrCat("expected a string, got ", TypeName(it.value())));
    }
    (*out)[it.key()] = it.value().get<std::string>();
  }
  return absl::OkStatus();
}

absl::Status ObjectReader::KeySet(absl::string_view key, std::set<std::string>* out) {
  const Json* v = Get(key);
  out->clear();
  if (v == nullptr || v->is_null()) return absl::OkStatus();
  if (!v->is_object()) return Error(key, absl::StrCat("expected an object, got ", TypeName(*v)));
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_object()) {
      return PathError(absl::StrCat(PathOf(key), ".", it.key()),
                       absl::StrCat("expected an object ({}), got ", TypeName(it.value())));
    }
    out->insert(it.key());
  }
  return absl::OkStatus();
}

std::map<std::string, std::string> ObjectReader::Unknown() const {
  std::map<std::string, std::string> unknown;
  for (auto it = value_->begin(); it != value_->end(); ++it) {
    if (read_.count(it.key()) == 0) unknown[it.key()] = WriteJson(it.value());
  }
  return unknown;
}

void AppendUnknown(Json* object, const std::map<std::string, std::string>& unknown) {
  for (const auto& [name, raw] : unknown) {
    if (object->contains(name)) continue;  // a known member always wins
    (*object)[name] = RawToJson(raw);
  }
}

// --- Descriptor / Platform ---

absl::StatusOr<Platform> DecodePlatform(const Json& value, const std::string& path) {
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(value, path));
  Platform p;
  RETURN_IF_ERROR(r.String("architecture", &p.architecture, /*required=*/true));
  RETURN_IF_ERROR(r.String("os", &p.os, /*required=*/true));
  RETURN_IF_ERROR(r.String("os.version", &p.os_version));
  RETURN_IF_ERROR(r.StringArray("os.features", &p.os_features));
  RETURN_IF_ERROR(r.String("variant", &p.variant));
  p.unknown_fields = r.Unknown();
  return p;
}

Json EncodePlatform(const Platform& p) {
  Json o = Json::object();
  o["architecture"] = p.architecture;
  o["os"] = p.os;
  if (!p.os_version.empty()) o["os.version"] = p.os_version;
  if (!p.os_features.empty()) o["os.features"] = p.os_features;
  if (!p.variant.empty()) o["variant"] = p.variant;
  AppendUnknown(&o, p.unknown_fields);
  return o;
}

absl::StatusOr<Descriptor> DecodeDescriptor(const Json& value, const std::string& path) {
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(value, path));
  Descriptor d;
  RETURN_IF_ERROR(r.String("mediaType", &d.media_type, /*required=*/true));
  if (!IsValidMediaType(d.media_type)) {
    return PathError(r.PathOf("mediaType"),
                     absl::StrCat("`", d.media_type, "` is not a valid media type (type/subtype)"));
  }
  RETURN_IF_ERROR(r.Digest("digest", &d.digest, /*required=*/true));
  RETURN_IF_ERROR(r.Int64("size", &d.size, /*required=*/true));
  if (d.size < 0) return PathError(r.PathOf("size"), absl::StrCat("negative size ", d.size));
  RETURN_IF_ERROR(r.StringArray("urls", &d.urls));
  for (size_t i = 0; i < d.urls.size(); ++i) {
    if (!IsAbsoluteUri(d.urls[i])) {
      return PathError(IndexPath(r.PathOf("urls"), i),
                       absl::StrCat("`", d.urls[i], "` is not an absolute URI"));
    }
  }
  RETURN_IF_ERROR(r.StringMap("annotations", &d.annotations));
  RETURN_IF_ERROR(r.String("data", &d.data));
  if (!IsBase64Std(d.data)) {
    return PathError(r.PathOf("data"), "not standard base64 with padding");
  }
  if (const Json* p = r.Get("platform"); p != nullptr) {
    ASSIGN_OR_RETURN(d.platform, DecodePlatform(*p, r.PathOf("platform")));
  }
  RETURN_IF_ERROR(r.String("artifactType", &d.artifact_type));
  if (r.Has("artifactType") && !IsValidMediaType(d.artifact_type)) {
    return PathError(r.PathOf("artifactType"),
                     absl::StrCat("`", d.artifact_type, "` is not a valid media type"));
  }
  d.unknown_fields = r.Unknown();
  return d;
}

Json EncodeDescriptor(const Descriptor& d) {
  Json o = Json::object();
  o["mediaType"] = d.media_type;
  o["digest"] = d.digest.str();
  o["size"] = d.size;
  if (!d.urls.empty()) o["urls"] = d.urls;
  if (!d.annotations.empty()) o["annotations"] = d.annotations;
  if (!d.data.empty()) o["data"] = d.data;
  if (d.platform.has_value()) o["platform"] = EncodePlatform(*d.platform);
  if (!d.artifact_type.empty()) o["artifactType"] = d.artifact_type;
  AppendUnknown(&o, d.unknown_fields);
  return o;
}

}  // namespace json

absl::StatusOr<Descriptor> ParseDescriptor(absl::string_view text) {
  absl::StatusOr<json::Json> v = json::ParseJson(text);
  if (!v.ok()) return json::InDocument(v.status(), "descriptor");
  absl::StatusOr<Descriptor> d = json::DecodeDescriptor(*v, "");
  if (!d.ok()) return json::InDocument(d.status(), "descriptor");
  return d;
}

std::string EncodeDescriptor(const Descriptor& d, JsonFormat format) {
  return json::WriteJson(json::EncodeDescriptor(d), format);
}

}  // namespace oci
