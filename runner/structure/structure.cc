#include "runner/structure/structure.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/scoped_fd.h"
#include "base/scoped_temp_dir.h"
#include "base/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "nlohmann/json.hpp"
#include "runner/rootfs/rootfs.h"
#include "runner/sandbox/in_root.h"

namespace runner {
namespace structure {
namespace {

using Json = nlohmann::json;

// Output beyond this is cut before matching (std::regex recurses per character).
constexpr size_t kMaxOutput = 1 << 20;
constexpr double kDefaultCommandTimeout = 60;

absl::StatusOr<std::regex> Compile(const std::string& pattern) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid regex `", pattern, "`: ", e.what()));
  }
}

// Whether `pattern` (already validated by ParseSpec) matches anywhere in `text`.
bool Matches(const std::string& pattern, const std::string& text) {
  absl::StatusOr<std::regex> re = Compile(pattern);
  if (!re.ok()) return false;
  try {
    return std::regex_search(text, *re);
  } catch (const std::regex_error&) {
    return false;  // e.g. error_complexity: treated as no match
  }
}

void CheckRegexes(const google::protobuf::RepeatedPtrField<std::string>& expected,
                  const google::protobuf::RepeatedPtrField<std::string>& excluded,
                  const std::string& text, const char* what, std::vector<std::string>& failures) {
  for (const std::string& p : expected)
    if (!Matches(p, text)) failures.push_back(absl::StrCat("expected ", what, " to match `", p, "`"));
  for (const std::string& p : excluded)
    if (Matches(p, text))
      failures.push_back(absl::StrCat(what, " matches the excluded `", p, "`"));
}

absl::Status ValidateRegexes(const google::protobuf::RepeatedPtrField<std::string>& patterns) {
  for (const std::string& p : patterns) RETURN_IF_ERROR(Compile(p).status());
  return absl::OkStatus();
}

std::string Quote(const std::string& s) {
  return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// XML 1.0 text: escape markup, drop the control characters XML cannot hold.
std::string XmlEscape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "?";
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string PortKey(const std::string& port) {
  return port.find('/') == std::string::npos ? absl::StrCat(port, "/tcp") : port;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TestResult RunCommandTest(const CommandTest& t, const StructureTestOptions& o) {
  auto start = std::chrono::steady_clock::now();
  TestResult r;
  r.kind = "command";
  r.name = t.name();
  int raw = memfd_create("slipway-test-output", MFD_CLOEXEC);
  if (raw < 0) {
    r.failures.push_back(absl::StrCat("memfd_create: ", std::strerror(errno)));
    return r;
  }
  base::ScopedFd output(raw);
  RunOptions run;
  run.image = o.image;
  run.opened_image = o.opened_image;
  run.entrypoint = t.command();
  run.args.assign(t.args().begin(), t.args().end());
  for (const EnvVar& e : t.env()) run.env.push_back(absl::StrCat(e.key(), "=", e.value()));
  run.user = t.user();
  run.workdir = t.workdir();
  run.network = t.network() == "host" ? NetworkMode::kHost : NetworkMode::kNone;
  run.timeout_seconds = t.timeout_seconds() > 0 ? t.timeout_seconds() : kDefaultCommandTimeout;
  run.stop_grace_seconds = 1;
  run.remove = true;
  run.state_root = o.state_root;
  run.cache_dir = o.cache_dir;
  run.output_fd = output.get();
  std::ostringstream diagnostics;
  std::ostringstream ignored;
  absl::StatusOr<int> status = RunContainer(run, ignored, diagnostics);
  std::string text;
  struct stat st;
  if (fstat(output.get(), &st) == 0) {
    text.resize(std::min(static_cast<size_t>(st.st_size), kMaxOutput));
    ssize_t n = pread(output.get(), text.data(), text.size(), 0);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  // Errors slipway reports about the command (exec failures) are part of what the test sees.
  text += diagnostics.str();
  r.output = text;
  if (!status.ok()) {
    r.failures.push_back(absl::StrCat("could not run the command: ", status.status().message()));
  } else {
    r.failures = CheckCommandOutput(t, text, *status);
    if (*status == kExitTimeout && absl::StrContains(diagnostics.str(), "timed out"))
      r.failures.push_back(absl::StrCat("timed out after ", run.timeout_seconds, "s"));
  }
  r.passed = r.failures.empty();
  r.seconds = SecondsSince(start);
  return r;
}

Json ResultToJson(const TestResult& r) {
  return Json{{"kind", r.kind},       {"name", r.name},         {"passed", r.passed},
              {"failures", r.failures}, {"output", r.output}, {"seconds", r.seconds}};
}

TestResult ResultFromJson(const Json& j) {
  TestResult r;
  r.kind = j.value("kind", "");
  r.name = j.value("name", "");
  r.passed = j.value("passed", false);
  r.failures = j.value("failures", std::vector<std::string>{});
  r.output = j.value("output", "");
  r.seconds = j.value("seconds", 0.0);
  return r;
}

}  // namespace

absl::StatusOr<StructureTestSpec> ParseSpec(const std::string& text, const std::string& filename) {
  StructureTestSpec spec;
  struct Collector : google::protobuf::io::ErrorCollector {
    std::string errors;
    void AddError(int line, int column, const std::string& message) override {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", filename, ":", line + 1, ":",
                      column + 1, ": ", message);
    }
    std::string filename;
  } collector;
  collector.filename = filename;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  if (!parser.ParseFromString(text, &spec))
    return absl::InvalidArgumentError(absl::StrCat("parsing the spec: ", collector.errors));
  auto bad = [&](const std::string& kind, const std::string& name, const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat(filename, ": ", kind, " test `", name, "`: ", why));
  };
  auto default_name = [](std::string* name, const char* kind, int i) {
    if (name->empty()) *name = absl::StrCat(kind, " #", i + 1);
  };
  for (int i = 0; i < spec.command_tests_size(); ++i) {
    CommandTest* t = spec.mutable_command_tests(i);
    default_name(t->mutable_name(), "command", i);
    if (t->command().empty()) return bad("command", t->name(), "`command` is empty");
    if (!t->network().empty() && t->network() != "none" && t->network() != "host")
      return bad("command", t->name(), "`network` must be none or host");
    if (t->exit_code() < 0 || t->exit_code() > 255)
      return bad("command", t->name(), "`exit_code` must be 0..255");
    absl::Status s = ValidateRegexes(t->expected_output());
    s.Update(ValidateRegexes(t->excluded_output()));
    if (!s.ok()) return bad("command", t->name(), std::string(s.message()));
  }
  for (int i = 0; i < spec.file_existence_tests_size(); ++i) {
    FileExistenceTest* t = spec.mutable_file_existence_tests(i);
    default_name(t->mutable_name(), "file existence", i);
    if (!absl::StartsWith(t->path(), "/"))
      return bad("file existence", t->name(), "`path` must be absolute");
    if (!t->permissions().empty() && t->permissions().size() != 10)
      return bad("file existence", t->name(),
                 "`permissions` must be 10 characters like `-rwxr-xr-x`");
  }
  for (int i = 0; i < spec.file_content_tests_size(); ++i) {
    FileContentTest* t = spec.mutable_file_content_tests(i);
    default_name(t->mutable_name(), "file content", i);
    if (!absl::StartsWith(t->path(), "/"))
      return bad("file content", t->name(), "`path` must be absolute");
    absl::Status s = ValidateRegexes(t->expected_contents());
    s.Update(ValidateRegexes(t->excluded_contents()));
    if (!s.ok()) return bad("file content", t->name(), std::string(s.message()));
  }
  int total = spec.command_tests_size() + spec.file_existence_tests_size() +
              spec.file_content_tests_size() + (spec.has_metadata_test() ? 1 : 0);
  if (total == 0) return absl::InvalidArgumentError(absl::StrCat(filename, ": the spec has no tests"));
  return spec;
}

std::string PermissionString(mode_t mode) {
  std::string s(10, '-');
  switch (mode & S_IFMT) {
    case S_IFDIR: s[0] = 'd'; break;
    case S_IFLNK: s[0] = 'l'; break;
    case S_IFCHR: s[0] = 'c'; break;
    case S_IFBLK: s[0] = 'b'; break;
    case S_IFIFO: s[0] = 'p'; break;
    case S_IFSOCK: s[0] = 's'; break;
    default: break;
  }
  const char kRwx[] = "rwx";
  for (int i = 0; i < 9; ++i)
    if (mode & (1 << (8 - i))) s[1 + i] = kRwx[i % 3];
  auto special = [&](mode_t bit, int pos, char set_exec, char set_noexec) {
    if (mode & bit) s[pos] = s[pos] == 'x' ? set_exec : set_noexec;
  };
  special(S_ISUID, 3, 's', 'S');
  special(S_ISGID, 6, 's', 'S');
  special(S_ISVTX, 9, 't', 'T');
  return s;
}

std::vector<std::string> CheckCommandOutput(const CommandTest& test, const std::string& output,
                                            int exit_code) {
  std::vector<std::string> failures;
  if (exit_code != test.exit_code())
    failures.push_back(
        absl::StrCat("exit status ", exit_code, ", expected ", test.exit_code()));
  CheckRegexes(test.expected_output(), test.excluded_output(), output, "output", failures);
  return failures;
}

std::vector<std::string> CheckFileExistence(const FileExistenceTest& test, int root_fd) {
  std::vector<std::string> failures;
  bool should_exist = !test.has_should_exist() || test.should_exist();
  absl::StatusOr<base::ScopedFd> fd = OpenInRoot(root_fd, test.path(), O_PATH);
  if (!fd.ok()) {
    if (fd.status().code() != absl::StatusCode::kNotFound) {
      failures.push_back(std::string(fd.status().message()));
    } else if (should_exist) {
      failures.push_back(absl::StrCat("`", test.path(), "` does not exist"));
    }
    return failures;
  }
  if (!should_exist) {
    failures.push_back(absl::StrCat("`", test.path(), "` exists but should not"));
    return failures;
  }
  struct stat st;
  if (fstat(fd->get(), &st) < 0) {
    failures.push_back(absl::StrCat("stat `", test.path(), "`: ", std::strerror(errno)));
    return failures;
  }
  std::string perms = PermissionString(st.st_mode);
  if (!test.permissions().empty() && perms != test.permissions())
    failures.push_back(absl::StrCat("`", test.path(), "` has permissions ", perms, ", expected ",
                                    test.permissions()));
  if (test.has_uid() && st.st_uid != test.uid())
    failures.push_back(
        absl::StrCat("`", test.path(), "` is owned by uid ", st.st_uid, ", expected ", test.uid()));
  if (test.has_gid() && st.st_gid != test.gid())
    failures.push_back(
        absl::StrCat("`", test.path(), "` has gid ", st.st_gid, ", expected ", test.gid()));
  return failures;
}

std::vector<std::string> CheckFileContent(const FileContentTest& test, int root_fd) {
  std::vector<std::string> failures;
  absl::StatusOr<std::string> text = ReadFileInRoot(root_fd, test.path());
  if (!text.ok()) {
    failures.push_back(std::string(text.status().message()));
    return failures;
  }
  CheckRegexes(test.expected_contents(), test.excluded_contents(), *text,
               absl::StrCat("contents of `", test.path(), "`").c_str(), failures);
  return failures;
}

std::vector<std::string> CheckMetadata(const MetadataTest& test,
                                       const oci::ContainerConfig& config) {
  std::vector<std::string> failures;
  for (const EnvVar& e : test.env()) {
    std::string want = absl::StrCat(e.key(), "=", e.value());
    const std::string* found = nullptr;
    for (const std::string& kv : config.env)
      if (absl::StartsWith(kv, absl::StrCat(e.key(), "="))) found = &kv;
    if (found == nullptr) {
      failures.push_back(absl::StrCat("env `", e.key(), "` is not set"));
    } else if (*found != want) {
      failures.push_back(absl::StrCat("env `", *found, "`, expected `", want, "`"));
    }
  }
  auto check_argv = [&](const char* what, const Argv& want,
                        const std::optional<std::vector<std::string>>& have) {
    std::vector<std::string> w(want.args().begin(), want.args().end());
    std::vector<std::string> h = have.value_or(std::vector<std::string>{});
    if (w != h) {
      Json hj = h, wj = w;
      failures.push_back(absl::StrCat(what, " is ", hj.dump(), ", expected ", wj.dump()));
    }
  };
  if (test.has_entrypoint()) check_argv("entrypoint", test.entrypoint(), config.entrypoint);
  if (test.has_cmd()) check_argv("cmd", test.cmd(), config.cmd);
  if (test.has_workdir() && test.workdir() != config.working_dir)
    failures.push_back(absl::StrCat("workdir is ", Quote(config.working_dir), ", expected ",
                                    Quote(test.workdir())));
  for (const std::string& p : test.exposed_ports())
    if (config.exposed_ports.count(PortKey(p)) == 0)
      failures.push_back(absl::StrCat("port ", PortKey(p), " is not exposed"));
  for (const std::string& p : test.unexposed_ports())
    if (config.exposed_ports.count(PortKey(p)) != 0)
      failures.push_back(absl::StrCat("port ", PortKey(p), " is exposed but should not be"));
  for (const Label& l : test.labels()) {
    auto it = config.labels.find(l.key());
    if (it == config.labels.end()) {
      failures.push_back(absl::StrCat("label `", l.key(), "` is not set"));
    } else if (it->second != l.value()) {
      failures.push_back(absl::StrCat("label `", l.key(), "` is ", Quote(it->second),
                                      ", expected ", Quote(l.value())));
    }
  }
  if (test.has_user() && test.user() != config.user)
    failures.push_back(
        absl::StrCat("user is ", Quote(config.user), ", expected ", Quote(test.user())));
  return failures;
}

absl::StatusOr<std::vector<TestResult>> RunStructureTests(const StructureTestSpec& spec,
                                                          const StructureTestOptions& o) {
  if (o.opened_image == nullptr) return absl::InvalidArgumentError("no image to test");
  std::vector<TestResult> results;
  for (const CommandTest& t : spec.command_tests()) results.push_back(RunCommandTest(t, o));

  if (spec.file_existence_tests_size() + spec.file_content_tests_size() > 0) {
    auto start = std::chrono::steady_clock::now();
    LayerCache cache = LayerCache::ForThisUser(o.cache_dir);
    ASSIGN_OR_RETURN(base::ScopedTempDir scratch, base::ScopedTempDir::Create("slipway-test-"));
    auto check_all = [&spec](int root_fd) {
      Json out = Json::array();
      // Runs `check` on each test of one kind, timing it.
      auto run_each = [&](const char* kind, const auto& tests, auto check) {
        for (const auto& t : tests) {
          auto s = std::chrono::steady_clock::now();
          TestResult r;
          r.kind = kind;
          r.name = t.name();
          r.failures = check(t, root_fd);
          r.passed = r.failures.empty();
          r.seconds = SecondsSince(s);
          out.push_back(ResultToJson(r));
        }
      };
      run_each("file_existence", spec.file_existence_tests(),
               [](const FileExistenceTest& t, int fd) { return CheckFileExistence(t, fd); });
      run_each("file_content", spec.file_content_tests(),
               [](const FileContentTest& t, int fd) { return CheckFileContent(t, fd); });
      return out.dump(-1, ' ', false, Json::error_handler_t::replace);
    };
    absl::StatusOr<std::string> json =
        InspectImageRootfs(*o.opened_image->opened.layout, o.opened_image->ref, cache,
                           scratch.path(), check_all);
    if (!json.ok()) return base::Annotate(json.status(), "running the file tests");
    Json parsed = Json::parse(*json, nullptr, false);
    if (!parsed.is_array())
      return absl::InternalError("running the file tests: the helper's answer is not JSON");
    for (const Json& j : parsed) results.push_back(ResultFromJson(j));
    // The assembly cost is shared; spread it so the suite's time adds up.
    double each = SecondsSince(start) / static_cast<double>(parsed.size());
    for (size_t i = results.size() - parsed.size(); i < results.size(); ++i)
      results[i].seconds = each;
  }

  if (spec.has_metadata_test()) {
    TestResult r;
        r.kind = "metadata";
        r.name = "metadata";
    r.failures = CheckMetadata(spec.metadata_test(), o.opened_image->ref.config.config);
    r.passed = r.failures.empty();
    results.push_back(std::move(r));
  }
  return results;
}

std::string JunitXml(const std::vector<TestResult>& results, const std::string& suite) {
  int failed = 0;
  double total = 0;
  for (const TestResult& r : results) {
    failed += r.passed ? 0 : 1;
    total += r.seconds;
  }
  std::string head = absl::StrCat("tests=\"", results.size(), "\" failures=\"", failed,
                                  "\" errors=\"0\" time=\"", absl::StrFormat("%.3f", total), "\"");
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&xml, "<testsuites name=\"slipway structure tests\" ", head, ">\n");
  absl::StrAppend(&xml, "  <testsuite name=\"", XmlEscape(suite), "\" ", head,
                  " skipped=\"0\">\n");
  for (const TestResult& r : results) {
    absl::StrAppend(&xml, "    <testcase classname=\"structure.", XmlEscape(r.kind), "\" name=\"",
                    XmlEscape(r.name), "\" time=\"", absl::StrFormat("%.3f", r.seconds), "\"");
    if (r.passed && r.output.empty()) {
      absl::StrAppend(&xml, "/>\n");
      continue;
    }
    absl::StrAppend(&xml, ">\n");
    if (!r.passed) {
      absl::StrAppend(&xml, "      <failure message=\"",
                      XmlEscape(r.failures.empty() ? "failed" : r.failures[0]),
                      "\" type=\"failure\">", XmlEscape(absl::StrJoin(r.failures, "\n")),
                      "</failure>\n");
    }
    if (!r.output.empty())
      absl::StrAppend(&xml, "      <system-out>", XmlEscape(r.output), "</system-out>\n");
    absl::StrAppend(&xml, "    </testcase>\n");
  }
  absl::StrAppend(&xml, "  </testsuite>\n</testsuites>\n");
  return xml;
}

std::string ResultsJson(const std::vector<TestResult>& results, const std::string& image) {
  Json tests = Json::array();
  int passed = 0;
  for (const TestResult& r : results) {
    tests.push_back(ResultToJson(r));
    passed += r.passed ? 1 : 0;
  }
  Json out{{"image", image},
           {"passed", passed},
           {"failed", static_cast<int>(results.size()) - passed},
           {"tests", tests}};
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace structure
}  // namespace runner
