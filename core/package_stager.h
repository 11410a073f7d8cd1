// Stages the trainer's code into the job folder so that every replica imports the same copy,
// whatever happens to the user's working tree (or the package's URL) while the job waits.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/url_fetcher.h"

namespace mljob {

struct StagingOptions {
  FetchLimits limits;
  // A progress reporter for one download, by file name; empty: no progress shown.
  std::function<FetchProgress(const std::string& name)> progress_for;
  // What one job's archives may unpack to in all: limits.max_bytes bytes (the same
  // MLJOB_PACKAGE_MAX_BYTES that bounds a download) and this many files and folders. A small
  // archive can unpack to gigabytes or millions of files (a "zip bomb") on a shared disk.
  std::int64_t max_unpacked_entries = 100000;
};

// Copies or downloads each package into `package_root` and returns the entries to put on
// PYTHONPATH. A package is, locally or at an http(s) URL:
//  - a package folder (local only; --package-path): copied under its own name, so that
//    `-m NAME.module` imports it;
//  - a wheel (.whl): pure-Python wheels import from the zip as it is;
//  - an sdist or a tarball (.tar.gz, .tgz, .tar.bz2, .tar.xz, .tar, .zip): unpacked; the
//    project root (or its src/ folder) of an sdist, or the folder holding a tarred package,
//    goes on the path. An archive is listed before it is unpacked (by tar itself, or Python's
//    zipfile, which unpack it), and one that would take what the job has unpacked past the
//    bounds of StagingOptions is refused with nothing of it left; what was written is counted
//    again after unpacking, in case a listing and its unpacking disagree.
// Anything else is refused with an InputError naming the field and the value; a download that
// fails for good is an InputError too, one that fails after its retries a FetchError.
std::vector<std::filesystem::path> stage_packages(const std::string& package_path,
                                                  const std::vector<std::string>& package_uris,
                                                  const std::filesystem::path& package_root,
                                                  const StagingOptions& options = {});

// Unpacks one archive (.tar.gz, .tgz, .tar.bz2, .tar.xz, .tar or .zip) into the folder `into`,
// within the bounds of `options` as stage_packages does: refused on its listing before anything
// is written, and checked again on what was written. On failure `into` is removed and the
// archive is left as it was. Throws InputError at `field` (naming `uri`).
void unpack_archive(const std::string& field, const std::string& uri, const std::filesystem::path& archive,
                    const std::filesystem::path& into, const StagingOptions& options = {});

// What stage_packages checks of each package before it copies or fetches anything (a folder
// is a package, a file or URL is of a kind it stages, a URL is http or https, a local file
// exists), with the same SpecErrors. For a study, whose trials stage the packages themselves:
// a package no trial could stage is refused at submit, not in every trial.
void check_packages(const std::string& package_path, const std::vector<std::string>& package_uris);

}  // namespace mljob
