// `slipway run`: runs a command in a new container from an image (or an unpacked rootfs).
#include <unistd.h>

#include <iostream>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "runner/cgroup/cgroup.h"
#include "runner/container/container.h"
#include "runner/container/env_file.h"
#include "runner/container/etc_hosts.h"
#include "runner/sandbox/capabilities.h"
#include "runner/sandbox/ulimits.h"
#include "tools/cli/command.h"
#include "tools/cli/flags.h"
#include "tools/cli/image_resolver.h"

namespace cli {
namespace {

constexpr char kUsage[] = R"(Usage: slipway run [OPTIONS] IMAGE [CMD...]
       slipway run [OPTIONS] --rootfs DIR CMD...

Runs CMD (default: the image's ENTRYPOINT and CMD) in a new isolated container and returns its
exit status (128+signal when killed, 124 after --timeout, 137 when killed for memory, 126/127 when
the command cannot be executed).

IMAGE is oci:DIR[:TAG], local:NAME[:TAG], docker-archive:FILE, or a registry reference
(HOST/NAME[:TAG], NAME@sha256:...). A registry reference the local store holds is used from there;
otherwise it is pulled into the local store first (mirrors and credentials as `slipway pull`;
a digest is verified), with progress on stderr.

Options:
  --rm                  remove the container when it exits
  -d, --detach          run in the background and print the container id
  -i, --interactive     pass stdin to the command (without -i its stdin is /dev/null)
  -t, --tty             give the command a terminal (stdout and stderr both come through it);
                        with -i and a terminal on stdin, that terminal is put in raw mode
  --init                run an init as PID 1 that reaps zombies and forwards signals
  -e, --env K=V         set an environment variable (K alone copies it from here); repeatable
  --env-file FILE       read variables from FILE: KEY=VALUE lines (taken verbatim), KEY alone
                        copies it from here, # comments; before -e; repeatable
  -v, --volume SRC:DST[:ro]  bind mount a host path; repeatable
  -w, --workdir DIR     working directory inside the container
  -u, --user USER[:GROUP]  user (name or uid, resolved in the image's /etc/passwd)
  --entrypoint CMD      override the image's ENTRYPOINT (and drop its CMD)
  --name NAME           name the container (for stop/logs/rm)
  -h, --hostname NAME   the container's host name (default: the id's first 12 characters)
  --add-host HOST:IP    add `IP HOST` to the container's /etc/hosts; repeatable
  --network none|host   network: loopback only (default) or the host's
  --memory SIZE         memory limit (64m, 1g)
  --cpus N              CPU limit (1.5 = one and a half CPUs)
  --pids-limit N        maximum number of processes
  --timeout SECONDS     kill the container after this long (SIGTERM, then SIGKILL); exit 124
  --stop-timeout SECONDS  grace between SIGTERM and SIGKILL for --timeout (default 10)
  --read-only           mount the root filesystem read-only
  --cap-add CAP         add a Linux capability to Docker's 14 defaults (NET_ADMIN or
                        CAP_NET_ADMIN, any case; ALL for all); repeatable
  --cap-drop CAP        drop a capability (ALL: every one but those added); repeatable
  --ulimit NAME=SOFT[:HARD]  set a resource limit (core, cpu, data, fsize, locks, memlock,
                        msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack;
                        -1 = unlimited); repeatable
  --security-opt no-new-privileges=false  allow privilege gain through setuid binaries
  --rootfs DIR          run on an unpacked root filesystem instead of an image
  --pull missing|always|never  pull a registry IMAGE when the local store lacks it (default),
                        re-check its tag every time, or never ask a registry
  --insecure-registry HOST  allow plain HTTP / unverified TLS for HOST when pulling (repeatable)
  --config FILE         slipway config with registry mirrors (default ~/.config/slipway/config.json)
)";

int RunRun(const std::vector<std::string>& args) {
  runner::RunOptions o;
  FlagSet flags;
  flags.StopAtPositional();
  std::string entrypoint, network = "none", memory, cpus, security_opt;
  bool entrypoint_set = false;
  int64_t pids = 0, stop_timeout = 10;
  double timeout = 0;
  flags.Bool("rm", 0, &o.remove);
  flags.Bool("detach", 'd', &o.detach);
  flags.Bool("interactive", 'i', &o.interactive);
  flags.Bool("tty", 't', &o.tty);
  std::vector<std::string> env_files, add_hosts, ulimits;
  flags.Repeated("env-file", 0, &env_files);
  flags.String("hostname", 'h', &o.hostname);
  flags.Repeated("add-host", 0, &add_hosts);
  flags.Repeated("cap-add", 0, &o.cap_add);
  flags.Repeated("cap-drop", 0, &o.cap_drop);
  flags.Repeated("ulimit", 0, &ulimits);
  flags.Bool("init", 0, &o.init);
  flags.Repeated("env", 'e', &o.env);
  flags.Repeated("volume", 'v', &o.volumes);
  flags.String("workdir", 'w', &o.workdir);
  flags.String("user", 'u', &o.user);
  flags.String("name", 0, &o.name);
  flags.Custom("entrypoint", 0, [&](absl::string_view v) {
    entrypoint = std::string(v);
    entrypoint_set = true;
    return absl::OkStatus();
  });
  flags.String("network", 0, &network);
  flags.String("memory", 'm', &memory);
  flags.String("cpus", 0, &cpus);
  flags.Int("pids-limit", 0, &pids);
  flags.Custom("timeout", 0, [&](absl::string_view v) {
    if (!absl::SimpleAtod(v, &timeout) || timeout <= 0)
      return UsageError(absl::StrCat("--timeout: expected a positive number of seconds, got `", v,
                                     "`"));
    return absl::OkStatus();
  });
  flags.Int("stop-timeout", 0, &stop_timeout);
  flags.Bool("read-only", 0, &o.read_only);
  flags.String("security-opt", 0, &security_opt);
  flags.String("rootfs", 0, &o.rootfs_dir);
  ImageResolveOptions resolve;
  AddImageResolveFlags(flags, &resolve);
  absl::StatusOr<std::vector<std::string>> positional = flags.Parse(args);
  if (!positional.ok()) return ReportError("run", positional.status());
  if (flags.help_requested()) {
    std::cout << kUsage;
    return kExitOk;
  }
  std::vector<std::string> rest = *positional;
  if (o.rootfs_dir.empty()) {
    if (rest.empty()) return ReportError("run", UsageError("missing IMAGE"));
    o.image = rest[0];
    rest.erase(rest.begin());
  }
  o.args = rest;
  if (entrypoint_set) o.entrypoint = entrypoint;
  if (network == "none") {
    o.network = runner::NetworkMode::kNone;
  } else if (network == "host") {
    o.network = runner::NetworkMode::kHost;
  } else {
    return ReportError("run", UsageError(absl::StrCat("--network: expected none or host, got `",
                                                      network, "`")));
  }
  if (!memory.empty()) {
    absl::StatusOr<int64_t> m = runner::ParseSize(memory);
    if (!m.ok()) return ReportError("run", UsageError(m.status().message()));
    o.resources.memory_bytes = *m;
  }
  if (!cpus.empty() && (!absl::SimpleAtod(cpus, &o.resources.cpus) || o.resources.cpus <= 0))
    return ReportError("run", UsageError(absl::StrCat("--cpus: expected a positive number, got `",
                                                      cpus, "`")));
  o.resources.pids_limit = pids;
  o.timeout_seconds = timeout;
  o.stop_grace_seconds = static_cast<int>(stop_timeout);
  if (!security_opt.empty()) {
    if (security_opt == "no-new-privileges=false") {
      o.no_new_privs = false;
    } else if (security_opt != "no-new-privileges" && security_opt != "no-new-privileges=true") {
      return ReportError("run", UsageError(absl::StrCat("unsupported --security-opt `",
                                                        security_opt, "`")));
    }
  }
  if (!o.hostname.empty()) {
    if (absl::Status s = runner::ValidateHostname(o.hostname); !s.ok())
      return ReportError("run", UsageError(s.message()));
  }
  for (const std::string& h : add_hosts) {
    absl::StatusOr<runner::ExtraHost> host = runner::ParseExtraHost(h);
    if (!host.ok()) return ReportError("run", UsageError(host.status().message()));
    o.extra_hosts.push_back(*host);
  }
  if (absl::StatusOr<std::vector<int>> caps =
          runner::ResolveCapabilities(o.cap_add, o.cap_drop, runner::KernelLastCapability(),
                                      runner::AvailableCapabilities());
      !caps.ok()) {
    // An unknown name is a usage error; one slipway cannot give is the environment's limit.
    return ReportError("run", caps.status().code() == absl::StatusCode::kInvalidArgument
                                  ? UsageError(caps.status().message())
                                  : caps.status());
  }
  absl::StatusOr<std::vector<runner::Ulimit>> limits = runner::ParseUlimits(ulimits);
  if (!limits.ok()) return ReportError("run", UsageError(limits.status().message()));
  o.ulimits = *limits;
  // Docker's order: the files' variables first, so -e overrides them.
  std::vector<std::string> env;
  for (const std::string& file : env_files) {
    absl::StatusOr<std::vector<std::string>> vars = runner::ReadEnvFile(file);
    if (!vars.ok()) return ReportError("run", base::Annotate(vars.status(), "--env-file"));
    env.insert(env.end(), vars->begin(), vars->end());
  }
  env.insert(env.end(), o.env.begin(), o.env.end());
  o.env = std::move(env);
  // As docker: a terminal that forwards stdin needs a terminal to read it from.
  if (o.tty && o.interactive && !o.detach && !isatty(0))
    return ReportError("run", UsageError("the input device is not a TTY: -it needs a terminal on "
                                         "stdin (drop -t to pipe stdin in, or -i)"));
  if (o.rootfs_dir.empty()) {
    absl::StatusOr<std::shared_ptr<const runner::RunImage>> image =
        OpenImageForRun(o.image, resolve);
    if (!image.ok()) {
      int code = ReportError("run", image.status());
      return code == kExitUserError ? kExitInternal : code;
    }
    o.opened_image = *std::move(image);
  }
  absl::StatusOr<int> status = runner::RunContainer(o, std::cout, std::cerr);
  if (!status.ok()) {
    int code = ReportError("run", status.status());
    return code == kExitUserError ? kExitInternal : code;
  }
  return *status;
}

}  // namespace

SLIPWAY_COMMAND(run, "Run a command in a new container", kUsage, RunRun);

}  // namespace cli
