// A system shared library that is opened with dlopen(3) on first use instead of by the dynamic
// loader at process start. slipway links libcurl and libarchive this way: their dependency chains
// (gnutls, krb5, ldap, xml2, ...) cost ~5 ms of symbol lookup at every start, and most commands
// (`run` with cached layers, `version`, `ps`, `graph`) never use them. lazy_curl.cc and
// lazy_archive.cc define the C functions slipway calls and forward each to the real one.
//
// Thread-safety: all methods may be called from any thread; the library is opened at most once.
// Ownership: the handle is never closed (symbols may be used until exit), so instances are meant
// to be function-local statics that live for the whole process.
#ifndef SLIPWAY_THIRD_PARTY_LAZY_LAZY_LIBRARY_H_
#define SLIPWAY_THIRD_PARTY_LAZY_LAZY_LIBRARY_H_

#include <string>

#include "absl/base/call_once.h"
#include "absl/status/status.h"

namespace lazy {

class LazyLibrary {
 public:
  // `soname` is what dlopen is given ("libcurl.so.4"); `package` is the Debian package that
  // ships it ("libcurl4"), named in the error when it cannot be loaded.
  LazyLibrary(std::string soname, std::string package);
  LazyLibrary(const LazyLibrary&) = delete;
  LazyLibrary& operator=(const LazyLibrary&) = delete;

  // Opens the library (RTLD_NOW | RTLD_LOCAL) on the first call. OK once it is open; otherwise
  // Internal (a broken installation is slipway's failure, exit status 125, not the user's)
  // naming the library, dlerror() and the package to install, every time.
  // The first failure is also printed as one line on stderr, so that it reaches the user even
  // where a caller only sees a forwarded function's failure value.
  absl::Status Load();

  // The address of the function `name` in the library (opening it first), or nullptr when the
  // library cannot be loaded or lacks `name` (printed once on stderr per call of Symbol, so
  // callers cache the result).
  void* Symbol(const char* name);

  // A message for the forwarded functions that return an error string (curl_easy_strerror,
  // archive_error_string) when the library is not there: "libcurl.so.4 could not be loaded ...".
  const char* UnavailableMessage() const { return unavailable_message_.c_str(); }

  // Replaces the soname. Only valid before the first Load or Symbol; tests use it to see how the
  // forwarding functions fail when the library is missing.
  void SetSonameForTesting(std::string soname);

 private:
  void Open();

  std::string soname_;
  const std::string package_;
  std::string unavailable_message_;
  absl::once_flag once_;
  void* handle_ = nullptr;  // set once by Open; never closed
  absl::Status status_;     // set once by Open
};

// Symbol(name) as a pointer to a function of type `Fn` (use decltype(&name), which also checks
// that the forwarding definition and the header agree).
template <typename Fn>
Fn Resolve(LazyLibrary& library, const char* name) {
  return reinterpret_cast<Fn>(library.Symbol(name));
}

}  // namespace lazy

// Defines `ret name params` (the exact declaration from the library's header) as: resolve the
// real `name` once (thread-safe), return `failure` if it cannot be, else forward `args` to it.
// For functions returning void, leave `failure` empty.
#define LAZY_FORWARD(library, ret, name, params, args, failure)                               \
  extern "C" ret name params {                                                                \
    static const auto real = ::lazy::Resolve<decltype(&::name)>(library, #name);              \
    if (real == nullptr) return failure;                                                      \
    return real args;                                                                         \
  }

#endif  // SLIPWAY_THIRD_PARTY_LAZY_LAZY_LIBRARY_H_
