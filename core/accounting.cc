#include "core/accounting.h"
#include "base/text.h"

#include <cctype>
#include <charconv>
#include <limits>
#include <map>
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

// A whole number the text is entirely, or nullopt: sacct's columns hold what their format says,
// but a row is never trusted to (job names are the users' own text, and may hold '|').
std::optional<int> whole_number(std::string_view text) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The fields from `first` on, joined again by '|': the comment is the last field of sacct's and
// squeue's rows, and may itself contain '|'. Empty when there are none.
std::string rest_joined(const std::vector<std::string>& fields, std::size_t first) {
  std::string out;
  for (std::size_t i = first; i < fields.size(); ++i) out += (i > first ? "|" : "") + fields[i];
  return out;
}

void set_job_id(AccountingRecord& record, const std::string& text) {
  record.job_id = text;
  if (auto dot = record.job_id.find('.'); dot != std::string::npos) {
    record.step = record.job_id.substr(dot + 1);
    record.job_id.resize(dot);
  }
  auto plus = record.job_id.find('+');
  record.base_job_id = record.job_id.substr(0, plus);
  if (plus != std::string::npos) {
    record.het_component = whole_number(std::string_view(record.job_id).substr(plus + 1)).value_or(0);
  }
}

// sacct's State of a cancelled job names who cancelled it: "CANCELLED by 1001".
std::optional<std::uint32_t> cancelling_uid(const std::string& state) {
  const std::string prefix = "CANCELLED by ";
  if (state.rfind(prefix, 0) != 0) return std::nullopt;
  std::string uid = state.substr(prefix.size());
  if (uid.empty() || uid.size() > 10 || uid.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  std::uint64_t value = std::stoull(uid);
  if (value > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  return static_cast<std::uint32_t>(value);
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
    // ":|" ends every field with '|', the last one too: that one ends the line, not a field.
    if (!line.empty() && line.back() == '|') line.pop_back();
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
    if (fields.size() > 10) record.reason = fields[10];
    if (fields.size() > 11) record.node_list = fields[11];
    record.comment = rest_joined(fields, 12);
    records.push_back(std::move(record));
  }
  return records;
}

namespace {

// A job ID as squeue's --jobs reads it (strtol): leading digits, then "_TASK" for an array
// task. nullopt for what squeue refuses as "Invalid job id" (no number, or 0).
struct RequestedJob {
  std::uint32_t job = 0;
  std::optional<std::uint32_t> task;
};

std::optional<std::uint32_t> leading_number(const std::string& text, std::size_t& position) {
  std::size_t start = position;
  std::uint64_t value = 0;
  while (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position])) &&
         value <= std::numeric_limits<std::uint32_t>::max()) {
    value = value * 10 + static_cast<std::uint64_t>(text[position++] - '0');
  }
  if (position == start || value > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
  return static_cast<std::uint32_t>(value);
}

std::optional<RequestedJob> requested_job(const std::string& text) {
  std::size_t position = 0;
  auto job = leading_number(text, position);
  if (!job || *job == 0) return std::nullopt;
  RequestedJob requested{*job, std::nullopt};
  if (position < text.size() && text[position] == '_') {
    ++position;
    requested.task = leading_number(text, position);
    if (!requested.task) return std::nullopt;
  }
  return requested;
}

// squeue prints "N/A" for 0 and libslurm's "Unknown" / "None" for INFINITE and NO_VAL; parse_queue
// reads all of them as no time.
// The ID squeue's JobArrayID (or HetJobID+HetJobOffset) gives, as parse_queue reads it: "361+1"
// for a het component (the form sacct uses, see kQueueFormat), "ARRAY_TASK" for an array
// task, "ARRAY_[3-5%2]" for an array's own record, the job ID otherwise.
std::string queued_job_id(const QueuedJob& job) {
  if (job.het_job_id != 0) return std::to_string(job.het_job_id) + "+" + std::to_string(job.het_job_offset);
  if (job.array_job_id != 0 && job.array_task_id != kSlurmNoValue) {
    return std::to_string(job.array_job_id) + "_" + std::to_string(job.array_task_id);
  }
  if (job.array_job_id != 0 && !job.array_task_list.empty()) {
    return std::to_string(job.array_job_id) + "_[" + job.array_task_list + "]";
  }
  return std::to_string(job.job_id);
}

std::optional<std::int64_t> slurmctld_time(std::int64_t value) {
  if (value == 0 || value == kSlurmNoValue || value == kSlurmInfinite) return std::nullopt;
  return value;
}

}  // namespace

QueueSelection::QueueSelection(const std::vector<std::string>& job_ids, std::optional<std::uint32_t> owner)
    : owner_(owner) {
  std::set<std::uint32_t> asked;
  for (const auto& id : job_ids) {
    if (id.empty()) continue;  // squeue's strtok skips an empty item of the list
    auto requested = requested_job(id);
    if (!requested) {
      valid_ = false;
      return;
    }
    if (requested->task)
      tasks_.insert({requested->job, *requested->task});
    else
      jobs_.insert(requested->job);
    asked.insert(requested->job);
  }
  if (asked.size() == 1) single_job_ = *asked.begin();
}

