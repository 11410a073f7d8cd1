// The --filter of `mljob list`: terms joined by AND, each FIELD=VALUE, FIELD!=VALUE or
// FIELD:VALUE (":" as "has", like gcloud's), over state, jobId and labels.KEY; values may be
// quoted. E.g.  state=RUNNING AND labels.team:"vision"
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mljob {

class JobFilter {
 public:
  // Throws InputError naming --filter, the term and what is wrong with it.
  static JobFilter parse(const std::string& text);
  bool matches(const nlohmann::json& job_resource) const;

 private:
  struct Term {
    std::string field;  // "state", "jobId" or "labels.KEY"
    std::string op;     // "=", "!=", ":"
    std::string value;
  };
  std::vector<Term> terms_;
};

// An etag over what `mljob update` may change (the labels), so that a stale update is refused.
std::string job_etag(const nlohmann::json& job_resource);

}  // namespace mljob
