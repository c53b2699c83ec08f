"""Helpers shared by the rules: the image contract (an OCI layout tree artifact) and running slipway."""

load(":toolchain.bzl", "slipway_tool")

OciImageInfo = provider(
    doc = "An image (or index) built by these rules: its OCI layout directory and a file holding its digest.",
    fields = {
        "layout": "File: the OCI image layout directory (a tree artifact with oci-layout, index.json, blobs/).",
        "digest": "File: the manifest (or index) digest, `sha256:<hex>`, and a newline.",
    },
)

# Every action that writes image bytes runs with a fixed epoch, whatever the user's environment says.
SOURCE_DATE_EPOCH = "0"

# Quiet wrapper: Bazel prints any output of a successful action, so keep slipway's progress lines to
# ourselves unless the command fails. $1 is where standard output goes (the digest, or /dev/null).
_RUN_QUIET = """\
set -u
out="$1"; shift
log="${TMPDIR:-/tmp}/slipway-action.$$.log"
if "$@" >"$out" 2>"$log"; then rm -f "$log"; exit 0; else rc=$?; fi
cat "$log" >&2; rm -f "$log"
exit "$rc"
"""

def run_slipway(ctx, arguments, inputs, outputs, mnemonic, progress_message, stdout = None, env = None):
    """Runs the toolchain's slipway with `arguments` (a list of strings or an Args object).

    Args:
      ctx: the rule context.
      arguments: list of Args objects for slipway (after the executable).
      inputs: depset or list of input Files.
      outputs: list of output Files (including `stdout` if given).
      mnemonic: the action mnemonic.
      progress_message: what Bazel shows while the action runs.
      stdout: an output File that receives slipway's standard output, or None.
      env: extra environment variables.
    """
    slipway = slipway_tool(ctx)
    action_env = {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    if env:
        action_env.update(env)
    head = ctx.actions.args()
    head.add(stdout.path if stdout else "/dev/null")
    head.add(slipway.executable.path)
    ctx.actions.run_shell(
        command = _RUN_QUIET,
        arguments = [head] + arguments,
        inputs = inputs,
        outputs = outputs,
        tools = [slipway],
        mnemonic = mnemonic,
        progress_message = progress_message,
        env = action_env,
    )

def image_layout(target, what):
    """Returns the OCI layout directory (a File) of an image target.

    Args:
      target: a target built by oci_image, dockerfile_image, oci_image_index or an oci_pull repository.
      what: how to name the attribute in error messages.
    """
    if OciImageInfo in target:
        return target[OciImageInfo].layout
    dirs = [f for f in target[DefaultInfo].files.to_list() if f.is_directory]
    if len(dirs) != 1:
        fail("%s: %s must be an image target (oci_image, dockerfile_image, oci_image_index, or the `image` target of an oci_pull repository), which gives exactly one OCI layout directory; it gives %d" % (what, target.label, len(dirs)))
    return dirs[0]

def oci_location(layout, tag = None):
    """The slipway image location for a layout directory: `oci:DIR[:TAG]`."""
    if tag:
        return "oci:%s:%s" % (layout.path, tag)
    return "oci:%s" % layout.path

def declare_image_outputs(ctx):
    """Declares the outputs of an image rule: the layout directory `<name>/` and `<name>.digest`.

    Returns:
      (layout, digest): the two Files.
    """
    return ctx.actions.declare_directory(ctx.label.name), ctx.actions.declare_file(ctx.label.name + ".digest")

def write_image(ctx, arguments, inputs, layout, digest, mnemonic, progress_message):
    """Runs a slipway command that writes an image to `layout` and prints its digest last.

    Args:
      ctx: the rule context.
      arguments: the slipway command line (Args objects), which must write `layout`.
      inputs: the Files it reads.
      layout, digest: the outputs from declare_image_outputs; `digest` gets standard output.
      mnemonic: the action mnemonic.
      progress_message: what Bazel shows while the action runs.

    Returns:
      The providers of the image rule (image_providers).
    """
    run_slipway(
        ctx,
        arguments = arguments,
        inputs = inputs,
        outputs = [layout, digest],
        stdout = digest,
        mnemonic = mnemonic,
        progress_message = progress_message,
    )
    return image_providers(ctx, layout, digest)

def image_providers(ctx, layout, digest, extra_files = []):
    """The providers every image rule returns."""
    return [
        DefaultInfo(files = depset([layout] + extra_files), runfiles = ctx.runfiles(files = [layout])),
        OciImageInfo(layout = layout, digest = digest),
        OutputGroupInfo(digest = depset([digest])),
    ]

IMAGE_TAG = "latest"
