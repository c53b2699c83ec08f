#include "tools/cli/flags.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "tools/cli/command.h"

namespace cli {

void FlagSet::String(const std::string& name, char short_name, std::string* out) {
  flags_.push_back({name, short_name, false, [out](absl::string_view v) {
                      *out = std::string(v);
                      return absl::OkStatus();
                    }});
}

void FlagSet::Repeated(const std::string& name, char short_name, std::vector<std::string>* out) {
  flags_.push_back({name, short_name, false, [out](absl::string_view v) {
                      out->emplace_back(v);
                      return absl::OkStatus();
                    }});
}

void FlagSet::Bool(const std::string& name, char short_name, bool* out) {
  flags_.push_back({name, short_name, true, [out, name](absl::string_view v) {
                      if (v.empty() || v == "true" || v == "1") {
                        *out = true;
                      } else if (v == "false" || v == "0") {
                        *out = false;
                      } else {
                        return UsageError(absl::StrCat("--", name, " takes true or false, not `", v, "`"));
                      }
                      return absl::OkStatus();
                    }});
}

void FlagSet::Int(const std::string& name, char short_name, int64_t* out) {
  flags_.push_back({name, short_name, false, [out, name](absl::string_view v) {
                      if (!absl::SimpleAtoi(v, out)) {
                        return UsageError(absl::StrCat("--", name, " takes a whole number, not `", v, "`"));
                      }
                      return absl::OkStatus();
                    }});
}

void FlagSet::Custom(const std::string& name, char short_name,
                     std::function<absl::Status(absl::string_view)> fn) {
  flags_.push_back({name, short_name, false, std::move(fn)});
}

const FlagSet::Flag* FlagSet::Find(absl::string_view name) const {
  for (const Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FlagSet::Flag* FlagSet::FindShort(char c) const {
  for (const Flag& f : flags_) {
    if (f.short_name != 0 && f.short_name == c) return &f;
  }
  return nullptr;
}

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional.insert(positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    // `-h` is help unless the command gives it a meaning (`run -h NAME`, Docker's --hostname).
    if (arg == "--help" || (arg == "-h" && FindShort('h') == nullptr)) {
      help_ = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      if (stop_at_positional_) {
        positional.insert(positional.end(), args.begin() + i + 1, args.end());
        break;
      }
      continue;
    }
    const Flag* flag = nullptr;
    std::string value;
    bool has_value = false;
    std::string shown;
    if (absl::StartsWith(arg, "--")) {
      absl::string_view body = absl::string_view(arg).substr(2);
      size_t eq = body.find('=');
      absl::string_view name = body.substr(0, eq);
      if (eq != absl::string_view::npos) {
        value = std::string(body.substr(eq + 1));
        has_value = true;
      }
      flag = Find(name);
      shown = absl::StrCat("--", name);
    } else {
      flag = FindShort(arg[1]);
      if (flag != nullptr && flag->is_bool && arg.size() > 2 && arg[2] != '=') {
        // Grouped short flags, as getopt reads them: `-it` is `-i -t`; a flag that takes a value
        // ends the group and takes the rest (`-dp80`) or the next argument.
        for (size_t j = 1; j < arg.size(); ++j) {
          const Flag* f = FindShort(arg[j]);
          std::string name = absl::StrCat("-", std::string(1, arg[j]));
          if (f == nullptr) return UsageError(absl::StrCat("unknown flag: ", name, " (in ", arg, ")"));
          if (f->is_bool) {
            RETURN_IF_ERROR(f->set(""));
            continue;
          }
          std::string v;
          if (j + 1 < arg.size()) {
            v = arg.substr(arg[j + 1] == '=' ? j + 2 : j + 1);
          } else {
            if (i + 1 >= args.size()) return UsageError(absl::StrCat("flag needs a value: ", name));
            v = args[++i];
          }
          RETURN_IF_ERROR(f->set(v));
          break;
        }
        continue;
      }
      // -t VALUE, -tVALUE, -t=VALUE
      shown = arg.substr(0, 2);
      if (arg.size() > 2) {
        value = arg.substr(arg[2] == '=' ? 3 : 2);
        has_value = true;
      }
    }
    if (flag == nullptr) return UsageError(absl::StrCat("unknown flag: ", shown));
    if (!has_value && !flag->is_bool) {
      if (i + 1 >= args.size()) return UsageError(absl::StrCat("flag needs a value: ", shown));
      value = args[++i];
    }
    RETURN_IF_ERROR(flag->set(value));
  }
  return positional;
}

absl::StatusOr<std::vector<std::string>> FlagSet::ParsePositional(
    const std::vector<std::string>& args, size_t min, size_t max, absl::string_view want) {
  ASSIGN_OR_RETURN(std::vector<std::string> positional, Parse(args));
  if (help_) return HelpRequested();
  if (positional.size() < min || positional.size() > max) return UsageError(want);
  return positional;
}

}  // namespace cli
