// SPDX-License-Identifier: Apache-2.0
// File: control/whole_file.h
//
// Reading a whole lease file into memory, fast. The size fstat gives is read
// in 64 MB pieces on all cores (a 1.7 GB Kea CSV read by one thread was ~10 %
// of the start-up load's wall time: the copy and the page faults on the
// fresh buffer), then whatever the file grew by since (Kea appends while lqd
// starts). The buffer is not zero-filled first. Unlike the snapshot
// (persistence.cc), the file is not mapped: it belongs to another program,
// and one that truncated it under the mapping would kill lqd with SIGBUS.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace lqd::control {

// The file's bytes in *out (*size of them). NotFound if it does not
// exist, Unavailable if it cannot be opened otherwise or a read fails; the
// message names the file and the
// system's reason.
// `piece_bytes` is the parallel read's piece size (tests make it small).
absl::Status ReadWholeFile(const std::string& path, std::unique_ptr<char[]>* out, size_t* size,
                           size_t piece_bytes = size_t{64} << 20);

}  // namespace lqd::control
