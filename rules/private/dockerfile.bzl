"""dockerfile_image: an existing Dockerfile built inside a Bazel action, with no network."""

load(":common.bzl", "IMAGE_TAG", "SOURCE_DATE_EPOCH", "declare_image_outputs", "image_layout", "image_providers")
load(":toolchain.bzl", "TOOLCHAIN_TYPE", "slipway_tool")

_DOC = """Builds a Dockerfile with `slipway build` inside a Bazel action.

The build context is exactly `srcs` (paths relative to this package), so Bazel knows every input
and caches the result. Each FROM reference is mapped to an image target with `bases`, so nothing is
pulled: the action reads those OCI layouts and never asks a registry. RUN steps execute in slipway's
runner inside the action, with no network unless `network = "host"` (the whole build runs in an
empty network namespace). Timestamps are SOURCE_DATE_EPOCH=0, so the digest depends only on the
inputs. Output: an OCI layout directory `<name>/` and `<name>.digest`.

```starlark
dockerfile_image(
    name = "tools_image",
    dockerfile = "Dockerfile",
    srcs = ["motd.txt"],
    bases = {"@busybox//:image": "busybox"},
    build_args = {"GREETING": "hello"},
)
```
"""

# Runs slipway build with a private store (where the mapped bases are put) and cache, then writes
# the digest (build's last line of standard output). Output is shown only on failure.
_BUILD_SCRIPT = """\
set -u
slipway="$1"; digest="$2"; context_list="$3"; netns="$4"; shift 4
scratch="$(mktemp -d "${TMPDIR:-/tmp}/slipway-dockerfile.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
log="$scratch/log"
export HOME="$scratch/home" XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache" \\
       XDG_CONFIG_HOME="$scratch/config" XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR" "$scratch/context"
fail() { cat "$log" >&2 2>/dev/null; echo "dockerfile_image: $*" >&2; exit 1; }
# The FROM images, into the private local store under the names the Dockerfile uses.
while [ "$1" != "--" ]; do
  "$slipway" copy --progress quiet "oci:$2" "local:$1" >"$log" 2>&1 || fail "could not stage base $2 as local:$1"
  shift 2
done
shift
# The context: exactly the declared sources, at their package-relative paths.
while IFS="$(printf '\\t')" read -r rel src; do
  mkdir -p "$scratch/context/$(dirname "$rel")"
  cp -L "$src" "$scratch/context/$rel" || fail "could not stage $src"
done < "$context_list"
run=("$slipway" build --progress plain --cache-dir "$scratch/buildcache" "$@" "$scratch/context")
if [ "$netns" = none ]; then
  command -v unshare >/dev/null || fail "network = \\"none\\" needs unshare(1) from util-linux"
  run=(unshare --net -- "${run[@]}")
fi
if ! "${run[@]}" >"$scratch/stdout" 2>"$log"; then
  cat "$scratch/stdout" >&2
  fail "slipway build failed (see above)"
fi
tail -n 1 "$scratch/stdout" > "$digest"
case "$(cat "$digest")" in sha256:*) ;; *) fail "slipway build did not print a digest last";; esac
"""

def _familiar(ref, what):
    """A FROM reference as slipway's local store names it: (`name`, `tag`), Docker's familiar form."""
    digest = ""
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    tag = ""
    colon = ref.rfind(":")
    if colon > ref.rfind("/"):
        ref, tag = ref[:colon], ref[colon + 1:]
    if not ref or ref != ref.lower():
        fail("%s: `%s` is not a lowercase image name as it appears after FROM" % (what, ref))
    parts = ref.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        domain, path = parts[0], "/".join(parts[1:])
    else:
        domain, path = "docker.io", ref
    if domain in ("docker.io", "index.docker.io"):
        if path.startswith("library/") and "/" not in path[len("library/"):]:
            path = path[len("library/"):]
        name = path
    else:
        name = domain + "/" + path
    if not tag:
        # A digest-only FROM is found by the manifest blob, whatever the tag the store gives it.
        tag = "bazel-base" if digest else "latest"
    return name, tag

