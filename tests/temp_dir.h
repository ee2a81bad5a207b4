// SPDX-License-Identifier: Apache-2.0
// File: tests/temp_dir.h
//
// TempDir: a fresh directory for one test (mkdtemp under $TMPDIR, else
// /tmp), removed with everything in it when the object goes out of scope,
// so also after a failed ASSERT_* returns early. Header-only, for tests.
// (Namespace testutil, not testing: inside namespace lqd an unqualified
// `testing::` would then stop meaning GoogleTest's.)
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace lqd::testutil {

class TempDir {
 public:
  // `prefix` names the directory (`<prefix>-XXXXXX`), so a leftover says
  // which test made it.
  explicit TempDir(std::string_view prefix) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" +
                        std::string(prefix) + "-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
      // No directory, no test: say where and why, and stop.
      std::perror(("TempDir: mkdtemp " + templ).c_str());
      std::abort();
    }
    path_ = std::move(templ);
  }
  ~TempDir() {
    std::error_code ec;  // best effort: a test may have removed it already
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name (the file need not exist).
  std::string Path(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace lqd::testutil
