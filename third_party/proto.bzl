"""cc_proto: compiles a .proto to C++ with Debian's system protoc (no download of protobuf rules)."""

def cc_proto(name, src, deps = [], visibility = None):
    """Generates `<stem>.pb.h/.pb.cc` from `src` and wraps them in a cc_library called `name`.

    Args:
      name: the cc_library's name.
      src: one .proto file in this package.
      deps: other cc_proto targets whose .proto files this one imports.
      visibility: the library's visibility.
    """
    stem = src[:-len(".proto")]
    repo = native.repository_name()
    root = "" if repo == "@" else "external/" + repo[1:]
    native.genrule(
        name = name + "_gen",
        srcs = [src],
        outs = [stem + ".pb.h", stem + ".pb.cc"],
        # Paths are relative to the repository root, so that the generated includes
        # ("runner/structure/spec.pb.h") also resolve when slipway is an external repository
        # (@slipway, e.g. for the Bazel rules' toolchain), whose files live under external/slipway.
        cmd = "protoc --proto_path=%s --cpp_out=$(GENDIR)%s $(location %s)" % (
            root or ".",
            "/" + root if root else "",
            src,
        ),
        message = "protoc " + src,
    )
    native.cc_library(
        name = name,
        srcs = [stem + ".pb.cc"],
        hdrs = [stem + ".pb.h"],
        deps = deps + ["//third_party:protobuf"],
        visibility = visibility,
    )
