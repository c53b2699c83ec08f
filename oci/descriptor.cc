// Platform parsing and normalisation (the rules containerd's `platforms` package applies).
#include "oci/descriptor.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace oci {
namespace {

bool IsKnownOs(absl::string_view os) {
  static constexpr absl::string_view kOses[] = {
      "aix",   "android", "darwin",  "dragonfly", "freebsd", "hurd",    "illumos", "ios",
      "js",    "linux",   "nacl",    "netbsd",    "openbsd", "plan9",   "solaris", "windows",
      "zos",   "wasip1"};
  for (absl::string_view k : kOses) {
    if (k == os) return true;
  }
  return false;
}

bool IsKnownArch(absl::string_view arch) {
  static constexpr absl::string_view kArches[] = {
      "386",     "amd64",    "amd64p32", "arm",     "armbe",   "arm64",    "arm64be",  "ppc64",
      "ppc64le", "loong64",  "mips",     "mipsle",  "mips64",  "mips64le", "mips64p32",
      "mips64p32le", "ppc",  "riscv",    "riscv64", "s390",    "s390x",    "sparc",    "sparc64",
      "wasm"};
  for (absl::string_view k : kArches) {
    if (k == arch) return true;
  }
  return false;
}

// A component must be non-empty and made of [A-Za-z0-9_-] (containerd's specifier syntax).
absl::Status CheckComponent(absl::string_view text, absl::string_view part, absl::string_view what) {
  if (part.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid platform `", text, "`: empty ", what));
  }
  for (char c : part) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return absl::InvalidArgumentError(absl::StrCat("invalid platform `", text, "`: ", what, " `",
                                                     part, "` contains `", std::string(1, c),
                                                     "` (allowed: letters, digits, `_`, `-`)"));
    }
  }
  return absl::OkStatus();
}

std::string NormalizeOs(std::string os) {
  os = absl::AsciiStrToLower(os);
  if (os == "macos") return "darwin";
  return os;
}

void NormalizeArch(Platform& p) {
  std::string arch = absl::AsciiStrToLower(p.architecture);
  std::string variant = absl::AsciiStrToLower(p.variant);
  if (arch == "i386") {
    arch = "386";
    variant.clear();
  } else if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") variant.clear();  // v1 is the baseline, as containerd does
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant == "8" || variant == "v8" || variant == "v8.0") variant.clear();
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm") {
    if (variant.empty() || variant == "7") {
      variant = "v7";
    } else if (variant == "5" || variant == "6" || variant == "8") {
      variant = absl::StrCat("v", variant);
    }
  }
  p.architecture = std::move(arch);
  p.variant = std::move(variant);
}

}  // namespace

std::string Platform::ToString() const {
  std::string out = absl::StrCat(os.empty() ? "unknown" : os, "/",
                                 architecture.empty() ? "unknown" : architecture);
  if (!variant.empty()) absl::StrAppend(&out, "/", variant);
  return out;
}

absl::StatusOr<Platform> Platform::Parse(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  if (text.empty()) return absl::InvalidArgumentError("invalid platform ``: empty");
  if (parts.size() > 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid platform `", text, "`: expected `os/arch[/variant]`, got ", parts.size(),
        " components"));
  }
  Platform p;
  if (parts.size() == 1) {
    // A single component is an OS if it names one (arch = host's), else an architecture on linux.
    if (absl::Status s = CheckComponent(text, parts[0], "component"); !s.ok()) return s;
    std::string lower = absl::AsciiStrToLower(parts[0]);
    if (IsKnownOs(NormalizeOs(lower))) {
      Platform host = Host();
      p.os = NormalizeOs(lower);
      p.architecture = host.architecture;
      p.variant = host.variant;
      return p;
    }
    p.os = "linux";
    p.architecture = lower;
    NormalizeArch(p);
    if (!IsKnownArch(p.architecture)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid platform `", text, "`: `", parts[0], "` is neither a known OS nor architecture"));
    }
    return p;
  }
  if (absl::Status s = CheckComponent(text, parts[0], "os"); !s.ok()) return s;
  if (absl::Status s = CheckComponent(text, parts[1], "architecture"); !s.ok()) return s;
  p.os = NormalizeOs(std::string(parts[0]));
  p.architecture = std::string(parts[1]);
  if (parts.size() == 3) {
    if (absl::Status s = CheckComponent(text, parts[2], "variant"); !s.ok()) return s;
    p.variant = std::string(parts[2]);
  }
  NormalizeArch(p);
  return p;
}

Platform Platform::Host() {
  Platform p;
  p.os = "linux";
#if defined(__x86_64__)
  p.architecture = "amd64";
#elif defined(__aarch64__)
  p.architecture = "arm64";
#elif defined(__arm__)
  p.architecture = "arm";
  p.variant = "v7";
#elif defined(__i386__)
  p.architecture = "386";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  p.architecture = "ppc64le";
#elif defined(__s390x__)
  p.architecture = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  p.architecture = "riscv64";
#else
  p.architecture = "unknown";
#endif
  return p;
}

}  // namespace oci
