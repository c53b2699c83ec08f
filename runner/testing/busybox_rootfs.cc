#include "runner/testing/busybox_rootfs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "base/env.h"
#include "base/status_macros.h"

namespace runner_testing {

std::string BusyboxPath() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr)
    return absl::StrCat(srcdir, "/", workspace, "/testdata/runner/busybox.bin");
  return "/usr/bin/busybox";
}

absl::Status MakeBusyboxRootfs(const std::string& root) {
  base::Env* env = base::Env::Default();
  for (const char* d : {"bin", "etc", "tmp", "proc", "dev", "sys", "root", "home/app"})
    RETURN_IF_ERROR(env->CreateDirs(absl::StrCat(root, "/", d)));
  chmod(absl::StrCat(root, "/tmp").c_str(), 01777);
  ASSIGN_OR_RETURN(std::string bin, env->ReadFile(BusyboxPath()));
  RETURN_IF_ERROR(env->WriteFileAtomically(absl::StrCat(root, "/bin/busybox"), bin, 0755));
  for (const char* applet :
       {"sh", "echo", "cat", "ls", "id", "hostname", "true", "false", "sleep", "env", "mount",
        "ps", "kill", "wget", "nc", "touch", "mkdir", "rm", "grep", "head", "sed", "pwd", "dd",
        "ln", "stat", "umount", "insmod", "chmod", "yes", "seq", "printf", "test", "readlink"}) {
    std::string link = absl::StrCat(root, "/bin/", applet);
    if (symlink("busybox", link.c_str()) < 0 && errno != EEXIST)
      return base::ErrnoError(errno, absl::StrCat("symlink `", link, "`"));
  }
  RETURN_IF_ERROR(env->WriteFileAtomically(
      absl::StrCat(root, "/etc/passwd"),
      "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"
      "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"));
  RETURN_IF_ERROR(env->WriteFileAtomically(
      absl::StrCat(root, "/etc/group"),
      "root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n"));
  return absl::OkStatus();
}

}  // namespace runner_testing
