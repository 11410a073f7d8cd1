#include "tuner/study_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "base/document_limits.h"
#include "base/input_error.h"
#include "base/yaml_json.h"
#include "tuner/study.h"

namespace mljob::tuner {
namespace {

namespace po = boost::program_options;
using nlohmann::json;

constexpr int kExitOk = 0, kExitFailure = 1, kExitBadInput = 2;

// A system failure (exit 1), as opposed to bad input (InputError, exit 2).
struct SystemError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string read_text(const std::filesystem::path& file) {
  return read_document_file(file, "file");
}

// A HyperparameterSpec alone, or a training job spec (gcloud's --config shape or a whole Job)
// whose trainingInput has one.
HyperparameterSpec read_spec_file(const std::filesystem::path& file) {
  json document = yaml_text_to_json(read_text(file), file.string());
  if (document.is_object() && document.contains("trainingInput")) {
    const json& input = document["trainingInput"];
    if (!input.is_object() || !input.contains("hyperparameters")) {
      throw InputError("trainingInput.hyperparameters", "", "is required in " + file.string());
    }
    return parse_hyperparameter_spec(input["hyperparameters"], "trainingInput.hyperparameters");
  }
  return parse_hyperparameter_spec(document, "hyperparameters");
}

Study load_study(const std::filesystem::path& file) {
  json state;
  try {
    state = json::parse(read_text(file));
  } catch (const json::parse_error& error) {
    throw InputError("study", file.string(), std::string("is not valid JSON: ") + error.what());
  }
  try {
    return Study::from_json(state);
  } catch (const json::exception& error) {  // a field missing or of the wrong type
    throw InputError("study", file.string(), std::string("is not a study file: ") + error.what());
  } catch (const std::logic_error& error) {  // a trialId or step that is not a number
    throw InputError("study", file.string(), std::string("is not a study file: ") + error.what());
  }
}

// Written beside the target and renamed over it, so a crash never leaves half a study.
void save_study(const Study& study, const std::filesystem::path& file) {
  std::filesystem::path temporary = file;
  temporary += ".tmp";
  {
    std::ofstream stream(temporary, std::ios::trunc);
    stream << study.to_json().dump(1) << '\n';
    if (!stream.flush()) throw SystemError("cannot write " + temporary.string());
  }
  std::error_code error;
  std::filesystem::rename(temporary, file, error);
  if (error) throw SystemError("cannot replace " + file.string() + ": " + error.message());
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& flags,
                        std::string* positional) {
  po::options_description all;
  all.add(flags);
  all.add_options()("positional", po::value<std::string>());
  po::positional_options_description position;
  if (positional != nullptr) position.add("positional", 1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(args).options(all).positional(position).run(), values);
    po::notify(values);
  } catch (const po::error& error) {
    throw InputError("command line", args.empty() ? "" : args.front(), error.what());
  }
  if (positional != nullptr) {
    if (!values.count("positional")) throw InputError("STUDY", "", "the study file is required");
    *positional = values["positional"].as<std::string>();
  }
  return values;
}

int trial_id_of(const json& line) {
  if (!line.contains("trialId")) throw InputError("trialId", line.dump(), "is required");
  const json& id = line["trialId"];
  if (id.is_number_integer()) return id.get<int>();
  if (id.is_string()) {
    try {
      std::size_t used = 0;
      int number = std::stoi(id.get<std::string>(), &used);
      if (used == id.get<std::string>().size()) return number;
    } catch (const std::exception&) {
    }
  }
  throw InputError("trialId", id.dump(), "must be a trial number such as \"3\"");
}

double value_of(const json& line) {
  if (!line.contains("value") || !line["value"].is_number()) {
    throw InputError("value", line.contains("value") ? line["value"].dump() : "", "must be a number");
  }
  return line["value"].get<double>();
}

// The next result line of `in` as JSON, blank lines passed over; nullopt at the end. A line is
// bounded (read_bounded_line) and must be JSON within the nesting limit (InputError "line").
std::optional<json> next_result_line(std::istream& in) {
  while (auto text = read_bounded_line(in, "line")) {
    if (text->find_first_not_of(" \t\r") != std::string::npos) return parse_json_document<json>(*text, "line", *text);
  }
  return std::nullopt;
}

// An optional true/false field of a result line ("failed", "final"): false when absent.
bool flag_of(const json& line, const std::string& name) {
  if (!line.contains(name)) return false;
  if (!line[name].is_boolean()) throw InputError(name, line[name].dump(), "must be true or false");
  return line[name].get<bool>();
}

std::string reason_of(const json& line) {
  if (!line.contains("reason")) return "";
  if (!line["reason"].is_string()) throw InputError("reason", line["reason"].dump(), "must be a string");
  return line["reason"].get<std::string>();
}

// One line of results: {"trialId", "value"} final; {"trialId", "step", "value"} intermediate
// (answered with a stop decision) unless "final": true; {"trialId", "failed": true, "reason"}.
std::optional<json> apply_line(Study& study, const json& line) {
  if (!line.is_object()) throw InputError("line", line.dump(), "must be a JSON object");
  int id = trial_id_of(line);
  if (flag_of(line, "failed")) {
    study.tell_failed(id, reason_of(line));
    return std::nullopt;
  }
  bool intermediate = line.contains("step") && !flag_of(line, "final");
  std::optional<long long> step;
  if (line.contains("step")) {
    if (!line["step"].is_number_integer()) throw InputError("step", line["step"].dump(), "must be an integer");
    step = line["step"].get<long long>();
  }
  if (intermediate) {
    bool stop = study.report(id, *step, value_of(line));
    return json{{"trialId", std::to_string(id)}, {"shouldStop", stop}};
  }
  study.tell(id, value_of(line), step);
  return std::nullopt;
}

json suggestion_json(const Trial& trial) {
  return {{"trialId", std::to_string(trial.id)},
          {"parameters", trial.parameters},
          {"args", SearchSpace::as_arguments(trial.parameters)}};
}

void print_suggestions(const std::vector<Trial>& trials, std::ostream& out) {
  for (const auto& trial : trials) out << suggestion_json(trial).dump() << '\n';
}

json done_json(const Study& study) {
  json done = {{"done", true}};
  if (const Trial* best = study.best_trial()) done["bestTrial"] = Study::trial_json(*best);
  if (!study.failure().empty()) done["errorMessage"] = study.failure();
  return done;
}

std::uint64_t seed_of(const po::variables_map& values) {
  return values["seed"].as<std::uint64_t>();
}

// --parent NAME=FILE: the study file of a warm start's parent tuning job.
std::map<std::string, std::string> parent_files(const po::variables_map& values) {
  std::map<std::string, std::string> files;
  if (!values.count("parent")) return files;
  for (const auto& item : values["parent"].as<std::vector<std::string>>()) {
    auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == item.size()) {
      throw InputError("--parent", item, "must be NAME=STUDY_FILE (a parent tuning job's name and its study file)");
    }
    files[item.substr(0, equals)] = item.substr(equals + 1);
  }
  return files;
}

