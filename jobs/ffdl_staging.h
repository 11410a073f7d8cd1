// An FfDL job's files, laid out before it is submitted (the pure translation is
// core/ffdl_manifest.h): the model definition unpacked or copied into MODEL_DIR, the result and
// log folders made, the training data's folder checked. And zip files written, for downloads
// (the trained model, the model definition) as FfDL serves them, application/zip.
//
// Zip files are read and written with libzip (Debian's libzip-dev), never by a shell or an
// external program. Unpacking is safe against a hostile archive: the listing is checked before
// anything is written (at most max_bytes and max_entries in all, names relative and without
// "..", only regular files and folders: no links, devices or pipes), every file is created new
// (O_EXCL | O_NOFOLLOW) with at most the owner's bits, each file stops at its listed size, and a
// refusal leaves nothing of the folder behind.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/ffdl_manifest.h"

namespace mljob::jobs {

struct ModelDefinitionLimits {
  std::int64_t max_bytes = std::int64_t{1} << 30;  // 1 GiB, as a job's packages (MLJOB_PACKAGE_MAX_BYTES)
  std::int64_t max_entries = 100000;               // files and folders
};

// Unpacks `source` (a .zip file) or copies it (a folder) into `model_dir`, which must not exist
// yet; FfDL's CLI takes either. The folder's regular files and sub-folders are copied; a link in
// it is refused (it could reach outside the model definition). Throws InputError naming
// `field` (e.g. "model definition"), the source and the rule; nothing is left of `model_dir` then.
void stage_model_definition(const std::filesystem::path& source, const std::filesystem::path& model_dir,
                            const std::string& field, const ModelDefinitionLimits& limits = {});

// Makes what the learners write to, as the user who submits (whose job it is): LOG_DIR,
// RESULT_DIR and CHECKPOINT_DIR (RESULT_DIR must not exist yet: it is the training's own), and
// checks that DATA_DIR is a folder the user can read. An InputError names the data store's
// container for a folder that cannot be made or read.
void prepare_ffdl_folders(const FfdlFolders& folders);

struct ZipSummary {
  std::int64_t files = 0;
  std::int64_t bytes = 0;                      // of the files, before compression
  std::vector<std::filesystem::path> skipped;  // links and special files, relative to the folder
};

// Writes `folder`'s files and sub-folders, by their paths relative to it, into a new zip at
// `zip_path` (refused if it exists; written whole or not at all, by libzip's rename). Links are
// not followed and not stored, only listed in `skipped`. Throws std::runtime_error on failure.
ZipSummary write_zip(const std::filesystem::path& folder, const std::filesystem::path& zip_path);

}  // namespace mljob::jobs
