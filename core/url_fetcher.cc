#include "core/url_fetcher.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "base/input_error.h"
#include "base/interruption.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;

// libcurl is loaded when the first URL is fetched, not linked: linked, it and the TLS,
// Kerberos, LDAP and SSH libraries it needs (25 of them) are mapped and relocated at the start
// of every mljob command, which costs more than a whole `squeue` call (docs/benchmarks.md).
struct CurlLibrary {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
};

template <typename Function>
void bind(void* library, const char* name, Function& slot) {
  slot = reinterpret_cast<Function>(dlsym(library, name));
  if (!slot) throw FetchError(std::string("libcurl.so.4 has no ") + name + " (is Debian's libcurl4 installed?)", true);
}

const CurlLibrary& curl_library() {
  static std::once_flag once;
  static CurlLibrary curl;
  static std::string problem;
  std::call_once(once, [] {
    void* library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      problem = std::string("cannot load libcurl: ") + dlerror();
      return;
    }
    try {
      bind(library, "curl_global_init", curl.global_init);
      bind(library, "curl_easy_init", curl.easy_init);
      bind(library, "curl_easy_cleanup", curl.easy_cleanup);
      bind(library, "curl_easy_setopt", curl.easy_setopt);
      bind(library, "curl_easy_perform", curl.easy_perform);
      bind(library, "curl_easy_getinfo", curl.easy_getinfo);
      bind(library, "curl_easy_strerror", curl.easy_strerror);
      curl.global_init(CURL_GLOBAL_DEFAULT);
    } catch (const FetchError& e) {
      problem = e.what();
    }
  });
  if (!problem.empty()) throw FetchError(problem, true);
  return curl;
}

struct Transfer {
  std::ofstream* out = nullptr;
  std::int64_t received = 0;
  std::int64_t max_bytes = 0;
  bool over_limit = false;
  const FetchProgress* progress = nullptr;
};

// libcurl's write callback: returning less than asked aborts the transfer, which is how the
// size limit is enforced when the server sends no Content-Length (or lies in it).
std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  std::size_t bytes = size * count;
  if (transfer->received + static_cast<std::int64_t>(bytes) > transfer->max_bytes) {
    transfer->over_limit = true;
    return 0;
  }
  transfer->out->write(data, static_cast<std::streamsize>(bytes));
  if (!*transfer->out) return 0;
  transfer->received += static_cast<std::int64_t>(bytes);
  return bytes;
}

// libcurl's progress callback, called at least once a second: returning non-zero aborts the
// transfer, which is how a Ctrl-C (base/interruption.h) stops a download.
int report_progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* transfer = static_cast<Transfer*>(user);
  if (pending_interruption()) return 1;
  if (transfer->progress && *transfer->progress) (*transfer->progress)(now, total);
  return 0;
}

std::string human_bytes(std::int64_t bytes) {
  char text[32];
  if (bytes >= (1 << 20))
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  else
    std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024);
  return text;
}

struct Attempt {
  bool ok = false;
  bool permanent = false;
  std::string problem;
};

// 408, 425, 429 and 5xx may pass on a retry; any other HTTP error will not.
bool retryable_status(long status) {
  return status == 408 || status == 425 || status == 429 || status >= 500;
}

