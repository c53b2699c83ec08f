"""oci_image: an image from a base (or nothing), layer tars and files, with its config set by attributes."""

load(":common.bzl", "IMAGE_TAG", "declare_image_outputs", "image_layout", "oci_location", "run_slipway", "write_image")
load(":toolchain.bzl", "TOOLCHAIN_TYPE")

_DOC = """Builds an OCI image without a Dockerfile.

The image is `base` (or an empty image), then one layer per entry of `tars` in order, then one layer
holding `files` and `symlinks`, then the config changes. The output is an OCI image layout directory
(`<name>/`, tagged `latest`) and `<name>.digest` (output group `digest`).

```starlark
oci_image(
    name = "image",
    base = "@busybox//:image",
    files = {":server": "/app/server"},
    entrypoint = ["/app/server"],
    exposed_ports = ["8080"],
)
```
"""

def _octal(mode, what):
    if not mode or len(mode) > 5 or [c for c in mode.elems() if c not in "01234567"]:
        fail("%s: `%s` is not an octal mode such as \"0755\"" % (what, mode))
    return mode

def _owner(owner, what):
    parts = owner.split(":")
    if len(parts) != 2 or not parts[0].isdigit() or not parts[1].isdigit():
        fail("%s: `%s` must be a numeric \"UID:GID\" such as \"1000:1000\"" % (what, owner))
    return owner

def _clean_dest(dest, what):
    if not dest.startswith("/"):
        fail("%s: destination `%s` must be an absolute path in the image, such as /app/server" % (what, dest))
    for part in dest.strip("/").split("/"):
        if part in (".", ".."):
            fail("%s: destination `%s` must not contain `.` or `..`" % (what, dest))
    return dest

def _layer_entries(ctx):
    """Lines for `slipway layer --entries`, and the files they read."""
    lines = []
    inputs = []
    used = {}
    for target, dest in ctx.attr.files.items():
        _clean_dest(dest, "files")
        files = target[DefaultInfo].files.to_list()
        executable = target[DefaultInfo].files_to_run.executable
        if not files:
            fail("files: %s gives no files" % target.label)
        if len(files) > 1 and not dest.endswith("/"):
            fail("files: %s gives %d files, so its destination `%s` must be a folder ending in `/`" % (target.label, len(files), dest))
        for f in files:
            if f.is_directory:
                fail("files: %s is a directory (tree artifact); put it in a tar and use `tars`" % target.label)
            path = dest + f.basename if dest.endswith("/") else dest
            path = "/" + path.strip("/")
            if path in used:
                fail("files: `%s` would be written twice (by %s and %s)" % (path, used[path], target.label))
            used[path] = target.label
            default_mode = "0755" if (f == executable or (executable == None and f.extension in ("sh", "py"))) else "0644"
            mode = _octal(ctx.attr.modes.get(path, ctx.attr.modes.get(dest, default_mode)), "modes[%s]" % path)
            owner = _owner(ctx.attr.owners.get(path, ctx.attr.owners.get(dest, "0:0")), "owners[%s]" % path)
            lines.append("file\t%s\t%s\t%s\t%s" % (path, mode, owner, f.path))
            inputs.append(f)
    for dest, link_target in ctx.attr.symlinks.items():
        path = "/" + _clean_dest(dest, "symlinks").strip("/")
        if path in used:
            fail("symlinks: `%s` is also in files (%s)" % (path, used[path]))
        used[path] = "symlinks"
        owner = _owner(ctx.attr.owners.get(path, "0:0"), "owners[%s]" % path)
        lines.append("symlink\t%s\t0777\t%s\t%s" % (path, owner, link_target))
    for key in list(ctx.attr.modes.keys()) + list(ctx.attr.owners.keys()):
        norm = "/" + key.strip("/")
        if norm not in used and key not in ctx.attr.files.values():
            fail("modes/owners: `%s` is not a destination in files or symlinks (known: %s)" % (key, ", ".join(sorted(used.keys()))))
    return lines, inputs

