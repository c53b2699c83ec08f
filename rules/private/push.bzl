"""oci_push: an executable target that pushes an image by digest, then tags it."""

load(":common.bzl", "OciImageInfo", "image_layout")
load(":toolchain.bzl", "TOOLCHAIN_TYPE", "slipway_tool")

_DOC = """Pushes an image to a registry with `bazel run`.

The manifest is pushed by digest first (so the registry holds the complete image before anything
points at it), then each tag is set on that digest. Credentials are slipway's: Docker's
`config.json` and credential helpers, as for `slipway push`. Prints `REPO@DIGEST` and each `REPO:TAG`.

```starlark
oci_push(
    name = "push",
    image = ":image",
    repository = "registry.example:5000/team/app",
    remote_tags = ["latest"],
)
```

`bazel run //app:push -- --repository 127.0.0.1:5000/app --tag v1` overrides the repository and adds
tags; `--insecure-registry HOST` and `--config FILE` are passed to slipway.
"""

def _shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

def _oci_push_impl(ctx):
    layout = image_layout(ctx.attr.image, "image")
    if OciImageInfo in ctx.attr.image:
        digest = ctx.attr.image[OciImageInfo].digest
    else:
        fail("image: %s has no digest file; use an oci_image, dockerfile_image, oci_image_index or oci_pull target" % ctx.attr.image.label)
    if ":" in ctx.attr.repository.split("/")[-1] or "@" in ctx.attr.repository:
        fail("repository: `%s` must not carry a tag or digest; use remote_tags" % ctx.attr.repository)
    slipway = slipway_tool(ctx)
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        is_executable = True,
        substitutions = {
            "{workspace}": ctx.workspace_name,
            "{slipway}": slipway.executable.short_path,
            "{layout}": layout.short_path,
            "{digest}": digest.short_path,
            "{repository}": ctx.attr.repository,
            "{tags}": " ".join([_shell_quote(t) for t in ctx.attr.remote_tags]),
            "{label}": str(ctx.label),
        },
    )
    runfiles = ctx.runfiles(files = [layout, digest, slipway.executable])
    return [DefaultInfo(executable = script, runfiles = runfiles)]

oci_push = rule(
    implementation = _oci_push_impl,
    doc = _DOC,
    executable = True,
    attrs = {
        "image": attr.label(
            doc = "The image or index to push (oci_image, dockerfile_image, oci_image_index, or an oci_pull `image`).",
            mandatory = True,
        ),
        "repository": attr.string(
            doc = "Where to push, `HOST[:PORT]/PATH` without a tag. Can be set or overridden at run time with `--repository`.",
        ),
        "remote_tags": attr.string_list(
            doc = "Tags to set on the pushed digest; `--tag` at run time adds more.",
        ),
        "_template": attr.label(
            default = Label("//rules/private:push.sh.tpl"),
            allow_single_file = True,
        ),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
