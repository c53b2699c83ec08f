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
// most are given no flags, so a value exists only for a flag that was given: a lookup compares
// the name with those few (usually none or one), not with every flag the instruction accepts.
class Flags {
 public:
  // `spec` must outlive the Flags (a static array).
  Flags(absl::string_view instruction, absl::Span<const FlagSpec> spec)
      : instruction_(instruction), spec_(spec) {}

  // Most instructions are given no flags: nothing to do then, without a call.
  absl::Status Parse(Words raw) { return raw.empty() ? absl::OkStatus() : ParseGiven(raw); }

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
    const FlagSpec* spec = nullptr;  // the flag given
    bool has_bool = false;
    bool bool_value = false;
    absl::InlinedVector<absl::string_view, 1> strings;  // string and list flags (views of words)
  };

  absl::Status ParseGiven(Words raw) {
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
      const FlagSpec* spec = SpecOf(name);
      if (spec == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown flag: --", name, " (", instruction_, " accepts ",
                         Accepted(), ")"));
      }
      Value& val = ValueOf(spec);
      if (spec->kind == FlagKind::kBool) {
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
      if (spec->kind == FlagKind::kString && !val.strings.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("Duplicate flag specified: ", name));
      }
      val.strings.push_back(value);
    }
    return absl::OkStatus();
  }

  // Spec names are not empty: the first byte rules most names out without a memcmp call.
  static bool SameName(absl::string_view spec_name, absl::string_view name) {
    return spec_name.size() == name.size() && spec_name[0] == name[0] && spec_name == name;
  }
  const FlagSpec* SpecOf(absl::string_view name) const {
    for (const FlagSpec& s : spec_) {
      if (SameName(s.name, name)) return &s;
    }
    return nullptr;
  }
  // The value of the flag `spec`, added (empty) when it is given for the first time.
  Value& ValueOf(const FlagSpec* spec) {
    for (Value& v : values_) {
      if (v.spec == spec) return v;
    }
    Value& v = values_.emplace_back();
    v.spec = spec;
    return v;
  }
  const Value* Find(absl::string_view name) const {
    for (const Value& v : values_) {
      if (SameName(v.spec->name, name)) return &v;
    }
    return nullptr;
  }
  std::string Accepted() const {
    if (spec_.empty()) return "no flags";
    std::vector<std::string> names;
    for (size_t i = 0; i < spec_.size(); ++i) names.push_back(absl::StrCat("--", spec_[i].name));
    return absl::StrJoin(names, ", ");
  }
  absl::string_view instruction_;
  absl::Span<const FlagSpec> spec_;
  // The flags given, in the order they were first given (no instruction accepts more than 8).
  absl::InlinedVector<Value, 8> values_;
};

}  // namespace builder::instructions

#endif  // SLIPWAY_BUILDER_INSTRUCTIONS_FLAGS_H_
