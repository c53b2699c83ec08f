#include "pusher/mirrors.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/env.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace pusher {
namespace {

absl::StatusOr<std::vector<MirrorEndpoint>> ParseList(const nlohmann::json& list,
                                                      const std::string& where) {
  if (!list.is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": want a list of mirror URLs"));
  }
  std::vector<MirrorEndpoint> out;
  for (const auto& v : list) {
    if (!v.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": mirror entries must be strings"));
    }
    absl::string_view url = v.get_ref<const std::string&>();
    MirrorEndpoint e;
    if (absl::ConsumePrefix(&url, "https://")) {
      e.scheme = "https";
    } else if (absl::ConsumePrefix(&url, "http://")) {
      e.scheme = "http";
    } else {
      e.scheme = "https";
    }
    url = absl::StripSuffix(url, "/");
    if (url.empty() || absl::StrContains(url, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": `", v.get<std::string>(), "` is not a registry URL"));
    }
    e.host = std::string(url);
    out.push_back(e);
  }
  return out;
}

}  // namespace

RegistryMirrors MirrorConfig::For(const std::string& registry) const {
  auto it = registries.find(registry);
  return it == registries.end() ? RegistryMirrors() : it->second;
}

std::string DefaultConfigPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg != '\0') return absl::StrCat(xdg, "/slipway/config.json");
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "", "/.config/slipway/config.json");
}

absl::StatusOr<MirrorConfig> ParseMirrorConfig(const std::string& text, const std::string& path) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("`", path, "` is not a JSON object"));
  }
  MirrorConfig config;
  if (doc.contains("registry-mirrors")) {
    ASSIGN_OR_RETURN(config.registries["docker.io"].mirrors,
                     ParseList(doc["registry-mirrors"], absl::StrCat(path, ": registry-mirrors")));
  }
  if (doc.contains("insecure-registries") && doc["insecure-registries"].is_array()) {
    for (const auto& v : doc["insecure-registries"]) {
      if (v.is_string()) config.insecure_registries.insert(v.get<std::string>());
    }
  }
  if (doc.contains("registries")) {
    if (!doc["registries"].is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": registries: want an object"));
    }
    for (const auto& [name, entry] : doc["registries"].items()) {
      std::string where = absl::StrCat(path, ": registries.", name);
      if (!entry.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, ": want an object"));
      RegistryMirrors& r = config.registries[name];
      if (entry.contains("registry-mirrors")) {
        ASSIGN_OR_RETURN(r.mirrors, ParseList(entry["registry-mirrors"],
                                              absl::StrCat(where, ".registry-mirrors")));
      }
      if (entry.contains("no-fallback")) {
        if (!entry["no-fallback"].is_boolean()) {
          return absl::InvalidArgumentError(absl::StrCat(where, ".no-fallback: want true or false"));
        }
        r.no_fallback = entry["no-fallback"].get<bool>();
      }
    }
  }
  return config;
}

absl::StatusOr<MirrorConfig> LoadMirrorConfig(const std::string& path) {
  base::Env* env = base::Env::Default();
  if (!env->Exists(path)) return MirrorConfig();
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  return ParseMirrorConfig(text, path);
}

}  // namespace pusher
