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

absl::Status ReadWholeFile(const std::string& path, std::unique_ptr<char[]>* out, size_t* size,
                           size_t piece_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    const std::string msg = absl::StrCat("cannot open '", path, "': ", strerror(e));
    return e == ENOENT ? absl::NotFoundError(msg) : absl::UnavailableError(msg);
  }
  auto failed = [&](int e) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot read '", path, "': ", strerror(e)));
  };
  struct stat st {};
  const size_t known = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) : 0;
  size_t cap = known + 4096;  // room for some growth before the buffer doubles
  std::unique_ptr<char[]> buf(new char[cap]);
  const size_t kPiece = std::max<size_t>(1, piece_bytes);
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
        // By an eighth (at least 1 MB), not doubling: a 1.7 GB file that
        // grew by a few lines must not cost another 3.4 GB.
        const size_t bigger_cap = cap + std::max<size_t>(size_t{1} << 20, cap / 8);
        std::unique_ptr<char[]> bigger(new char[bigger_cap]);
        std::memcpy(bigger.get(), buf.get(), have);
        buf = std::move(bigger);
        cap = bigger_cap;
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
