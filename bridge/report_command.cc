#include "bridge/report_command.h"

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>

#include "base/input_error.h"
#include "bridge/command_line.h"
#include "core/job_store.h"
#include "report/study_report.h"
#include "study/study_files.h"

namespace mljob::bridge {

using study::is_study_folder;
using study::load_study;

int report_study(const Arguments& args) {
  std::string job_id, html;
  boost::program_options::options_description options("mljob report STUDY_JOB_ID --html FILE");
  options.add_options()("help,h", "show this help")("html", boost::program_options::value(&html),
                                                    "write the study's report (charts and trials, best first) to FILE");
  auto vm = parse_command_line(args, options, &job_id);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return kExitOk;
  }
  if (job_id.empty()) throw InputError("JOB_ID", "", "is required: mljob report STUDY_JOB_ID --html FILE");
  if (html.empty()) throw InputError("--html", "", "is required: the file to write the report to");
  auto record = JobStore::from_environment().load(job_id);
  if (!record || !is_study_folder(record->folder))
    throw InputError("JOB_ID", job_id, "is not one of your tuning studies");
  tuner::Study study = load_study(record->folder);
  std::ofstream out(html, std::ios::trunc);
  out << report::render_study_report(study, "mljob study " + job_id);
  if (!out.flush()) throw std::runtime_error("cannot write " + html);
  std::cerr << "Wrote " << html << ": " << study.trials().size() << " trial(s) of study " << job_id << "\n";
  return kExitOk;
}

}  // namespace mljob::bridge
