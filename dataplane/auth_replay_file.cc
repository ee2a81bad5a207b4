// SPDX-License-Identifier: Apache-2.0
// File: dataplane/auth_replay_file.cc
#include "dataplane/auth_replay_file.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "control/crc32c.h"

namespace lqd::dataplane {
namespace {

constexpr char kHeader[] = "lqd-auth-replay 1\n";

std::string Errno(const std::string& what, const std::string& path) {
  return absl::StrCat(what, " ", path, ": ", std::strerror(errno));
}

absl::Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t w = write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return absl::UnavailableError(Errno("cannot write", path));
    off += static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

}  // namespace

AuthReplayFile::AuthReplayFile(std::string state_dir) : dir_(std::move(state_dir)) {}

absl::StatusOr<size_t> AuthReplayFile::Load(AuthReplayState& state) {
  const int fd = open(path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    return absl::UnavailableError(Errno("cannot read", path()));
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      const std::string e = Errno("cannot read", path());
      close(fd);
      return absl::UnavailableError(e);
    }
    if (r == 0) break;
    text.append(buf, static_cast<size_t>(r));
  }
  close(fd);
  auto bad = [&](const std::string& why) { return absl::DataLossError(absl::StrCat(path(), ": ", why)); };
  const size_t crc_at = text.rfind("crc32c ");
  if (text.compare(0, sizeof(kHeader) - 1, kHeader) != 0) return bad("not an lqd-auth-replay 1 file");
  if (crc_at == std::string::npos || text[crc_at - 1] != '\n' || text.back() != '\n')
    return bad("truncated (no crc32c line)");
  uint32_t want = 0;
  if (!absl::SimpleHexAtoi(absl::string_view(text).substr(crc_at + 7, text.size() - crc_at - 8), &want))
    return bad("the crc32c line does not parse");
  if (control::Crc32c(text.data(), crc_at) != want) return bad("checksum mismatch (damaged file)");
  std::vector<Entry> entries;
  size_t line_no = 1;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text).substr(sizeof(kHeader) - 1, crc_at - (sizeof(kHeader) - 1)), '\n',
                      absl::SkipEmpty())) {
    ++line_no;
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    uint32_t id;
    uint64_t last;
    in_addr a{};
    if (f.size() != 3 || !absl::SimpleAtoi(f[0], &id) || !absl::SimpleAtoi(f[2], &last) ||
        inet_pton(AF_INET, std::string(f[1]).c_str(), &a) != 1 || a.s_addr == 0)
      return bad(absl::StrCat("line ", line_no, " is not '<secret id> <giaddr> <counter>'"));
    entries.emplace_back(id, ntohl(a.s_addr), last);
  }
  for (const auto& [id, giaddr, last] : entries)
    if (!state.Seed(id, giaddr, last))
      return absl::ResourceExhaustedError(absl::StrCat(path(), ": the replay table is full"));
  std::sort(entries.begin(), entries.end());
  on_disk_ = std::move(entries);
  return on_disk_.size();
}

absl::StatusOr<bool> AuthReplayFile::SaveIfChanged(AuthReplayState& state) {
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> merged;
  for (const auto& [id, giaddr, last] : on_disk_) merged[{id, giaddr}] = last;
  state.ForEach([&](uint32_t id, uint32_t giaddr, uint64_t last) {
    uint64_t& m = merged[{id, giaddr}];
    m = std::max(m, last);
  });
  std::vector<Entry> next;
  next.reserve(merged.size());
  for (const auto& [k, last] : merged) next.emplace_back(k.first, k.second, last);
  if (next == on_disk_) return false;

  std::string text = kHeader;
  for (const auto& [id, giaddr, last] : next) {
    const in_addr a{htonl(giaddr)};
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, ip, sizeof ip);
    absl::StrAppend(&text, id, " ", ip, " ", last, "\n");
  }
  absl::StrAppendFormat(&text, "crc32c %08x\n", control::Crc32c(text.data(), text.size()));

  const std::string tmp = path() + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(Errno("cannot create", tmp));
  absl::Status st = WriteAll(fd, text, tmp);
  if (st.ok() && fdatasync(fd) != 0) st = absl::UnavailableError(Errno("cannot fdatasync", tmp));
  close(fd);
  if (st.ok() && rename(tmp.c_str(), path().c_str()) != 0)
    st = absl::UnavailableError(Errno("cannot rename to", path()));
  if (!st.ok()) {
    unlink(tmp.c_str());
    return st;
  }
  if (const int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    const int rc = fsync(dfd);
    const int e = errno;
    close(dfd);
    if (rc != 0) {
      errno = e;
      return absl::UnavailableError(Errno("cannot fsync", dir_));
    }
  }
  on_disk_ = std::move(next);
  return true;
}

}  // namespace lqd::dataplane
