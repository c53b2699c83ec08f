// The libcurl functions slipway calls, each forwarded to libcurl.so.4 opened on first use.
#include "third_party/lazy/lazy_curl.h"

#include <curl/curl.h>
#include <stdarg.h>

namespace lazy {

LazyLibrary& CurlLibrary() {
  static LazyLibrary* const library = new LazyLibrary("libcurl.so.4", "libcurl4");
  return *library;
}

}  // namespace lazy

#define LAZY_CURL(ret, name, params, args, failure) \
  LAZY_FORWARD(::lazy::CurlLibrary(), ret, name, params, args, failure)

LAZY_CURL(CURLcode, curl_global_init, (long flags), (flags), CURLE_FAILED_INIT)
LAZY_CURL(CURL*, curl_easy_init, (void), (), nullptr)
LAZY_CURL(void, curl_easy_reset, (CURL * curl), (curl), )
LAZY_CURL(void, curl_easy_cleanup, (CURL * curl), (curl), )
LAZY_CURL(CURLcode, curl_easy_perform, (CURL * curl), (curl), CURLE_FAILED_INIT)
LAZY_CURL(CURLSH*, curl_share_init, (void), (), nullptr)
LAZY_CURL(CURLSHcode, curl_share_cleanup, (CURLSH * share), (share), CURLSHE_INVALID)
LAZY_CURL(struct curl_slist*, curl_slist_append, (struct curl_slist * list, const char* string),
          (list, string), nullptr)
LAZY_CURL(void, curl_slist_free_all, (struct curl_slist * list), (list), )

// Never null: the message says why libcurl is missing, so callers that print
// curl_easy_strerror(rc) name the cause.
extern "C" const char* curl_easy_strerror(CURLcode code) {
  static const auto real =
      ::lazy::Resolve<decltype(&::curl_easy_strerror)>(::lazy::CurlLibrary(), "curl_easy_strerror");
  if (real == nullptr) return ::lazy::CurlLibrary().UnavailableMessage();
  return real(code);
}

// The variadic functions take exactly one more argument, whose type follows from the option: it
// is read with va_arg as that type and passed on as that type (a va_list cannot be forwarded to a
// `...` function, and the calling convention is not relied on).
extern "C" CURLcode curl_easy_setopt(CURL* curl, CURLoption option, ...) {
  static const auto real =
      ::lazy::Resolve<decltype(&::curl_easy_setopt)>(::lazy::CurlLibrary(), "curl_easy_setopt");
  if (real == nullptr) return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, option);
  CURLcode rc;
  if (option < CURLOPTTYPE_OBJECTPOINT) {  // CURLOPTTYPE_LONG and _VALUES
    long value = va_arg(ap, long);
    rc = real(curl, option, value);
  } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {  // _OBJECTPOINT, _STRINGPOINT, _SLISTPOINT, _CBPOINT
    void* value = va_arg(ap, void*);
    rc = real(curl, option, value);
  } else if (option < CURLOPTTYPE_OFF_T) {  // _FUNCTIONPOINT: curl reads it as its callback type
    using AnyFunction = void (*)(void);
    AnyFunction value = va_arg(ap, AnyFunction);
    rc = real(curl, option, value);
  } else if (option < CURLOPTTYPE_BLOB) {  // _OFF_T
    curl_off_t value = va_arg(ap, curl_off_t);
    rc = real(curl, option, value);
  } else {  // _BLOB, and anything newer: a pointer
    void* value = va_arg(ap, void*);
    rc = real(curl, option, value);
  }
  va_end(ap);
  return rc;
}

extern "C" CURLSHcode curl_share_setopt(CURLSH* share, CURLSHoption option, ...) {
  static const auto real =
      ::lazy::Resolve<decltype(&::curl_share_setopt)>(::lazy::CurlLibrary(), "curl_share_setopt");
  if (real == nullptr) return CURLSHE_NOT_BUILT_IN;
  va_list ap;
  va_start(ap, option);
  CURLSHcode rc;
  switch (option) {
    case CURLSHOPT_SHARE:
    case CURLSHOPT_UNSHARE: {  // a curl_lock_data, which curl reads as int
      int value = va_arg(ap, int);
      rc = real(share, option, value);
      break;
    }
    case CURLSHOPT_LOCKFUNC:
    case CURLSHOPT_UNLOCKFUNC: {
      using AnyFunction = void (*)(void);
      AnyFunction value = va_arg(ap, AnyFunction);
      rc = real(share, option, value);
      break;
    }
    case CURLSHOPT_USERDATA: {
      void* value = va_arg(ap, void*);
      rc = real(share, option, value);
      break;
    }
    default:  // curl rejects it with CURLSHE_BAD_OPTION without reading an argument
      rc = real(share, option);
      break;
  }
  va_end(ap);
  return rc;
}

extern "C" CURLcode curl_easy_getinfo(CURL* curl, CURLINFO info, ...) {
  static const auto real =
      ::lazy::Resolve<decltype(&::curl_easy_getinfo)>(::lazy::CurlLibrary(), "curl_easy_getinfo");
  if (real == nullptr) return CURLE_FAILED_INIT;
  va_list ap;
  va_start(ap, info);
  void* out = va_arg(ap, void*);  // every CURLINFO_* type is returned through a pointer
  va_end(ap);
  return real(curl, info, out);
}
