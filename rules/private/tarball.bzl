"""oci_tarball: an image as a `docker load` archive; oci_load: loads it into a container engine."""

load(":common.bzl", "image_layout", "oci_location", "run_slipway")
load(":toolchain.bzl", "TOOLCHAIN_TYPE")

_TARBALL_DOC = """Writes an image as `<name>.tar`, an archive for `docker load -i` (Docker's `docker save`
format; podman and skopeo read it as `docker-archive:`).

```starlark
oci_tarball(
    name = "app_tar",
    image = ":image",
    repo_tags = ["app:latest"],
)
```
"""

def _check_tags(tags):
    for t in tags:
        if ":" not in t.split("/")[-1]:
            fail("repo_tags: `%s` needs a tag, as in `%s:latest`" % (t, t))

def _write_tarball(ctx, out):
    _check_tags(ctx.attr.repo_tags)
    layout = image_layout(ctx.attr.image, "image")
    args = ctx.actions.args()
    args.add("save")
    args.add("-o", out)
    for t in ctx.attr.repo_tags:
        args.add("--repo-tag", t)
    if ctx.attr.platform:
        args.add("--platform", ctx.attr.platform)
    args.add(oci_location(layout))
    run_slipway(
        ctx,
        arguments = [args],
        inputs = [layout],
        outputs = [out],
        mnemonic = "OCITarball",
        progress_message = "Writing docker load archive of %{label}",
    )

def _oci_tarball_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".tar")
    _write_tarball(ctx, out)
    return [DefaultInfo(files = depset([out]))]

_COMMON_ATTRS = {
    "image": attr.label(
        doc = "The image to write (oci_image, dockerfile_image, oci_pull `image`; from an index, `platform` picks one).",
        mandatory = True,
    ),
    "repo_tags": attr.string_list(
        doc = "Names the loaded image gets, `NAME:TAG` (`app:latest`, `registry.example/team/app:1.0`).",
    ),
    "platform": attr.string(
        doc = "The platform to take when `image` is an index, `os/arch[/variant]`. Default: the building machine's.",
    ),
}

oci_tarball = rule(
    implementation = _oci_tarball_impl,
    doc = _TARBALL_DOC,
    attrs = _COMMON_ATTRS,
    toolchains = [TOOLCHAIN_TYPE],
)

_LOAD_DOC = """`bazel run` target that loads an image into a container engine: it builds the same archive
as oci_tarball and pipes it to `LOADER load` (`docker` by default; `podman` works too). Extra
arguments after `--` go to the loader's `load` command.

```starlark
oci_load(
    name = "load",
    image = ":image",
    repo_tags = ["app:latest"],
)
```
"""

def _oci_load_impl(ctx):
    tar = ctx.actions.declare_file(ctx.label.name + ".tar")
    _write_tarball(ctx, tar)
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    loader = ctx.attr.loader
    if not loader or "'" in loader:
        fail("loader: give a command name such as docker or podman")
    ctx.actions.write(script, """#!/usr/bin/env bash
set -euo pipefail
runfiles="${RUNFILES_DIR:-$0.runfiles}"
tar="$runfiles/%s/%s"
if ! command -v '%s' >/dev/null; then
  echo "oci_load: \\`%s\\` is not on PATH; the archive is $tar (docker load -i it, or set loader)" >&2
  exit 1
fi
exec '%s' load "$@" < "$tar"
""" % (ctx.workspace_name, tar.short_path, loader, loader, loader), is_executable = True)
    return [DefaultInfo(
        executable = script,
        files = depset([tar]),
        runfiles = ctx.runfiles(files = [tar]),
    )]

oci_load = rule(
    implementation = _oci_load_impl,
    doc = _LOAD_DOC,
    executable = True,
    attrs = dict(_COMMON_ATTRS, **{
        "loader": attr.string(
            doc = "The container engine command whose `load` reads the archive from standard input.",
            default = "docker",
        ),
    }),
    toolchains = [TOOLCHAIN_TYPE],
)
