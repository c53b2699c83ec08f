// Flags: an instruction's `--name=value` words checked against what it accepts, with BuildKit's
// rules (BFlags): unknown, duplicate and value-less flags are errors. Internal to
// builder/instructions.
#ifndef SLIPWAY_BUILDER_INSTRUCTIONS_FLAGS_H_
#define SLIPWAY_BUILDER_INSTRUCTIONS_FLAGS_H_

#include <optional>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/ascii.h"
#include "absl/types/span.h"
#include "builder/instructions/instructions.h"
#include "builder/shell/unicode.h"

namespace builder::instructions {

// --------------------------------------------------------------------------------------------
// Flags (BuildKit's BFlags).
enum class FlagKind { kString, kBool, kList };

struct FlagSpec {
  absl::string_view name;  // a string literal
  FlagKind kind;
};

// The flags one instruction accepts and the values it was given. Every instruction builds one and
// most are given no flags, so the values exist only once a flag is seen (until then lookups are
// answered without searching).
class Flags {
 public:
  // `spec` must outlive the Flags (a static array).
  Flags(absl::string_view instruction, absl::Span<const FlagSpec> spec)
      : instruction_(instruction), spec_(spec) {}

  absl::Status Parse(Words raw) {
    for (absl::string_view arg : raw) {
      if (!absl::StartsWith(arg, "--")) {
        return absl::InvalidArgumentError(
            absl::StrCat("Arg ", shell::GoQuote(arg), " doesn't appear to be a flag"));
      }
      absl::string_view body = arg.substr(2);
      size_t eq = body.find('=');
      bool has_value = eq != absl::string_view::npos;
      absl::string_view name = has_value ? body.substr(0, eq) : body;
      absl::string_view value = has_value ? body.substr(eq + 1) : absl::string_view();
      int index = Index(name);
      if (index < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown flag: --", name, " (", instruction_, " accepts ",
                         Accepted(), ")"));
      }
      if (values_.empty()) values_.resize(spec_.size());
      Value& val = values_[index];
      FlagKind kind = spec_[index].kind;
      if (kind == FlagKind::kBool) {
        std::string v = absl::AsciiStrToLower(value);
        if (has_value && v != "true" && v != "false") {
          return absl::InvalidArgumentError(absl::StrCat(
              "expecting boolean value for flag ", name, ", not: ", value));
        }
        if (val.has_bool) {
          return absl::InvalidArgumentError(absl::StrCat("Duplicate flag specified: ", name));
        }
        val.has_bool = true;
        val.bool_value = !has_value || v == "true";
        continue;
      }
      if (!has_value) {
        return absl::InvalidArgumentError(absl::StrCat("Missing a value on flag: ", name));
      }
      if (kind == FlagKind::kString && !val.strings.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("Duplicate flag specified: ", name));
      }
      val.strings.push_back(value);
    }
    return absl::OkStatus();
  }

  absl::string_view String(absl::string_view name) const {
    const Value* v = Find(name);
    return v == nullptr || v->strings.empty() ? absl::string_view() : v->strings[0];
  }
  bool Has(absl::string_view name) const {
    const Value* v = Find(name);
    return v != nullptr && (v->has_bool || !v->strings.empty());
  }
  Words List(absl::string_view name) const {
    const Value* v = Find(name);
    return v == nullptr ? Words() : Words(v->strings);
  }
  std::optional<bool> Bool(absl::string_view name) const {
    const Value* v = Find(name);
    if (v == nullptr || !v->has_bool) return std::nullopt;
    return v->bool_value;
  }

 private:
  struct Value {
    bool has_bool = false;
    bool bool_value = false;
    absl::InlinedVector<absl::string_view, 1> strings;  // string and list flags (views of words)
  };

  int Index(absl::string_view name) const {
    for (size_t i = 0; i < spec_.size(); ++i) {
      if (spec_[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }
  const Value* Find(absl::string_view name) const {
    if (values_.empty()) return nullptr;  // no flag given
    int i = Index(name);
    return i < 0 ? nullptr : &values_[i];
  }
  std::string Accepted() const {
    if (spec_.empty()) return "no flags";
    std::vector<std::string> names;
    for (size_t i = 0; i < spec_.size(); ++i) names.push_back(absl::StrCat("--", spec_[i].name));
    return absl::StrJoin(names, ", ");
  }
  absl::string_view instruction_;
  absl::Span<const FlagSpec> spec_;
  // One per spec entry once a flag is given, else empty (no instruction takes more than 8).
  absl::InlinedVector<Value, 8> values_;
};

}  // namespace builder::instructions

#endif  // SLIPWAY_BUILDER_INSTRUCTIONS_FLAGS_H_
