"""slipway's Bazel rules: the public API. Everything here is re-exported from //rules/private.

Load from `@slipway//rules:defs.bzl`, and register the toolchain once in WORKSPACE:

    register_toolchains("@slipway//rules:slipway_toolchain")

See rules/README.md for every rule and attribute.
"""

load("//rules/private:common.bzl", _OciImageInfo = "OciImageInfo")
load("//rules/private:dockerfile.bzl", _dockerfile_image = "dockerfile_image")
load("//rules/private:image.bzl", _oci_image = "oci_image")
load("//rules/private:index.bzl", _oci_image_index = "oci_image_index")
load("//rules/private:pull.bzl", _oci_pull = "oci_pull")
load("//rules/private:push.bzl", _oci_push = "oci_push")
load("//rules/private:tarball.bzl", _oci_load = "oci_load", _oci_tarball = "oci_tarball")
load("//rules/private:test.bzl", _oci_test = "oci_test")
load("//rules/private:toolchain.bzl", _slipway_toolchain = "slipway_toolchain")

OciImageInfo = _OciImageInfo
dockerfile_image = _dockerfile_image
oci_image = _oci_image
oci_image_index = _oci_image_index
oci_load = _oci_load
oci_pull = _oci_pull
oci_push = _oci_push
oci_tarball = _oci_tarball
oci_test = _oci_test
slipway_toolchain = _slipway_toolchain
