// SPDX-License-Identifier: Apache-2.0
// File: tests/control/whole_file_test.cc
#include "control/whole_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/temp_dir.h"

namespace lqd::control {
namespace {

class WholeFileTest : public ::testing::Test {
 protected:
  std::string Text(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    return s;
  }
  std::string Read(const std::string& path, size_t piece, absl::Status* st) {
    std::unique_ptr<char[]> buf;
    size_t size = 0;
    *st = ReadWholeFile(path, &buf, &size, piece);
    return st->ok() ? std::string(buf.get(), size) : std::string();
  }
  lqd::testutil::TempDir tmp_{"whole_file_test"};
  const std::string& dir_ = tmp_.path();
};

// Many pieces read in parallel, with a short last piece, land in order.
TEST_F(WholeFileTest, PiecesReadInParallelLandInOrder) {
  const std::string path = dir_ + "/f";
  const std::string want = Text(100'003);
  std::ofstream(path, std::ios::binary) << want;
  for (size_t piece : {size_t{4096}, size_t{1000}, size_t{100'003}, size_t{64} << 20}) {
    absl::Status st;
    EXPECT_EQ(Read(path, piece, &st), want) << piece;
    EXPECT_TRUE(st.ok()) << st;
  }
  std::ofstream(path, std::ios::trunc);
  absl::Status st;
  EXPECT_EQ(Read(path, 4096, &st), "");
  EXPECT_TRUE(st.ok()) << st;
}

// A FIFO has no size: everything comes through the read-on loop, which
// must grow the buffer many times past its first 4 KB.
TEST_F(WholeFileTest, PipeIsReadToItsEnd) {
  const std::string path = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  const std::string want = Text(3'000'000);
  std::thread writer([&] { std::ofstream(path, std::ios::binary) << want; });
  absl::Status st;
  const std::string got = Read(path, 4096, &st);
  writer.join();
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want);
}

TEST_F(WholeFileTest, ErrorsNameTheFileAndTheReason) {
  absl::Status st;
  Read(dir_ + "/missing", 4096, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(st.message().find(dir_ + "/missing"), std::string::npos) << st;
  EXPECT_NE(st.message().find("No such file"), std::string::npos) << st;
  Read(dir_, 4096, &st);  // a directory opens, but read(2) says EISDIR
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(st.message().find(dir_), std::string::npos) << st;
  EXPECT_NE(st.message().find("directory"), std::string::npos) << st;
}

}  // namespace
}  // namespace lqd::control
