#include "core/accounting.h"
#include "core/text.h"

#include <sstream>

namespace mljob {
namespace {

std::optional<std::int64_t> parse_epoch(const std::string& text) {
  // sacct prints "Unknown" or "None" for times that have not happened.
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return std::nullopt;
  try {
    return std::stoll(text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void set_job_id(AccountingRecord& record, const std::string& text) {
  record.job_id = text;
  if (auto dot = record.job_id.find('.'); dot != std::string::npos) {
    record.step = record.job_id.substr(dot + 1);
    record.job_id.resize(dot);
  }
  auto plus = record.job_id.find('+');
  record.base_job_id = record.job_id.substr(0, plus);
  if (plus != std::string::npos) record.het_component = std::stoi(record.job_id.substr(plus + 1));
}

}  // namespace

std::optional<double> billing_of(const std::string& tres) {
  for (const auto& item : split(tres, ',')) {
    if (item.rfind("billing=", 0) != 0) continue;
    try {
      return std::stod(item.substr(8));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::vector<AccountingRecord> parse_queue(const std::string& squeue_output) {
  std::vector<AccountingRecord> records;
  std::istringstream lines(squeue_output);
  std::string line;
  while (std::getline(lines, line)) {
    auto fields = split(line, '|');
    if (fields.size() < 9 || fields[0].empty()) continue;
    AccountingRecord record;
    bool heterogeneous = parse_epoch(fields[1]).has_value();  // "N/A" for a plain job
    // An element of a job array is known by "<array>_<index>" (JobArrayID); its JobID is its
    // own number, or the array's while it still pends inside the array's single record.
    bool array_element = fields.size() > 9 && fields[9].find('_') != std::string::npos;
    set_job_id(record, array_element ? fields[9] : heterogeneous ? fields[1] + "+" + fields[2] : fields[0]);
    record.name = fields[3];
    record.state = fields[4];
    record.submit_time = parse_epoch(fields[5]);
    record.start_time = parse_epoch(fields[6]);
    record.end_time = parse_epoch(fields[7]);
    record.billing = billing_of(fields[8]);
    records.push_back(std::move(record));
  }
  return records;
}

std::vector<AccountingRecord> parse_accounting(const std::string& sacct_output) {
  std::vector<AccountingRecord> records;
  std::istringstream lines(sacct_output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    auto fields = split(line, '|');
    // The comment is last and may itself contain '|': join what is left.
    constexpr std::size_t kComment = 9;
    if (fields.size() < kComment + 1) continue;
    for (std::size_t i = kComment + 1; i < fields.size(); ++i) fields[kComment] += "|" + fields[i];
    AccountingRecord record;
    set_job_id(record, fields[0]);
    record.name = fields[1];
    record.state = fields[2].substr(0, fields[2].find(' '));
    auto colon = fields[3].find(':');
    if (colon != std::string::npos) {
      record.exit_code = std::stoi(fields[3].substr(0, colon));
      record.exit_signal = std::stoi(fields[3].substr(colon + 1));
    }
    record.submit_time = parse_epoch(fields[4]);
    record.start_time = parse_epoch(fields[5]);
    record.end_time = parse_epoch(fields[6]);
    record.elapsed_seconds = parse_epoch(fields[7]);  // a plain count of seconds
    record.billing = billing_of(fields[8]);
    record.comment = fields[kComment];
    records.push_back(std::move(record));
  }
  return records;
}

bool array_record_holds(const std::string& record_id, const std::string& element_id) {
  auto underscore = element_id.find('_');
  if (underscore == std::string::npos) return false;
  std::string array = element_id.substr(0, underscore), index = element_id.substr(underscore + 1);
  if (record_id == array) return true;
  std::string prefix = array + "_[";
  if (record_id.rfind(prefix, 0) != 0 || record_id.back() != ']') return false;
  std::string list = record_id.substr(prefix.size(), record_id.size() - prefix.size() - 1);
  list = list.substr(0, list.find('%'));  // the throttle
  try {
    long wanted = std::stol(index);
    for (const auto& item : split(list, ',')) {
      auto dash = item.find('-');
      long low = std::stol(item.substr(0, dash)), high = dash == std::string::npos ? low : std::stol(item.substr(dash + 1));
      if (wanted >= low && wanted <= high) return true;
    }
  } catch (const std::exception&) {
    return false;  // not a task list this code understands: no claim on the element
  }
  return false;
}

}  // namespace mljob
