"""oci_test: a Bazel test that checks an image in slipway's runner."""

load(":common.bzl", "image_layout")
load(":launcher.bzl", "launcher_attrs", "sh_quote", "write_launcher")
load(":toolchain.bzl", "TOOLCHAIN_TYPE")

_DOC = """Tests an image: either a structure-test `spec` checked with `slipway test IMAGE --spec FILE`
(JUnit XML goes to Bazel's `XML_OUTPUT_FILE`), or a `command` run in the image with
`slipway run --rm` whose exit status decides (and whose output must contain `expect_output`,
if set). The container has no network unless `network = "host"`.

Running containers needs what slipway's runner needs (namespaces; root or user namespaces).

```starlark
oci_test(
    name = "image_test",
    image = ":image",
    command = ["/app/server", "--self-test"],
    expect_output = "ok",
)
```
"""

def _oci_test_impl(ctx):
    if bool(ctx.file.spec) == bool(ctx.attr.command):
        fail("oci_test: set exactly one of `spec` (a structure-test file) and `command` (a command to run in the image)")
    if ctx.attr.network not in ("none", "host"):
        fail("network: `%s` must be \"none\" or \"host\"" % ctx.attr.network)
    if ctx.attr.expect_output and not ctx.attr.command:
        fail("expect_output: only applies with `command`")
    layout = image_layout(ctx.attr.image, "image")
    data = []
    if ctx.file.spec:
        data.append(ctx.file.spec)
        body = """spec=$(resolve {spec})
junit=()
if [[ -n ${{XML_OUTPUT_FILE:-}} ]]; then junit=(--junit "$XML_OUTPUT_FILE"); fi
exec "$slipway" test "$image" --spec "$spec" "${{junit[@]}}"
""".format(spec = sh_quote(ctx.file.spec.short_path))
    else:
        run = ["--rm", "--network", ctx.attr.network]
        for k, v in sorted(ctx.attr.env.items()):
            run += ["-e", "%s=%s" % (k, v)]
        if ctx.attr.timeout_seconds:
            run += ["--timeout", str(ctx.attr.timeout_seconds)]
        # The command replaces the image's entrypoint and cmd, as `docker run --entrypoint`.
        run += ["--entrypoint", ctx.attr.command[0]]
        cmd = " ".join([sh_quote(a) for a in run]) + ' "$image" ' + " ".join([sh_quote(a) for a in ctx.attr.command[1:]])
        if ctx.attr.expect_output:
            body = """set +e
out=$("$slipway" run {cmd} 2>&1)
rc=$?
set -e
printf '%s\\n' "$out"
if (( rc != 0 )); then echo "oci_test: the command exited with status $rc" >&2; exit "$rc"; fi
if [[ $out != *{expect}* ]]; then
  echo "oci_test: the output does not contain "{expect} >&2
  exit 1
fi
""".format(cmd = cmd, expect = sh_quote(ctx.attr.expect_output))
        else:
            body = 'exec "$slipway" run %s\n' % cmd
    return [write_launcher(ctx, layout, substitutions = {"{body}": body}, data = data)]

oci_test = rule(
    implementation = _oci_test_impl,
    doc = _DOC,
    test = True,
    attrs = dict(launcher_attrs(
        Label("//rules/private:test.sh.tpl"),
        "The image to test (oci_image, dockerfile_image, oci_pull `image`).",
    ), **{
        "spec": attr.label(
            doc = "A structure-test spec for `slipway test` (protobuf text format, schema `runner/structure/spec.proto` in slipway).",
            allow_single_file = True,
        ),
        "command": attr.string_list(
            doc = "A command to run in the image instead of a spec (it replaces the image's entrypoint and cmd); the test passes when it exits 0.",
        ),
        "expect_output": attr.string(
            doc = "With `command`: text its combined output must contain.",
        ),
        "env": attr.string_dict(
            doc = "With `command`: environment variables for the container.",
        ),
        "network": attr.string(
            doc = "With `command`: `none` (loopback only, the default) or `host`.",
            default = "none",
        ),
        "timeout_seconds": attr.int(
            doc = "With `command`: kill the container after this many seconds (0: no limit beyond Bazel's test timeout).",
            default = 0,
        ),
    }),
    toolchains = [TOOLCHAIN_TYPE],
)
