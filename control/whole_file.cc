// SPDX-License-Identifier: Apache-2.0
// File: control/whole_file.cc
#include "control/whole_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/parallel.h"

namespace lqd::control {

absl::Status ReadWholeFile(const std::string& path, std::unique_ptr<char[]>* out, size_t* size) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat("cannot open '", path, "': ", strerror(errno)));
  auto failed = [&](int e) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot read '", path, "': ", strerror(e)));
  };
  struct stat st {};
  const size_t known = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0;
  size_t cap = known + 4096;  // room for some growth before the buffer doubles
  std::unique_ptr<char[]> buf(new char[cap]);
  constexpr size_t kPiece = size_t{64} << 20;
  std::atomic<int> error{0};
  std::atomic<size_t> short_at{known};  // lowest offset where a piece came up short (file shrank)
  ParallelFor((known + kPiece - 1) / kPiece, [&](size_t i) {
    const size_t off = i * kPiece, len = std::min(kPiece, known - off);
    for (size_t got = 0; got < len;) {
      const ssize_t r = pread(fd, buf.get() + off + got, len - got, static_cast<off_t>(off + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        if (r < 0) error.store(errno);
        size_t cur = short_at.load();
        while (off + got < cur && !short_at.compare_exchange_weak(cur, off + got)) {
        }
        return;
      }
      got += static_cast<size_t>(r);
    }
  });
  if (error.load() != 0) return failed(error.load());
  size_t have = short_at.load();  // < known: the file shrank while read; that is all of it
  if (have == known) {            // read on: what it grew by since fstat (or all of a pipe)
    if (known > 0 && lseek(fd, static_cast<off_t>(known), SEEK_SET) < 0) return failed(errno);
    for (;;) {
      if (have == cap) {
        std::unique_ptr<char[]> bigger(new char[2 * cap]);
        std::memcpy(bigger.get(), buf.get(), have);
        buf = std::move(bigger);
        cap *= 2;
      }
      const ssize_t r = read(fd, buf.get() + have, cap - have);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return failed(errno);
      if (r == 0) break;
      have += static_cast<size_t>(r);
    }
  }
  close(fd);
  *out = std::move(buf);
  *size = have;
  return absl::OkStatus();
}

}  // namespace lqd::control
