// Downloads package URLs (http and https only) with libcurl: a size limit enforced while the
// bytes arrive, retries with back-off for the failures that retrying can cure, and a progress
// line when a person is watching.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

namespace mljob {

struct FetchLimits {
  std::int64_t max_bytes = std::int64_t{1} << 30;  // 1 GiB; MLJOB_PACKAGE_MAX_BYTES overrides
  int attempts = 3;                                // tries in all, for transient failures only
  long connect_timeout_seconds = 20;
  long stall_timeout_seconds = 60;     // give up when under 1 byte/s for this long
  double first_backoff_seconds = 1.0;  // doubled after each failed try
};

// The limits from the environment: MLJOB_PACKAGE_MAX_BYTES (bytes, a positive integer).
// Throws InputError naming the variable when it is not one.
FetchLimits fetch_limits_from_environment();

// A download that failed for good. `permanent` is true when retrying could not help (a 404, the
// size limit, a scheme other than http/https); the caller reports those as bad input.
class FetchError : public std::runtime_error {
 public:
  FetchError(const std::string& what, bool permanent) : std::runtime_error(what), permanent_(permanent) {}
  bool permanent() const { return permanent_; }

 private:
  bool permanent_;
};

// Called with bytes so far and the total (0 when the server did not say).
using FetchProgress = std::function<void(std::int64_t received, std::int64_t total)>;

// Downloads `url` to `target` (written whole or removed). Throws FetchError.
void fetch_url(const std::string& url, const std::filesystem::path& target, const FetchLimits& limits,
               const FetchProgress& progress = {});

// A progress line on stderr ("\r  NAME  42%  1.2 MiB / 2.9 MiB"), or nothing when stderr is
// not a terminal (lab scripts and logs get no control characters).
FetchProgress terminal_progress(const std::string& name);

}  // namespace mljob
