// The libarchive functions slipway calls, each forwarded to libarchive.so.13 opened on first use.
#include "third_party/lazy/lazy_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>

#include <string>

namespace lazy {

LazyLibrary& ArchiveLibrary() {
  static LazyLibrary* const library = new LazyLibrary("libarchive.so.13", "libarchive13");
  return *library;
}

}  // namespace lazy

#define LAZY_ARCHIVE(ret, name, params, args, failure) \
  LAZY_FORWARD(::lazy::ArchiveLibrary(), ret, name, params, args, failure)

// Handles and entries. Without the library no handle can exist, so the functions that take one
// only fail through a missing symbol; they return what libarchive returns for a bad handle.
LAZY_ARCHIVE(struct archive*, archive_read_new, (void), (), nullptr)
LAZY_ARCHIVE(struct archive*, archive_write_new, (void), (), nullptr)
LAZY_ARCHIVE(int, archive_read_free, (struct archive * a), (a), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_free, (struct archive * a), (a), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_close, (struct archive * a), (a), ARCHIVE_FATAL)
LAZY_ARCHIVE(struct archive_entry*, archive_entry_new, (void), (), nullptr)
LAZY_ARCHIVE(struct archive_entry*, archive_entry_new2, (struct archive * a), (a), nullptr)
LAZY_ARCHIVE(void, archive_entry_free, (struct archive_entry * e), (e), )

// Errors. archive_error_string is never null without the library: it says why, so the callers'
// "reading `x`: <archive_error_string>" messages name the cause.
extern "C" const char* archive_error_string(struct archive* a) {
  static const auto real = ::lazy::Resolve<decltype(&::archive_error_string)>(
      ::lazy::ArchiveLibrary(), "archive_error_string");
  if (real == nullptr) return ::lazy::ArchiveLibrary().UnavailableMessage();
  return real(a);
}

