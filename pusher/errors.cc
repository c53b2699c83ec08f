#include "pusher/errors.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace pusher {
namespace {

constexpr char kHttpStatusPayload[] = "slipway.dev/pusher/http-status";
constexpr char kErrorCodesPayload[] = "slipway.dev/pusher/error-codes";

const char* Reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

}  // namespace

absl::Status RegistryError(absl::string_view what, const HttpResponse& response) {
  std::vector<std::string> codes;
  std::vector<std::string> details;
  nlohmann::json doc = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array()) {
    for (const auto& e : doc["errors"]) {
      if (!e.is_object()) continue;
      std::string code = e.value("code", "");
      std::string message = e.value("message", "");
      if (!code.empty()) codes.push_back(code);
      details.push_back(message.empty() ? code : absl::StrCat(code, ": ", message));
    }
  }
  const int s = response.status;
  absl::StatusCode code;
  if (s == 401) {
    code = absl::StatusCode::kUnauthenticated;
  } else if (s == 403) {
    code = absl::StatusCode::kPermissionDenied;
  } else if (s == 404) {
    code = absl::StatusCode::kNotFound;
  } else if (s == 416) {
    code = absl::StatusCode::kOutOfRange;
  } else if (s == 429 || s >= 500) {
    code = absl::StatusCode::kUnavailable;
  } else if (std::find(codes.begin(), codes.end(), "DIGEST_INVALID") != codes.end()) {
    code = absl::StatusCode::kDataLoss;
  } else if (s == 409 || s == 405) {
    code = absl::StatusCode::kFailedPrecondition;
  } else if (s >= 400) {
    code = absl::StatusCode::kInvalidArgument;
  } else {
    code = absl::StatusCode::kUnknown;  // an unexpected 1xx/2xx/3xx
  }
  std::string message = absl::StrCat(what, ": ", s, " ", Reason(s));
  while (!message.empty() && message.back() == ' ') message.pop_back();
  if (!details.empty()) {
    absl::StrAppend(&message, ": ", absl::StrJoin(details, "; "));
  } else if (s >= 400 && !response.body.empty() && response.body.size() < 200 &&
             response.body.find('<') == std::string::npos) {
    std::string body = response.body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    absl::StrAppend(&message, ": ", body);
  }
  absl::Status status(code, message);
  status.SetPayload(kHttpStatusPayload, absl::Cord(absl::StrCat(s)));
  if (!codes.empty()) status.SetPayload(kErrorCodesPayload, absl::Cord(absl::StrJoin(codes, ",")));
  return status;
}

int HttpStatusOf(const absl::Status& status) {
  auto payload = status.GetPayload(kHttpStatusPayload);
  int out = 0;
  if (payload.has_value() && absl::SimpleAtoi(std::string(*payload), &out)) return out;
  return 0;
}

std::vector<std::string> ErrorCodesOf(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorCodesPayload);
  if (!payload.has_value()) return {};
  return absl::StrSplit(std::string(*payload), ',', absl::SkipEmpty());
}

bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

}  // namespace pusher
