"""oci_push: an executable target that pushes an image by digest, then tags it."""

load(":common.bzl", "OciImageInfo", "image_layout")
load(":launcher.bzl", "launcher_attrs", "sh_quote", "write_launcher")
load(":toolchain.bzl", "TOOLCHAIN_TYPE")

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

def _oci_push_impl(ctx):
    layout = image_layout(ctx.attr.image, "image")
    if OciImageInfo in ctx.attr.image:
        digest = ctx.attr.image[OciImageInfo].digest
    else:
        fail("image: %s has no digest file; use an oci_image, dockerfile_image, oci_image_index or oci_pull target" % ctx.attr.image.label)
    if ":" in ctx.attr.repository.split("/")[-1] or "@" in ctx.attr.repository:
        fail("repository: `%s` must not carry a tag or digest; use remote_tags" % ctx.attr.repository)
    return [write_launcher(
        ctx,
        layout,
        substitutions = {
            "{digest}": digest.short_path,
            "{repository}": ctx.attr.repository,
            "{tags}": " ".join([sh_quote(t) for t in ctx.attr.remote_tags]),
            "{label}": str(ctx.label),
        },
        data = [digest],
    )]

oci_push = rule(
    implementation = _oci_push_impl,
    doc = _DOC,
    executable = True,
    attrs = dict(launcher_attrs(
        Label("//rules/private:push.sh.tpl"),
        "The image or index to push (oci_image, dockerfile_image, oci_image_index, or an oci_pull `image`).",
    ), **{
        "repository": attr.string(
            doc = "Where to push, `HOST[:PORT]/PATH` without a tag. Can be set or overridden at run time with `--repository`.",
        ),
        "remote_tags": attr.string_list(
            doc = "Tags to set on the pushed digest; `--tag` at run time adds more.",
        ),
    }),
    toolchains = [TOOLCHAIN_TYPE],
)
