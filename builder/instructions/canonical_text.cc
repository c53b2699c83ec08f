#include "builder/instructions/canonical_text.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace builder::instructions {

void Text::Grow(size_t more) {
  size_t cap = cap_ < 256 ? 256 : cap_;
  while (cap - size_ < more) cap *= 2;
  std::unique_ptr<char[]> buf(new char[cap]);
  if (size_ > 0) std::memcpy(buf.get(), buf_.get(), size_);
  buf_ = std::move(buf);
  cap_ = cap;
}

void AppendJsonQuoted(absl::string_view s, Text* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append(absl::StrCat("\\u00", absl::Hex(c, absl::kZeroPad2)));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void AppendJsonArray(Words v, Text* out) {
  out->push_back('[');
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonQuoted(v[i], out);
  }
  out->push_back(']');
}

void AppendQuotedWord(absl::string_view s, Text* out) {
  if (s.empty()) {
    out->append("\"\"");
  } else {
    AppendJsonQuoted(s, out);
  }
}

void AppendFlags(absl::Span<const absl::string_view> flags, Text* out) {
  for (absl::string_view f : flags) {
    out->push_back(' ');
    AppendWord(f, out);
  }
}

void AppendFlag(absl::string_view name_eq, absl::string_view value, Text* out) {
  AppendFlagKnown(name_eq, value, NeedsQuotes(value), out);
}

void AppendFlagKnown(absl::string_view name_eq, absl::string_view value, bool value_needs_quotes,
                     Text* out) {
  out->push_back(' ');
  if (!value_needs_quotes && !NeedsQuotes(name_eq)) {
    out->append(name_eq.data(), name_eq.size());
    out->append(value.data(), value.size());
  } else {
    AppendJsonQuoted(absl::StrCat(name_eq, value), out);
  }
}

void AppendHeredocs(absl::Span<const dockerfile::Heredoc> docs, Text* out) {
  for (const dockerfile::Heredoc& h : docs) {
    out->push_back('\n');
    out->append(h.content.data(), h.content.size());
    out->append(h.name.data(), h.name.size());
  }
}

}  // namespace builder::instructions