// A variadic printf-like function: formatted here, passed on as "%s" (libarchive's own formatter
// understands a subset of printf; vsnprintf understands all of it).
extern "C" void archive_set_error(struct archive* a, int error_number, const char* fmt, ...) {
  static const auto real = ::lazy::Resolve<decltype(&::archive_set_error)>(
      ::lazy::ArchiveLibrary(), "archive_set_error");
  if (real == nullptr) return;
  if (fmt == nullptr) {  // clears the message
    real(a, error_number, nullptr);
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  va_list again;
  va_copy(again, ap);
  const int n = vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  std::string message(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) vsnprintf(message.data(), message.size() + 1, fmt, again);
  va_end(again);
  real(a, error_number, "%s", message.c_str());
}

// Reading.
LAZY_ARCHIVE(int, archive_read_support_filter_all, (struct archive * a), (a), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_read_support_format_tar, (struct archive * a), (a), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_read_support_format_gnutar, (struct archive * a), (a), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_read_support_format_raw, (struct archive * a), (a), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_read_open,
             (struct archive * a, void* client_data, archive_open_callback* open,
              archive_read_callback* read, archive_close_callback* close),
             (a, client_data, open, read, close), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_read_open_fd, (struct archive * a, int fd, size_t block_size),
             (a, fd, block_size), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_read_open_filename,
             (struct archive * a, const char* filename, size_t block_size),
             (a, filename, block_size), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_read_open_memory, (struct archive * a, const void* buffer, size_t size),
             (a, buffer, size), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_read_next_header, (struct archive * a, struct archive_entry** entry),
             (a, entry), ARCHIVE_FATAL)
LAZY_ARCHIVE(la_ssize_t, archive_read_data, (struct archive * a, void* buffer, size_t size),
             (a, buffer, size), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_read_data_block,
             (struct archive * a, const void** buffer, size_t* size, la_int64_t* offset),
             (a, buffer, size, offset), ARCHIVE_FATAL)

// Writing.
LAZY_ARCHIVE(int, archive_write_set_format_pax_restricted, (struct archive * a), (a),
             ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_set_format_raw, (struct archive * a), (a), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_add_filter_gzip, (struct archive * a), (a), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_add_filter_none, (struct archive * a), (a), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_set_options, (struct archive * a, const char* options),
             (a, options), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_open,
             (struct archive * a, void* client_data, archive_open_callback* open,
              archive_write_callback* write, archive_close_callback* close),
             (a, client_data, open, write, close), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_open_fd, (struct archive * a, int fd), (a, fd), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_open_filename, (struct archive * a, const char* filename),
             (a, filename), ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_open_memory,
             (struct archive * a, void* buffer, size_t size, size_t* used), (a, buffer, size, used),
             ARCHIVE_FATAL)
LAZY_ARCHIVE(int, archive_write_header, (struct archive * a, struct archive_entry* entry),
             (a, entry), ARCHIVE_FATAL)
LAZY_ARCHIVE(la_ssize_t, archive_write_data, (struct archive * a, const void* buffer, size_t size),
             (a, buffer, size), ARCHIVE_FATAL)

// Entry fields.
LAZY_ARCHIVE(const char*, archive_entry_pathname, (struct archive_entry * e), (e), nullptr)
LAZY_ARCHIVE(const char*, archive_entry_hardlink, (struct archive_entry * e), (e), nullptr)
LAZY_ARCHIVE(const char*, archive_entry_symlink, (struct archive_entry * e), (e), nullptr)
LAZY_ARCHIVE(const char*, archive_entry_uname, (struct archive_entry * e), (e), nullptr)
LAZY_ARCHIVE(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(__LA_MODE_T, archive_entry_mode, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(__LA_MODE_T, archive_entry_perm, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(la_int64_t, archive_entry_uid, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(la_int64_t, archive_entry_gid, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(la_int64_t, archive_entry_size, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(time_t, archive_entry_mtime, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(long, archive_entry_mtime_nsec, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(int, archive_entry_mtime_is_set, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(int, archive_entry_atime_is_set, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(int, archive_entry_ctime_is_set, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(dev_t, archive_entry_rdevmajor, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(dev_t, archive_entry_rdevminor, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(void, archive_entry_set_filetype, (struct archive_entry * e, unsigned int type),
             (e, type), )
LAZY_ARCHIVE(void, archive_entry_set_perm, (struct archive_entry * e, __LA_MODE_T perm),
             (e, perm), )
LAZY_ARCHIVE(void, archive_entry_set_uid, (struct archive_entry * e, la_int64_t uid), (e, uid), )
LAZY_ARCHIVE(void, archive_entry_set_gid, (struct archive_entry * e, la_int64_t gid), (e, gid), )
LAZY_ARCHIVE(void, archive_entry_set_size, (struct archive_entry * e, la_int64_t size),
             (e, size), )
LAZY_ARCHIVE(void, archive_entry_set_mtime, (struct archive_entry * e, time_t sec, long nsec),
             (e, sec, nsec), )
LAZY_ARCHIVE(void, archive_entry_set_rdevmajor, (struct archive_entry * e, dev_t major),
             (e, major), )
LAZY_ARCHIVE(void, archive_entry_set_rdevminor, (struct archive_entry * e, dev_t minor),
             (e, minor), )
LAZY_ARCHIVE(void, archive_entry_set_pathname, (struct archive_entry * e, const char* name),
             (e, name), )
LAZY_ARCHIVE(void, archive_entry_copy_pathname, (struct archive_entry * e, const char* name),
             (e, name), )
LAZY_ARCHIVE(void, archive_entry_copy_hardlink, (struct archive_entry * e, const char* target),
             (e, target), )
LAZY_ARCHIVE(void, archive_entry_copy_symlink, (struct archive_entry * e, const char* target),
             (e, target), )
LAZY_ARCHIVE(void, archive_entry_xattr_add_entry,
             (struct archive_entry * e, const char* name, const void* value, size_t size),
             (e, name, value, size), )
LAZY_ARCHIVE(int, archive_entry_xattr_reset, (struct archive_entry * e), (e), 0)
LAZY_ARCHIVE(int, archive_entry_xattr_next,
             (struct archive_entry * e, const char** name, const void** value, size_t* size),
             (e, name, value, size), ARCHIVE_WARN)
