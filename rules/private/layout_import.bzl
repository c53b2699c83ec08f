"""oci_layout_import: turns the files of an OCI layout fetched by oci_pull into an image target."""

load(":common.bzl", "declare_image_outputs", "image_providers")

def _oci_layout_import_impl(ctx):
    index = [f for f in ctx.files.srcs if f.basename == "index.json"]
    if len(index) != 1:
        fail("srcs: expected exactly one index.json among the layout's files, found %d" % len(index))
    root = index[0].dirname
    for f in ctx.files.srcs:
        if not f.path.startswith(root + "/"):
            fail("srcs: %s is outside the layout folder %s" % (f.path, root))
    layout, digest = declare_image_outputs(ctx)
    ctx.actions.write(digest, ctx.attr.digest + "\n")
    args = ctx.actions.args()
    args.add(layout.path)
    args.add_all([f.path[len(root) + 1:] for f in ctx.files.srcs])
    ctx.actions.run_shell(
        command = 'set -eu; out="$1"; shift; for p in "$@"; do mkdir -p "$out/$(dirname "$p")"; cp -L "%s/$p" "$out/$p"; done' % root,
        arguments = [args],
        inputs = ctx.files.srcs,
        outputs = [layout],
        mnemonic = "OCILayoutImport",
        progress_message = "Importing the pulled OCI layout %{label}",
    )
    return image_providers(ctx, layout, digest)

oci_layout_import = rule(
    implementation = _oci_layout_import_impl,
    doc = "Makes an image target from the files of an OCI layout (used by the BUILD file oci_pull writes).",
    attrs = {
        "srcs": attr.label_list(
            doc = "Every file of the layout (oci-layout, index.json, blobs/sha256/*).",
            allow_files = True,
            mandatory = True,
        ),
        "digest": attr.string(
            doc = "The digest of the image the layout's index.json points at.",
            mandatory = True,
        ),
    },
)
