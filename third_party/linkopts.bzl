"""Link options for Debian's system libraries."""

def static_hidden(name):
    """Link lib<name>.a instead of lib<name>.so, its symbols kept out of the dynamic symbol table.

    Saves the dynamic loader mapping and relocating the library at every start. Hidden, so that a
    shared copy brought in later by a dlopen'ed library (libcurl and libarchive use libz, libzstd,
    libcrypto) binds only to itself and the two never share state.
    """
    return [
        "-Wl,--push-state,-Bstatic",
        "-l" + name,
        "-Wl,--pop-state",
        "-Wl,--exclude-libs,lib%s.a" % name,
    ]
