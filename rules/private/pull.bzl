"""oci_pull: a base image fetched by digest with slipway when Bazel fetches external repositories."""

_DOC = """Fetches an image from a registry into an external repository, by its digest.

A repository rule cannot run a binary that the build itself produces, so `oci_pull` runs a slipway
binary that already exists, looked up in this order: the `slipway` attribute (a label to a prebuilt
binary file), the `SLIPWAY_BIN` environment variable (an absolute path; declared, so changing it
fetches again), then `slipway` on `PATH`. Build one with
`bazel build @slipway//tools:slipway` in a slipway checkout (or install slipway) before the first fetch.

The registry client is slipway's own: credentials come from Docker's config
(`$DOCKER_CONFIG/config.json`), mirrors and insecure registries from slipway's config
(`$XDG_CONFIG_HOME/slipway/config.json`, or the `config` attribute). Pulling by digest means a mirror
cannot change what you get.

`digest` is required: without it, or with one the registry does not have, the fetch fails and prints
the digest the reference's tag points to now, ready to paste. The repository holds the image for
`platform` and provides `@<name>//:image` for the `base` of oci_image, the `bases` of
dockerfile_image, and the other rules.

```starlark
load("@slipway//rules:defs.bzl", "oci_pull")

oci_pull(
    name = "busybox",
    image = "docker.io/library/busybox:1.36",
    digest = "sha256:...",
    platform = "linux/amd64",
)
```
"""

_BUILD = """\
load("{import_bzl}", "oci_layout_import")

# Written by oci_pull from {image}@{digest} ({platform}).
oci_layout_import(
    name = "image",
    srcs = glob(["layout/**"]),
    digest = "{stored}",
    visibility = ["//visibility:public"],
)
"""

def _find_slipway(rctx):
    if rctx.attr.slipway:
        return rctx.path(rctx.attr.slipway)
    env = rctx.os.environ.get("SLIPWAY_BIN", "")
    if env:
        p = rctx.path(env)
        if not p.exists:
            fail("oci_pull(name = \"%s\"): SLIPWAY_BIN=%s does not exist" % (rctx.name, env))
        return p
    found = rctx.which("slipway")
    if found:
        return found
    fail(("oci_pull(name = \"%s\") needs a slipway binary to fetch with: set the `slipway` attribute " +
          "to a prebuilt binary, or SLIPWAY_BIN=/abs/path/to/slipway (e.g. after " +
          "`bazel build @slipway//tools:slipway` in a slipway checkout), or put slipway on PATH") % rctx.name)

def _is_digest(d):
    if not d.startswith("sha256:") or len(d) != 71:
        return False
    for c in d[7:].elems():
        if c not in "0123456789abcdef":
            return False
    return True

def _repository(image):
    """`host/repo:tag` -> `host/repo` (a tag is the part after the last `:` with no `/` in it)."""
    colon = image.rfind(":")
    if colon > image.rfind("/"):
        return image[:colon]
    return image

def _last_line(text):
    lines = [l for l in text.strip().split("\n") if l.strip()]
    return lines[-1].strip() if lines else ""

def _current_digest(rctx, slipway, common, image):
    """What `image` (by tag) points to now: (digest, "") or (None, the error)."""
    r = rctx.execute([slipway, "digest"] + common + [image], timeout = rctx.attr.timeout)
    if r.return_code == 0 and _is_digest(_last_line(r.stdout)):
        return _last_line(r.stdout), ""
    return None, (r.stderr or r.stdout).strip()

def _oci_pull_impl(rctx):
    slipway = _find_slipway(rctx)
    image = rctx.attr.image
    if "@" in image:
        fail("oci_pull(name = \"%s\"): put the digest in `digest`, not in `image` (%s)" % (rctx.name, image))
    common = []
    if rctx.attr.config:
        common += ["--config", str(rctx.path(rctx.attr.config))]
    for host in rctx.attr.insecure_registries:
        common += ["--insecure-registry", host]

    digest = rctx.attr.digest
    if not digest:
        found, err = _current_digest(rctx, slipway, common, image)
        if found:
            fail(("oci_pull(name = \"%s\"): `digest` is required, so that the build does not change when the tag moves. " +
                  "%s points to\n    digest = \"%s\",") % (rctx.name, image, found))
        fail("oci_pull(name = \"%s\"): `digest` is required, and asking the registry for %s's failed: %s" % (rctx.name, image, err))
    if not _is_digest(digest):
        fail("oci_pull(name = \"%s\"): digest `%s` is not `sha256:` and 64 lowercase hex digits" % (rctx.name, digest))

    ref = _repository(image) + "@" + digest
    out = rctx.path("layout")
    r = rctx.execute(
        [slipway, "pull", "--progress", "quiet", "--platform", rctx.attr.platform, "--output", "oci:%s:latest" % out] + common + [ref],
        timeout = rctx.attr.timeout,
        environment = {"SOURCE_DATE_EPOCH": "0"},
    )
    if r.return_code != 0:
        found, err = _current_digest(rctx, slipway, common, image)
        hint = ("; %s points to\n    digest = \"%s\"," % (image, found)) if found and found != digest else ""
        fail("oci_pull(name = \"%s\"): pulling %s for %s failed: %s%s" % (rctx.name, ref, rctx.attr.platform, (r.stderr or r.stdout).strip(), hint))
    stored = _last_line(r.stdout)
    if not _is_digest(stored):
        fail("oci_pull(name = \"%s\"): slipway pull did not print the stored digest (got `%s`)" % (rctx.name, r.stdout.strip()))
    # Bookkeeping files of slipway's layout store, which are not part of the image.
    rctx.delete("layout/.lock")
    rctx.delete("layout/.writers")
    rctx.delete("layout/blobs/.ingest")
    rctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % rctx.name)
    rctx.file("BUILD.bazel", _BUILD.format(
        import_bzl = "@%s//rules/private:layout_import.bzl" % Label("//rules/private:layout_import.bzl").workspace_name,
        image = image,
        digest = digest,
        platform = rctx.attr.platform,
        stored = stored,
    ))

oci_pull = repository_rule(
    implementation = _oci_pull_impl,
    doc = _DOC,
    attrs = {
        "image": attr.string(
            doc = "The image reference as Docker spells it, with or without a tag: `docker.io/library/busybox:1.36`, `registry.example:5000/team/base`. The tag is only used to suggest a digest.",
            mandatory = True,
        ),
        "digest": attr.string(
            doc = "The `sha256:…` digest of the manifest or index to fetch. Required: without it the fetch fails and prints the current one.",
        ),
        "platform": attr.string(
            doc = "The platform to take from an index, `os/arch[/variant]`.",
            default = "linux/amd64",
        ),
        "slipway": attr.label(
            doc = "A prebuilt slipway binary to fetch with (a file label). Default: `$SLIPWAY_BIN`, then `slipway` on PATH.",
            allow_single_file = True,
        ),
        "config": attr.label(
            doc = "A slipway config file (mirrors, insecure registries) passed as `--config`. Default: slipway's own lookup.",
            allow_single_file = True,
        ),
        "insecure_registries": attr.string_list(
            doc = "Registries reached over plain HTTP or unverified TLS (`--insecure-registry`); 127.0.0.1 and localhost always are.",
        ),
        "timeout": attr.int(
            doc = "Seconds the pull may take.",
            default = 600,
        ),
    },
    environ = ["SLIPWAY_BIN"],
)
