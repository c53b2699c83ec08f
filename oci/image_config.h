// The OCI image configuration (application/vnd.oci.image.config.v1+json, also Docker's
// application/vnd.docker.container.image.v1+json), with strict decoding, deterministic encoding and
// round-tripping of members we do not model (at the top level and inside `config`).
#ifndef SLIPWAY_OCI_IMAGE_CONFIG_H_
#define SLIPWAY_OCI_IMAGE_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "oci/descriptor.h"
#include "oci/digest.h"

namespace oci {

struct HealthConfig {
  std::vector<std::string> test;  // ["NONE"], ["CMD", …], ["CMD-SHELL", "…"]
  int64_t interval_ns = 0;
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int64_t start_interval_ns = 0;
  int retries = 0;
  std::map<std::string, std::string> unknown_fields;  // name -> raw JSON
};

// The `config` member: how to run a container from the image.
struct ContainerConfig {
  std::string user;
  std::set<std::string> exposed_ports;  // "80/tcp"
  std::vector<std::string> env;         // "K=V", in order
  std::optional<std::vector<std::string>> entrypoint;  // nullopt = not set; {} = set to empty
  std::optional<std::vector<std::string>> cmd;
  std::set<std::string> volumes;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::optional<std::vector<std::string>> shell;  // Docker extension (SHELL instruction)
  std::optional<HealthConfig> healthcheck;         // Docker extension
  std::vector<std::string> on_build;               // Docker extension (ONBUILD triggers)
  std::map<std::string, std::string> unknown_fields;  // name -> raw JSON
};

struct HistoryEntry {
  std::string created;  // RFC 3339, empty if unset
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
  std::map<std::string, std::string> unknown_fields;  // name -> raw JSON
};

struct ImageConfig {
  std::string created;  // RFC 3339 (e.g. "1970-01-01T00:00:00Z"), empty if unset
  std::string author;
  std::string architecture;
  std::string os;
  std::string variant;
  std::string os_version;
  std::vector<std::string> os_features;
  ContainerConfig config;
  std::vector<Digest> diff_ids;  // rootfs.diff_ids, in layer order (rootfs.type is "layers")
  std::vector<HistoryEntry> history;
  std::map<std::string, std::string> unknown_fields;  // name -> raw JSON

  // Strict: architecture, os and rootfs are required, rootfs.type must be "layers", every Env
  // entry must look like NAME=VALUE, types must match. `Cmd`/`Entrypoint`/`Shell` absent or null
  // give nullopt (as Docker treats them), `[]` gives an empty vector.
  static absl::StatusOr<ImageConfig> Parse(absl::string_view json);
  // Deterministic encoding that reproduces what BuildKit writes:
  //  - top-level members (known and unknown together) sorted by name, as BuildKit re-marshals the
  //    config as a Go map;
  //  - inside `config`: if unknown_fields has `Hostname` the object came from Docker's
  //    container.Config (which never omits its fields): members follow that struct's order, known
  //    empty ones are written as "" / null, and unknown members that are container.Config fields sit
  //    at their struct position. Otherwise the OCI ImageConfig order (User, ExposedPorts, Env,
  //    Entrypoint, Cmd, Volumes, WorkingDir, Labels, StopSignal, ArgsEscaped, then Docker's
  //    Healthcheck, OnBuild, Shell) with empty members omitted. Either way, remaining unknown
  //    members follow, sorted. An Entrypoint/Cmd/Shell set to empty is written as [] (Go would
  //    drop it, losing the "reset" meaning);
  //  - history entries: created, created_by, author, comment, empty_layer, then unknown sorted.
  std::string Encode(JsonFormat format = JsonFormat::kCompact) const;
};

}  // namespace oci

#endif  // SLIPWAY_OCI_IMAGE_CONFIG_H_
