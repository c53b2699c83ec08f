"""The script an executable rule (oci_push, oci_test) hands to `bazel run`/`bazel test`.

Each such rule has a shell template (`<rule>.sh.tpl`) that finds slipway and the image layout in its
runfiles through the `{workspace}`, `{slipway}` and `{layout}` placeholders; this fills those in,
plus the rule's own placeholders, and returns what the rule gives Bazel.
"""

load(":toolchain.bzl", "slipway_tool")

def sh_quote(s):
    """`s` as one single-quoted shell word."""
    return "'" + s.replace("'", "'\\''") + "'"

def launcher_attrs(template, image_doc):
    """The attributes every launcher rule has: its `image` and its `_template`.

    Args:
      template: the Label of the rule's shell template.
      image_doc: the `image` attribute's doc string.
    """
    return {
        "image": attr.label(
            doc = image_doc,
            mandatory = True,
        ),
        "_template": attr.label(
            default = template,
            allow_single_file = True,
        ),
    }

def write_launcher(ctx, layout, substitutions = {}, data = []):
    """Writes `<name>.sh` from `ctx.file._template` and returns the rule's DefaultInfo.

    Args:
      ctx: the rule context (with the attributes of launcher_attrs and the slipway toolchain).
      layout: the image's OCI layout directory (a File), `{layout}` in the template.
      substitutions: the rule's own placeholders -> their text.
      data: more Files the script reads at run time (its runfiles, besides slipway and the layout).
    """
    slipway = slipway_tool(ctx)
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    all_substitutions = {
        "{workspace}": ctx.workspace_name,
        "{slipway}": slipway.executable.short_path,
        "{layout}": layout.short_path,
    }
    all_substitutions.update(substitutions)
    ctx.actions.expand_template(
        template = ctx.file._template,
        output = script,
        is_executable = True,
        substitutions = all_substitutions,
    )
    runfiles = ctx.runfiles(files = [layout, slipway.executable] + data)
    return DefaultInfo(executable = script, runfiles = runfiles)
