// What every mljob command shares: exit codes, error reporting, output formats.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mljob::cli {

// Exit codes: 0 success, 1 failure talking to Slurm or the system, 2 bad input (nothing done).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

using Arguments = std::vector<std::string>;  // a command's arguments, without "mljob CMD"

int submit_training(const Arguments& args);
int describe(const Arguments& args);
int list(const Arguments& args);
int cancel(const Arguments& args);
int tiers(const Arguments& args);
int check_tiers(const std::string& catalog_file);

// Prints `value` as YAML (default), JSON or a table-less flat form.
void print_formatted(const nlohmann::json& value, const std::string& format);
std::string to_yaml(const nlohmann::json& value);

}  // namespace mljob::cli