// SageMaker's WarmStartConfig: each parent named there is read from its --parent study file.
void warm_start(Study& study, const HyperparameterSpec& spec, const std::map<std::string, std::string>& files) {
  if (!spec.warm_start) {
    if (!files.empty()) throw InputError("--parent", files.begin()->first, "is for a spec with a WarmStartConfig");
    return;
  }
  for (std::size_t i = 0; i < spec.warm_start->parents.size(); ++i) {
    const std::string& name = spec.warm_start->parents[i];
    std::string field =
        "WarmStartConfig.ParentHyperParameterTuningJobs[" + std::to_string(i) + "].HyperParameterTuningJobName";
    auto file = files.find(name);
    if (file == files.end()) throw InputError(field, name, "needs its study file: --parent " + name + "=FILE");
    study.warm_start_from(load_study(file->second), name, spec.warm_start->type, field);
  }
}

int init(const std::vector<std::string>& args, std::ostream&) {
  po::options_description flags;
  flags.add_options()("spec", po::value<std::string>()->required())("seed", po::value<std::uint64_t>())(
      "parent", po::value<std::vector<std::string>>()->composing());
  std::string file;
  auto values = parse(args, flags, &file);
  if (std::filesystem::exists(file)) throw InputError("STUDY", file, "already exists (a study is never overwritten)");
  HyperparameterSpec spec = read_spec_file(values["spec"].as<std::string>());
  // --seed, else SageMaker's RandomSeed, else 0.
  std::uint64_t seed = values.count("seed") ? values["seed"].as<std::uint64_t>() : spec.random_seed.value_or(0);
  Study study(spec, seed);
  warm_start(study, spec, parent_files(values));
  save_study(study, file);
  return kExitOk;
}

int ask(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description flags;
  flags.add_options()("count", po::value<std::size_t>()->default_value(1));
  std::string file;
  auto values = parse(args, flags, &file);
  Study study = load_study(file);
  auto trials = study.ask(values["count"].as<std::size_t>());
  save_study(study, file);  // before printing: a printed trial is always recorded
  print_suggestions(trials, out);
  return kExitOk;
}