def _dockerfile_image_impl(ctx):
    slipway = slipway_tool(ctx)
    if ctx.attr.network not in ("none", "host"):
        fail("network: `%s` must be \"none\" or \"host\"" % ctx.attr.network)
    layout, digest = declare_image_outputs(ctx)

    prefix = ctx.label.package + "/" if ctx.label.package else ""
    lines = []
    seen = {}
    for f in ctx.files.srcs:
        short = f.short_path
        if short.startswith("../"):
            # A file of an external repository: its path inside that repository.
            short = short.split("/", 2)[2] if short.count("/") >= 2 else short
        if not short.startswith(prefix):
            fail("srcs: %s is outside package //%s; the build context is this package's folder" % (f.short_path, ctx.label.package))
        rel = short[len(prefix):]
        if rel in seen:
            fail("srcs: `%s` is given twice" % rel)
        seen[rel] = True
        lines.append("%s\t%s" % (rel, f.path))
    context_list = ctx.actions.declare_file(ctx.label.name + ".context")
    ctx.actions.write(context_list, "".join([l + "\n" for l in lines]))

    args = ctx.actions.args()
    args.add(slipway.executable.path)
    args.add(digest)
    args.add(context_list)
    args.add(ctx.attr.network)
    inputs = [ctx.file.dockerfile, context_list] + ctx.files.srcs
    names = {}
    for target, ref in ctx.attr.bases.items():
        name, tag = _familiar(ref, "bases[%s]" % target.label)
        key = name + ":" + tag
        if key in names:
            fail("bases: `%s` is mapped twice (%s and %s)" % (ref, names[key], target.label))
        names[key] = target.label
        base = image_layout(target, "bases")
        inputs.append(base)
        args.add(key)
        args.add(base.path)
    args.add("--")
    args.add("-f", ctx.file.dockerfile)
    if ctx.attr.target:
        args.add("--target", ctx.attr.target)
    for k, v in sorted(ctx.attr.build_args.items()):
        args.add("--build-arg", "%s=%s" % (k, v))
    if ctx.attr.platform:
        args.add("--platform", ctx.attr.platform)
    args.add("--output", "oci:%s:%s" % (layout.path, IMAGE_TAG))

    ctx.actions.run_shell(
        command = _BUILD_SCRIPT,
        arguments = [args],
        inputs = inputs,
        outputs = [layout, digest],
        tools = [slipway],
        mnemonic = "OCIDockerfile",
        progress_message = "Building Dockerfile image %{label}",
        env = {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH},
        # RUN steps need the runner's namespaces and mounts, which Bazel's sandboxes do not allow.
        execution_requirements = {"no-sandbox": "1"} if ctx.attr.unsandboxed else {},
    )
    return image_providers(ctx, layout, digest)

dockerfile_image = rule(
    implementation = _dockerfile_image_impl,
    doc = _DOC,
    attrs = {
        "dockerfile": attr.label(
            doc = "The Dockerfile.",
            mandatory = True,
            allow_single_file = True,
        ),
        "srcs": attr.label_list(
            doc = "The build context: files placed at their paths relative to this package. COPY and ADD see only these.",
            allow_files = True,
        ),
        "bases": attr.label_keyed_string_dict(
            doc = "Image target -> the reference a FROM line uses for it (`{\"@busybox//:image\": \"busybox:1.36\"}`). Every FROM that is not `scratch` or an earlier stage must be mapped.",
        ),
        "build_args": attr.string_dict(
            doc = "Values for the Dockerfile's ARGs (`--build-arg K=V`).",
        ),
        "target": attr.string(
            doc = "The stage to build (`--target`); default: the last stage.",
        ),
        "platform": attr.string(
            doc = "The platform to build for, `os/arch[/variant]` (`--platform`); picks it from bases that are indexes.",
        ),
        "network": attr.string(
            doc = "Network for RUN steps: `none` (default; the build runs in an empty network namespace) or `host`.",
            default = "none",
        ),
        "unsandboxed": attr.bool(
            doc = "Run the build action outside Bazel's sandbox (`no-sandbox`), for sandboxes that forbid the runner's namespaces and mounts.",
            default = False,
        ),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
