// ImageConfig: strict decoding and deterministic encoding that reproduces BuildKit's bytes.
#include "oci/image_config.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "oci/json_codec.h"

namespace oci {
namespace {

using json::Json;
using json::ObjectReader;
using json::PathError;

// Member order of Docker's container.Config struct (api/types/container), which Docker writes
// without omitting empty members.
constexpr absl::string_view kDockerConfigOrder[] = {
    "Hostname",   "Domainname",  "User",           "AttachStdin",     "AttachStdout",
    "AttachStderr", "ExposedPorts", "Tty",         "OpenStdin",       "StdinOnce",
    "Env",        "Cmd",         "Healthcheck",    "ArgsEscaped",     "Image",
    "Volumes",    "WorkingDir",  "Entrypoint",     "NetworkDisabled", "MacAddress",
    "OnBuild",    "Labels",      "StopSignal",     "StopTimeout",     "Shell"};

// Member order of image-spec's ImageConfig followed by Docker's DockerOCIImageConfigExt.
constexpr absl::string_view kOciConfigOrder[] = {
    "User",       "ExposedPorts", "Env",    "Entrypoint",  "Cmd",     "Volumes", "WorkingDir",
    "Labels",     "StopSignal",   "ArgsEscaped", "Healthcheck", "OnBuild", "Shell"};

absl::StatusOr<HealthConfig> DecodeHealth(const Json& v, const std::string& path) {
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(v, path));
  HealthConfig h;
  RETURN_IF_ERROR(r.StringArray("Test", &h.test));
  RETURN_IF_ERROR(r.Int64("Interval", &h.interval_ns));
  RETURN_IF_ERROR(r.Int64("Timeout", &h.timeout_ns));
  RETURN_IF_ERROR(r.Int64("StartPeriod", &h.start_period_ns));
  RETURN_IF_ERROR(r.Int64("StartInterval", &h.start_interval_ns));
  int64_t retries = 0;
  RETURN_IF_ERROR(r.Int64("Retries", &retries));
  if (retries < std::numeric_limits<int>::min() || retries > std::numeric_limits<int>::max()) {
    return PathError(r.PathOf("Retries"), "integer out of range");
  }
  h.retries = static_cast<int>(retries);
  h.unknown_fields = r.Unknown();
  return h;
}

Json EncodeHealth(const HealthConfig& h) {
  Json o = Json::object();
  if (!h.test.empty()) o["Test"] = h.test;
  if (h.interval_ns != 0) o["Interval"] = h.interval_ns;
  if (h.timeout_ns != 0) o["Timeout"] = h.timeout_ns;
  if (h.start_period_ns != 0) o["StartPeriod"] = h.start_period_ns;
  if (h.start_interval_ns != 0) o["StartInterval"] = h.start_interval_ns;
  if (h.retries != 0) o["Retries"] = h.retries;
  json::AppendUnknown(&o, h.unknown_fields);
  return o;
}

absl::StatusOr<ContainerConfig> DecodeContainerConfig(const Json& v, const std::string& path) {
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(v, path));
  ContainerConfig c;
  RETURN_IF_ERROR(r.String("User", &c.user));
  RETURN_IF_ERROR(r.KeySet("ExposedPorts", &c.exposed_ports));
  RETURN_IF_ERROR(r.StringArray("Env", &c.env));
  for (size_t i = 0; i < c.env.size(); ++i) {
    const std::string& e = c.env[i];
    size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0) {
      return PathError(json::IndexPath(r.PathOf("Env"), i),
                       absl::StrCat("`", e, "` is not of the form NAME=VALUE"));
    }
  }
  RETURN_IF_ERROR(r.OptionalStringArray("Entrypoint", &c.entrypoint));
  RETURN_IF_ERROR(r.OptionalStringArray("Cmd", &c.cmd));
  RETURN_IF_ERROR(r.KeySet("Volumes", &c.volumes));
  RETURN_IF_ERROR(r.String("WorkingDir", &c.working_dir));
  RETURN_IF_ERROR(r.StringMap("Labels", &c.labels));
  RETURN_IF_ERROR(r.String("StopSignal", &c.stop_signal));
  RETURN_IF_ERROR(r.OptionalStringArray("Shell", &c.shell));
  if (const Json* h = r.Get("Healthcheck"); h != nullptr && !h->is_null()) {
    ASSIGN_OR_RETURN(c.healthcheck, DecodeHealth(*h, r.PathOf("Healthcheck")));
  }
  RETURN_IF_ERROR(r.StringArray("OnBuild", &c.on_build));
  c.unknown_fields = r.Unknown();
  return c;
}

