"""The slipway toolchain: how the rules find the slipway binary (built here, exec configuration)."""

SlipwayInfo = provider(
    doc = "The slipway binary the rules run.",
    fields = {
        "slipway": "FilesToRunProvider of the slipway binary (use as an action's executable).",
    },
)

def _slipway_toolchain_impl(ctx):
    files_to_run = ctx.attr.slipway[DefaultInfo].files_to_run
    if files_to_run == None or files_to_run.executable == None:
        fail("slipway_toolchain: `slipway` must be an executable target such as @slipway//tools:slipway, got %s" % ctx.attr.slipway.label)
    return [platform_common.ToolchainInfo(slipway_info = SlipwayInfo(slipway = files_to_run))]

slipway_toolchain = rule(
    implementation = _slipway_toolchain_impl,
    doc = "Declares a slipway binary for the `@slipway//rules:toolchain_type` toolchain type.",
    attrs = {
        "slipway": attr.label(
            doc = "The slipway executable, built for the exec platform (normally `@slipway//tools:slipway`).",
            mandatory = True,
            executable = True,
            cfg = "exec",
        ),
    },
)

TOOLCHAIN_TYPE = str(Label("//rules:toolchain_type"))

def slipway_tool(ctx):
    """Returns the FilesToRunProvider of the resolved slipway binary."""
    tc = ctx.toolchains[TOOLCHAIN_TYPE]
    if tc == None:
        fail("no slipway toolchain is registered: add register_toolchains(\"@slipway//rules:slipway_toolchain\") to your WORKSPACE")
    return tc.slipway_info.slipway
