// The audit log's checkpoint signing keys, kept in <data dir>/keys/
// (docs/audit-log.md § Keys and rotation):
//
//   checkpoint.key        the log's key: "name: <key name>" (the log's
//                         origin), then the PKCS#8 PEM; 0600
//   checkpoint-next.key   a rotation in progress: the new key, which
//                         co-signs every checkpoint
//
// LoadOrCreateLogKeys creates the log's key on first start (name: `origin`,
// or "fairtrace/<host>/<8 random hex>" when empty); later starts load it and
// ignore `origin`. Each file is written to a temporary name, synced and
// renamed, so a crash leaves either no key or a whole one.
// StartKeyRotation makes the next key; FinishKeyRotation makes it the log's
// key and keeps the retired one as checkpoint.retired-<key id>.key.
// Errors: FAILED_PRECONDITION for unreadable or malformed key files or a
// rotation in the wrong state; INVALID_ARGUMENT for a bad name. Not
// thread-safe against itself on the same folder (the server calls it once at
// start; the rotation commands run offline).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/signed_note.h"

namespace fairtrace {

// The signers in order: the log's key, then the next key when a rotation is
// in progress.
absl::StatusOr<std::vector<NoteSigner>> LoadOrCreateLogKeys(const std::filesystem::path& data_dir,
                                                            const std::string& origin);
absl::StatusOr<NoteSigner> StartKeyRotation(const std::filesystem::path& data_dir, const std::string& new_name);
absl::StatusOr<NoteSigner> FinishKeyRotation(const std::filesystem::path& data_dir);

}  // namespace fairtrace