Json KeySetJson(const std::set<std::string>& keys) {
  Json o = Json::object();
  for (const std::string& k : keys) o[k] = Json::object();
  return o;
}

Json EncodeContainerConfig(const ContainerConfig& c) {
  const bool docker = c.unknown_fields.count("Hostname") > 0;
  // Known members that are present, by name. In Docker mode, members Docker never omits are
  // written even when empty, with Go's nil representation (null).
  std::map<std::string, Json> known;
  auto strings_or_null = [](const std::vector<std::string>& v) {
    return v.empty() ? Json(nullptr) : Json(v);
  };
  if (docker || !c.user.empty()) known["User"] = c.user;
  if (!c.exposed_ports.empty()) known["ExposedPorts"] = KeySetJson(c.exposed_ports);
  if (docker || !c.env.empty()) known["Env"] = strings_or_null(c.env);
  if (c.entrypoint.has_value()) {
    known["Entrypoint"] = *c.entrypoint;
  } else if (docker) {
    known["Entrypoint"] = nullptr;
  }
  if (c.cmd.has_value()) {
    known["Cmd"] = *c.cmd;
  } else if (docker) {
    known["Cmd"] = nullptr;
  }
  if (!c.volumes.empty()) {
    known["Volumes"] = KeySetJson(c.volumes);
  } else if (docker) {
    known["Volumes"] = nullptr;
  }
  if (docker || !c.working_dir.empty()) known["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) {
    known["Labels"] = c.labels;
  } else if (docker) {
    known["Labels"] = nullptr;
  }
  if (!c.stop_signal.empty()) known["StopSignal"] = c.stop_signal;
  if (c.shell.has_value()) known["Shell"] = *c.shell;
  if (c.healthcheck.has_value()) known["Healthcheck"] = EncodeHealth(*c.healthcheck);
  if (docker || !c.on_build.empty()) known["OnBuild"] = strings_or_null(c.on_build);

  Json o = Json::object();
  std::set<std::string> placed;
  auto place = [&](absl::string_view name) {
    std::string key(name);
    if (auto it = known.find(key); it != known.end()) {
      o[key] = it->second;
      placed.insert(key);
    } else if (auto u = c.unknown_fields.find(key); u != c.unknown_fields.end()) {
      o[key] = json::RawToJson(u->second);
      placed.insert(key);
    }
  };
  if (docker) {
    for (absl::string_view name : kDockerConfigOrder) place(name);
  } else {
    for (absl::string_view name : kOciConfigOrder) place(name);
  }
  // Known members outside the chosen order cannot exist (both orders list them all); unknown ones
  // follow, sorted.
  for (const auto& [name, raw] : c.unknown_fields) {
    if (placed.count(name) == 0) o[name] = json::RawToJson(raw);
  }
  return o;
}

absl::StatusOr<HistoryEntry> DecodeHistory(const Json& v, const std::string& path) {
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(v, path));
  HistoryEntry h;
  RETURN_IF_ERROR(r.String("created", &h.created));
  RETURN_IF_ERROR(r.String("created_by", &h.created_by));
  RETURN_IF_ERROR(r.String("author", &h.author));
  RETURN_IF_ERROR(r.String("comment", &h.comment));
  RETURN_IF_ERROR(r.Bool("empty_layer", &h.empty_layer));
  h.unknown_fields = r.Unknown();
  return h;
}

Json EncodeHistory(const HistoryEntry& h) {
  Json o = Json::object();
  if (!h.created.empty()) o["created"] = h.created;
  if (!h.created_by.empty()) o["created_by"] = h.created_by;
  if (!h.author.empty()) o["author"] = h.author;
  if (!h.comment.empty()) o["comment"] = h.comment;
  if (h.empty_layer) o["empty_layer"] = true;
  json::AppendUnknown(&o, h.unknown_fields);
  return o;
}

