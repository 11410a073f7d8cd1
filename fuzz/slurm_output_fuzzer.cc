// The parsers of what Slurm's commands print: sacct and squeue rows, "ID|COMMENT" listings,
// sinfo's nodes and Slurm's times. Job names and comments in them are the users' own text,
// so they are untrusted; the parsers skip what they cannot read and never throw, except
// parse_slurm_time, which refuses with std::invalid_argument. The first byte picks the parser.
#include <stdexcept>

#include "core/accounting.h"
#include "core/cluster_inventory.h"
#include "core/slurm_commands.h"
#include "core/slurm_time.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string text(mljob::fuzz::as_text(data + 1, size - 1));
  switch (data[0] % 7) {
    case 0: {
      bool others_seen = false;  // and a job's own among them, as describe picks them
      auto ours = [](const std::string& comment) { return mljob::comment_marks_job(comment, "job_1"); };
      mljob::records_of_job(mljob::parse_accounting(text), ours, others_seen);
      break;
    }
    case 1:
      mljob::parse_queue(text);
      break;
    case 2:
      mljob::parse_listed_jobs(text);
      break;
    case 3:
      mljob::job_ids_with_comment(text, "mljob:alice:job_1");
      break;
    case 4:
      mljob::parse_sinfo_nodes(text);
      break;
    case 5:
      try {
        mljob::parse_slurm_time(text);
      } catch (const std::invalid_argument&) {  // its documented refusal (a MaxTime it cannot read)
      }
      break;
    case 6: {
      auto cut = text.find('\n');
      if (cut != std::string::npos) mljob::array_record_holds(text.substr(0, cut), text.substr(cut + 1));
      break;
    }
  }
  return 0;
}