def _oci_image_impl(ctx):
    layout, digest = declare_image_outputs(ctx)
    args = ctx.actions.args()
    args.add("image")
    inputs = []
    if ctx.attr.base:
        base = image_layout(ctx.attr.base, "base")
        args.add("--base", oci_location(base))
        inputs.append(base)
    for tar in ctx.files.tars:
        args.add("--layer-tar", tar)
        inputs.append(tar)

    lines, files = _layer_entries(ctx)
    if lines:
        entries = ctx.actions.declare_file(ctx.label.name + ".layer.entries")
        ctx.actions.write(entries, "\n".join(lines) + "\n")
        layer = ctx.actions.declare_file(ctx.label.name + ".layer.tar.gz")
        layer_args = ctx.actions.args()
        layer_args.add("layer")
        layer_args.add("--entries", entries)
        layer_args.add("-o", layer)
        run_slipway(
            ctx,
            arguments = [layer_args],
            inputs = files + [entries],
            outputs = [layer],
            mnemonic = "OCILayer",
            progress_message = "Writing the files layer of image %{label}",
        )
        args.add("--layer-tar", layer)
        inputs.append(layer)

    for a in ctx.attr.entrypoint:
        args.add("--entrypoint=" + a)
    if ctx.attr.entrypoint == [] and ctx.attr.clear_entrypoint:
        args.add("--entrypoint=")
    for a in ctx.attr.cmd:
        args.add("--cmd=" + a)
    for k, v in sorted(ctx.attr.env.items()):
        args.add("--env", "%s=%s" % (k, v))
    for k, v in sorted(ctx.attr.labels.items()):
        args.add("--label", "%s=%s" % (k, v))
    if ctx.attr.workdir:
        args.add("--workdir", ctx.attr.workdir)
    if ctx.attr.user:
        args.add("--user", ctx.attr.user)
    for p in ctx.attr.exposed_ports:
        args.add("--expose", p)
    if ctx.attr.platform:
        args.add("--platform", ctx.attr.platform)
    elif not ctx.attr.base:
        fail("platform: an image without a base needs a platform such as \"linux/amd64\", so that its digest does not depend on the machine that builds it")
    args.add("-t", oci_location(layout, IMAGE_TAG))
    return write_image(ctx, [args], inputs, layout, digest, "OCIImage", "Assembling OCI image %{label}")

oci_image = rule(
    implementation = _oci_image_impl,
    doc = _DOC,
    attrs = {
        "base": attr.label(
            doc = "The image to start from: an oci_image, dockerfile_image or oci_pull `image` target. Without it the image starts empty (FROM scratch).",
        ),
        "tars": attr.label_list(
            doc = "Layer tars (`.tar`, `.tar.gz`, `.tgz`, `.tar.zst`) added as they are, one layer each, in this order.",
            allow_files = [".tar", ".tar.gz", ".tgz", ".tar.zst"],
        ),
        "files": attr.label_keyed_string_dict(
            doc = "Files to put in the image: label -> absolute destination path. A destination ending in `/` is a folder that receives each file of the label under its base name. All of them (and `symlinks`) form one layer after `tars`.",
            allow_files = True,
        ),
        "modes": attr.string_dict(
            doc = "Octal mode per destination (a key of `files`, or a path under a folder destination): `{\"/app/server\": \"0750\"}`. Default: 0755 for executables and scripts, 0644 otherwise.",
        ),
        "owners": attr.string_dict(
            doc = "Numeric `UID:GID` per destination of `files` or `symlinks`: `{\"/app/data\": \"1000:1000\"}`. Default: `0:0`.",
        ),
        "symlinks": attr.string_dict(
            doc = "Symbolic links to create in the files layer: absolute path in the image -> link target.",
        ),
        "entrypoint": attr.string_list(
            doc = "The config's Entrypoint (exec form). Setting it drops the base's Cmd unless `cmd` is set too, as in a Dockerfile.",
        ),
        "clear_entrypoint": attr.bool(
            doc = "With an empty `entrypoint`, clear the base's Entrypoint instead of keeping it.",
            default = False,
        ),
        "cmd": attr.string_list(
            doc = "The config's Cmd (exec form): the default arguments.",
        ),
        "env": attr.string_dict(
            doc = "Environment variables to set (replacing the base's value of the same name).",
        ),
        "labels": attr.string_dict(
            doc = "Config labels to set.",
        ),
        "workdir": attr.string(
            doc = "The working directory of the container.",
        ),
        "user": attr.string(
            doc = "The `user[:group]` the container runs as.",
        ),
        "exposed_ports": attr.string_list(
            doc = "Ports to declare, `PORT[/tcp|udp|sctp]` (tcp by default).",
        ),
        "platform": attr.string(
            doc = "The image's platform, `os/arch[/variant]` such as `linux/amd64`. Required without a `base`; with one, it picks the base's platform when the base is an index.",
        ),
    },
    toolchains = [TOOLCHAIN_TYPE],
)
