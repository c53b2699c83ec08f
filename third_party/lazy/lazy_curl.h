// libcurl, opened on first use: link //third_party/lazy:curl instead of -lcurl and call curl_*
// as usual (headers from libcurl4-openssl-dev). lazy_curl.cc forwards the functions slipway uses;
// calling one it lacks is a link error, so add it there. When libcurl.so.4 is missing, the
// functions return their documented failure values and CurlLibrary().Load() says why.
#ifndef SLIPWAY_THIRD_PARTY_LAZY_LAZY_CURL_H_
#define SLIPWAY_THIRD_PARTY_LAZY_LAZY_CURL_H_

#include "third_party/lazy/lazy_library.h"

namespace lazy {

// The process-wide libcurl.so.4 (Debian package libcurl4).
LazyLibrary& CurlLibrary();

}  // namespace lazy

#endif  // SLIPWAY_THIRD_PARTY_LAZY_LAZY_CURL_H_
