"""oci_image_index: one multi-platform image index from single-platform images."""

load(":common.bzl", "IMAGE_TAG", "declare_image_outputs", "image_layout", "oci_location", "write_image")
load(":toolchain.bzl", "TOOLCHAIN_TYPE")

_DOC = """Builds an OCI image index (a multi-platform image) from images built for one platform each.

Each image's platform is read from its config; two images for the same platform are an error. The
output is an OCI layout directory holding the index and every image's blobs, plus `<name>.digest`.

```starlark
oci_image_index(
    name = "multiarch",
    images = [":app_amd64", ":app_arm64"],
)
```
"""

def _oci_image_index_impl(ctx):
    layout, digest = declare_image_outputs(ctx)
    args = ctx.actions.args()
    args.add("index")
    for k, v in sorted(ctx.attr.annotations.items()):
        args.add("--annotation", "%s=%s" % (k, v))
    args.add("-t", oci_location(layout, IMAGE_TAG))
    inputs = []
    for image in ctx.attr.images:
        d = image_layout(image, "images")
        inputs.append(d)
        args.add(oci_location(d))
    return write_image(ctx, [args], inputs, layout, digest, "OCIIndex", "Assembling OCI image index %{label}")

oci_image_index = rule(
    implementation = _oci_image_index_impl,
    doc = _DOC,
    attrs = {
        "images": attr.label_list(
            doc = "Single-platform images (oci_image, dockerfile_image, oci_pull `image`), listed in the index in this order.",
            mandatory = True,
            allow_empty = False,
        ),
        "annotations": attr.string_dict(
            doc = "Annotations on the index.",
        ),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