Attempt try_once(const std::string& url, const fs::path& target, const FetchLimits& limits,
                 const FetchProgress& progress) {
  const CurlLibrary& lib = curl_library();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(lib.easy_init(), lib.easy_cleanup);
  if (!curl) return {false, false, "libcurl could not start a transfer"};
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  if (!out) return {false, true, "cannot write " + target.string()};
  Transfer transfer{&out, 0, limits.max_bytes, false, &progress};
  char error_text[CURL_ERROR_SIZE] = "";
  CURL* handle = curl.get();
  lib.easy_setopt(handle, CURLOPT_URL, url.c_str());
  // Only http and https, also after redirects: a redirect to file:// must not read local files.
  lib.easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  lib.easy_setopt(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  lib.easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
  lib.easy_setopt(handle, CURLOPT_MAXREDIRS, 5L);
  lib.easy_setopt(handle, CURLOPT_FAILONERROR, 0L);  // we read the status ourselves
  lib.easy_setopt(handle, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  lib.easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, limits.connect_timeout_seconds);
  lib.easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
  lib.easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, limits.stall_timeout_seconds);
  lib.easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_body);
  lib.easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  lib.easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
  lib.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, report_progress);
  lib.easy_setopt(handle, CURLOPT_XFERINFODATA, &transfer);
  lib.easy_setopt(handle, CURLOPT_ERRORBUFFER, error_text);
  lib.easy_setopt(handle, CURLOPT_USERAGENT, "mljob");
  lib.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);

  CURLcode code = lib.easy_perform(handle);
  out.close();
  if (code == CURLE_OK && !out)
    return {false, true, "cannot write " + target.string()};  // a full disk, at the last flush
  long status = 0;
  lib.easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  std::string limit_text =
      "is larger than the limit of " + human_bytes(limits.max_bytes) + " (MLJOB_PACKAGE_MAX_BYTES)";
  if (transfer.over_limit || code == CURLE_FILESIZE_EXCEEDED) return {false, true, limit_text};
  if (code == CURLE_UNSUPPORTED_PROTOCOL) return {false, true, "only http and https URLs can be fetched"};
  if (code != CURLE_OK) {
    std::string detail = error_text[0] ? error_text : lib.easy_strerror(code);
    bool permanent = code == CURLE_URL_MALFORMAT || code == CURLE_TOO_MANY_REDIRECTS || code == CURLE_WRITE_ERROR;
    return {false, permanent, detail};
  }
  if (status >= 400) return {false, !retryable_status(status), "the server answered HTTP " + std::to_string(status)};
  return {true, false, ""};
}

}  // namespace

FetchLimits fetch_limits_from_environment() {
  FetchLimits limits;
  if (const char* text = std::getenv("MLJOB_PACKAGE_MAX_BYTES"); text && *text) {
    std::string value = text;
    bool digits = value.size() <= 18 && value.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoll(value) <= 0) {
      throw InputError("MLJOB_PACKAGE_MAX_BYTES", value, "must be a positive whole number of bytes");
    }
    limits.max_bytes = std::stoll(value);
  }
  return limits;
}

void fetch_url(const std::string& url, const fs::path& target, const FetchLimits& limits,
               const FetchProgress& progress) {
  double backoff = limits.first_backoff_seconds;
  Attempt attempt;
  for (int tried = 1; tried <= limits.attempts; ++tried) {
    throw_if_interrupted();
    attempt = try_once(url, target, limits, progress);
    if (attempt.ok) return;
    std::error_code ignored;
    fs::remove(target, ignored);  // never leave half a package behind
    throw_if_interrupted();
    if (attempt.permanent) throw FetchError(attempt.problem, true);
    if (tried < limits.attempts) {
      std::this_thread::sleep_for(std::chrono::duration<double>(backoff));
      backoff *= 2;
    }
  }
  throw FetchError(attempt.problem + " (gave up after " + std::to_string(limits.attempts) + " tries)", false);
}

FetchProgress terminal_progress(const std::string& name) {
  if (!isatty(STDERR_FILENO)) return {};
  return [name, last_percent = -1](std::int64_t received, std::int64_t total) mutable {
    int percent = total > 0 ? static_cast<int>(100 * received / total) : -1;
    if (total > 0 && percent == last_percent) return;
    last_percent = percent;
    std::string line = "\r  fetching " + name + "  ";
    if (total > 0)
      line += std::to_string(percent) + "%  " + human_bytes(received) + " / " + human_bytes(total);
    else
      line += human_bytes(received);
    if (total > 0 && received >= total) line += "\n";
    std::fputs(line.c_str(), stderr);
  };
}

}  // namespace mljob