int tell(const std::vector<std::string>& args, std::istream& in, std::ostream& out) {
  po::options_description flags;
  flags.add_options()("trial", po::value<int>())("value", po::value<double>())("step", po::value<long long>())(
      "failed", po::bool_switch())("reason", po::value<std::string>()->default_value(""));
  std::string file;
  auto values = parse(args, flags, &file);
  Study study = load_study(file);
  if (values.count("trial")) {
    json line = {{"trialId", values["trial"].as<int>()}, {"final", true}};
    if (values["failed"].as<bool>())
      line["failed"] = true, line["reason"] = values["reason"].as<std::string>();
    else if (!values.count("value"))
      throw InputError("--value", "", "is required with --trial (or --failed)");
    else
      line["value"] = values["value"].as<double>();
    if (values.count("step")) line["step"] = values["step"].as<long long>();
    apply_line(study, line);
  } else {
    while (auto line = next_result_line(in)) {
      if (auto answer = apply_line(study, *line)) out << answer->dump() << '\n';
    }
  }
  save_study(study, file);
  return kExitOk;
}

int report(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description flags;
  flags.add_options()("trial", po::value<int>()->required())("step", po::value<long long>()->required())(
      "value", po::value<double>()->required());
  std::string file;
  auto values = parse(args, flags, &file);
  Study study = load_study(file);
  auto answer = apply_line(study, {{"trialId", values["trial"].as<int>()},
                                   {"step", values["step"].as<long long>()},
                                   {"value", values["value"].as<double>()}});
  save_study(study, file);
  out << answer->dump() << '\n';
  return kExitOk;
}

int show(const std::vector<std::string>& args, std::ostream& out) {
  po::options_description flags;
  std::string file;
  parse(args, flags, &file);
  out << load_study(file).training_output().dump(2) << '\n';
  return kExitOk;
}

int serve(const std::vector<std::string>& args, std::istream& in, std::ostream& out) {
  po::options_description flags;
  flags.add_options()("spec", po::value<std::string>())("seed", po::value<std::uint64_t>()->default_value(0))(
      "study", po::value<std::string>());
  auto values = parse(args, flags, nullptr);
  std::optional<std::string> file;
  if (values.count("study")) file = values["study"].as<std::string>();
  if (!values.count("spec") && !(file && std::filesystem::exists(*file))) {
    throw InputError("--spec", "", "is required (or --study naming an existing study file)");
  }
  Study study = file && std::filesystem::exists(*file)
                    ? load_study(*file)
                    : Study(read_spec_file(values["spec"].as<std::string>()), seed_of(values));
  auto step = [&] {
    auto trials = study.ask(study.free_slots());
    if (file) save_study(study, *file);
    print_suggestions(trials, out);
  };
  step();
  while (!study.finished()) {
    out.flush();
    auto line = next_result_line(in);
    if (!line) break;
    if (auto answer = apply_line(study, *line)) out << answer->dump() << '\n';
    step();
  }
  if (study.finished()) out << done_json(study).dump() << '\n';
  out.flush();
  return kExitOk;
}

const char* kUsage =
    "usage: mljob-study init STUDY --spec FILE [--seed N] [--parent NAME=STUDY_FILE ...]\n"
    "       mljob-study ask STUDY [--count N]\n"
    "       mljob-study tell STUDY (--trial ID (--value V [--step S] | --failed [--reason R]) | < results.jsonl)\n"
    "       mljob-study report STUDY --trial ID --step S --value V\n"
    "       mljob-study show STUDY\n"
    "       mljob-study serve (--spec FILE [--seed N] | --study FILE) < results.jsonl\n";

}  // namespace

int run_study_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    (args.empty() ? err : out) << kUsage;
    return args.empty() ? kExitBadInput : kExitOk;
  }
  const std::string& command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "init") return init(rest, out);
    if (command == "ask") return ask(rest, out);
    if (command == "tell") return tell(rest, in, out);
    if (command == "report") return report(rest, out);
    if (command == "show") return show(rest, out);
    if (command == "serve") return serve(rest, in, out);
    throw InputError("command", command, "must be one of init, ask, tell, report, show, serve");
  } catch (const InputError& error) {
    out.flush();
    err << "mljob-study: " << error.what() << '\n';
    return kExitBadInput;
  } catch (const std::exception& error) {
    out.flush();
    err << "mljob-study: " << error.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace mljob::tuner