bool QueueSelection::selects(const QueuedJob& job) const {
  if (!valid_ || job.job_id == 0 || (owner_ && job.user_id != *owner_)) return false;
  if (jobs_.contains(job.job_id) || (job.array_job_id != 0 && jobs_.contains(job.array_job_id))) return true;
  if (job.het_job_id != 0 && jobs_.contains(job.het_job_id)) return true;
  if (job.het_job_id != 0) {
    for (const auto& [array_job, task] : tasks_) {
      if (array_job == job.het_job_id) return true;  // squeue compares only the job part here
    }
  }
  if (job.array_task_id != kSlurmNoValue && tasks_.contains({job.array_job_id, job.array_task_id})) return true;
  return !unsplit_tasks(job).empty();
}

std::vector<std::uint32_t> QueueSelection::unsplit_tasks(const QueuedJob& job) const {
  std::vector<std::uint32_t> held;
  if (!valid_ || job.array_job_id == 0 || job.array_task_id != kSlurmNoValue || job.array_task_list.empty())
    return held;
  std::string record = std::to_string(job.array_job_id) + "_[" + job.array_task_list + "]";
  for (const auto& [array_job, task] : tasks_) {
    if (array_job == job.array_job_id &&
        array_record_holds(record, std::to_string(array_job) + "_" + std::to_string(task))) {
      held.push_back(task);
    }
  }
  return held;
}

std::vector<AccountingRecord> queued_records(const std::vector<QueuedJob>& jobs, const QueueSelection& selection,
                                             std::int64_t now) {
  std::vector<AccountingRecord> records;
  for (const auto& job : jobs) {
    if (!selection.selects(job)) continue;
    AccountingRecord record;
    record.name = job.name;
    record.state = job.state;
    record.submit_time = slurmctld_time(job.submit_time);
    record.start_time = slurmctld_time(job.start_time);
    bool open_ended = job.unlimited_time && job.end_time > now;  // squeue prints "NONE"
    record.end_time = open_ended ? std::nullopt : slurmctld_time(job.end_time);
    record.billing = billing_of(job.tres);
    record.reason = job.reason;
    record.node_list = job.node_list;
    record.comment = job.comment;
    // The array's own record stands for each asked-for task still pending in it.
    if (auto unsplit = selection.unsplit_tasks(job); !unsplit.empty()) {
      for (auto task : unsplit) {
        set_job_id(record, std::to_string(job.array_job_id) + "_" + std::to_string(task));
        records.push_back(record);
      }
      continue;
    }
    set_job_id(record, queued_job_id(job));
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
    constexpr std::size_t kNodeList = 9, kComment = 10;
    if (fields.size() < kComment + 1) continue;
    AccountingRecord record;
    set_job_id(record, fields[0]);
    record.name = fields[1];
    record.state = fields[2].substr(0, fields[2].find(' '));
    record.cancelled_by = cancelling_uid(fields[2]);
    auto colon = fields[3].find(':');
    if (colon != std::string::npos) {
      record.exit_code = whole_number(std::string_view(fields[3]).substr(0, colon)).value_or(0);
      record.exit_signal = whole_number(std::string_view(fields[3]).substr(colon + 1)).value_or(0);
    }
    record.submit_time = parse_epoch(fields[4]);
    record.start_time = parse_epoch(fields[5]);
    record.end_time = parse_epoch(fields[6]);
    record.elapsed_seconds = parse_epoch(fields[7]);  // a plain count of seconds
    record.billing = billing_of(fields[8]);
    if (fields[kNodeList] != "None assigned") record.node_list = fields[kNodeList];
    record.comment = rest_joined(fields, kComment);
    records.push_back(std::move(record));
  }
  return records;
}

bool comment_marks_job(const std::string& comment, const std::string& job_id) {
  const std::string mark = "mljob:" + job_id;
  return comment == mark || comment.rfind(mark + ":", 0) == 0;
}

std::vector<AccountingRecord> records_of_job(std::vector<AccountingRecord> records,
                                             const std::function<bool(const std::string& comment)>& ours,
                                             bool& others_seen) {
  std::map<std::string, bool> allocation_is_ours;  // by "123+1": its latest allocation row's verdict
  std::vector<AccountingRecord> kept;
  for (auto& record : records) {
    if (record.step.empty()) {
      bool mine = record.comment.empty() || ours(record.comment);
      allocation_is_ours[record.job_id] = mine;
      others_seen = others_seen || !mine;
      if (mine) kept.push_back(std::move(record));
      continue;
    }
    auto allocation = allocation_is_ours.find(record.job_id);
    if (allocation == allocation_is_ours.end() || allocation->second) kept.push_back(std::move(record));
  }
  return kept;
}

std::string array_of_element(const std::string& element_id) {
  auto underscore = element_id.find('_');
  return underscore == std::string::npos ? "" : element_id.substr(0, underscore);
}

bool array_record_holds(const std::string& record_id, const std::string& element_id) {
  std::string array = array_of_element(element_id);
  if (array.empty()) return false;
  std::string index = element_id.substr(array.size() + 1);
  if (record_id == array) return true;
  std::string prefix = array + "_[";
  if (record_id.rfind(prefix, 0) != 0 || record_id.back() != ']') return false;
  std::string list = record_id.substr(prefix.size(), record_id.size() - prefix.size() - 1);
  list = list.substr(0, list.find('%'));  // the throttle
  try {
    long wanted = std::stol(index);
    for (const auto& item : split(list, ',')) {
      auto dash = item.find('-');
      long low = std::stol(item.substr(0, dash)),
           high = dash == std::string::npos ? low : std::stol(item.substr(dash + 1));
      if (wanted >= low && wanted <= high) return true;
    }
  } catch (const std::exception&) {
    return false;  // not a task list this code understands: no claim on the element
  }
  return false;
}

}  // namespace mljob