absl::StatusOr<ImageConfig> DecodeImageConfig(const Json& root) {
  ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Make(root, ""));
  ImageConfig ic;
  RETURN_IF_ERROR(r.String("created", &ic.created));
  RETURN_IF_ERROR(r.String("author", &ic.author));
  RETURN_IF_ERROR(r.String("architecture", &ic.architecture, /*required=*/true));
  RETURN_IF_ERROR(r.String("os", &ic.os, /*required=*/true));
  RETURN_IF_ERROR(r.String("variant", &ic.variant));
  RETURN_IF_ERROR(r.String("os.version", &ic.os_version));
  RETURN_IF_ERROR(r.StringArray("os.features", &ic.os_features));
  if (const Json* c = r.Get("config"); c != nullptr && !c->is_null()) {
    ASSIGN_OR_RETURN(ic.config, DecodeContainerConfig(*c, "config"));
  }
  const Json* rootfs = r.Get("rootfs");
  if (rootfs == nullptr) return PathError("rootfs", "required member is missing");
  {
    ASSIGN_OR_RETURN(ObjectReader rr, ObjectReader::Make(*rootfs, "rootfs"));
    std::string type;
    RETURN_IF_ERROR(rr.String("type", &type, /*required=*/true));
    if (type != "layers") {
      return PathError("rootfs.type", absl::StrCat("must be `layers`, got `", type, "`"));
    }
    const Json* ids = rr.Get("diff_ids");
    if (ids == nullptr) return PathError("rootfs.diff_ids", "required member is missing");
    if (!ids->is_array()) return PathError("rootfs.diff_ids", "expected an array");
    for (size_t i = 0; i < ids->size(); ++i) {
      const Json& e = (*ids)[i];
      std::string p = json::IndexPath("rootfs.diff_ids", i);
      if (!e.is_string()) return PathError(p, "expected a string");
      absl::StatusOr<Digest> d = Digest::Parse(e.get<std::string>());
      if (!d.ok()) return PathError(p, d.status().message());
      ic.diff_ids.push_back(*std::move(d));
    }
    std::map<std::string, std::string> unknown = rr.Unknown();
    if (!unknown.empty()) {
      return PathError(rr.PathOf(unknown.begin()->first), "unexpected member in rootfs");
    }
  }
  if (const Json* h = r.Get("history"); h != nullptr && !h->is_null()) {
    if (!h->is_array()) return PathError("history", "expected an array");
    for (size_t i = 0; i < h->size(); ++i) {
      ASSIGN_OR_RETURN(HistoryEntry e, DecodeHistory((*h)[i], json::IndexPath("history", i)));
      ic.history.push_back(std::move(e));
    }
  }
  ic.unknown_fields = r.Unknown();
  return ic;
}

}  // namespace

absl::StatusOr<ImageConfig> ImageConfig::Parse(absl::string_view text) {
  absl::StatusOr<Json> root = json::ParseJson(text);
  if (!root.ok()) return json::InDocument(root.status(), "image config");
  absl::StatusOr<ImageConfig> ic = DecodeImageConfig(*root);
  if (!ic.ok()) return json::InDocument(ic.status(), "image config");
  return ic;
}

std::string ImageConfig::Encode(JsonFormat format) const {
  // Top level: known and unknown members together, sorted by name (a Go map's order).
  std::map<std::string, Json> members;
  for (const auto& [name, raw] : unknown_fields) members[name] = json::RawToJson(raw);
  members["architecture"] = architecture;
  if (!author.empty()) members["author"] = author;
  members["config"] = EncodeContainerConfig(config);
  if (!created.empty()) members["created"] = created;
  if (!history.empty()) {
    Json h = Json::array();
    for (const HistoryEntry& e : history) h.push_back(EncodeHistory(e));
    members["history"] = std::move(h);
  }
  members["os"] = os;
  if (!os_features.empty()) members["os.features"] = os_features;
  if (!os_version.empty()) members["os.version"] = os_version;
  Json rootfs = Json::object();
  rootfs["type"] = "layers";
  Json ids = Json::array();
  for (const Digest& d : diff_ids) ids.push_back(d.str());
  rootfs["diff_ids"] = std::move(ids);
  members["rootfs"] = std::move(rootfs);
  if (!variant.empty()) members["variant"] = variant;

  Json o = Json::object();
  for (auto& [name, value] : members) o[name] = std::move(value);
  return json::WriteJson(o, format);
}

}  // namespace oci
