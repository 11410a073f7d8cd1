// Extractors turn batches of log lines into EMetrics records: FfDL's regex_extractor, SageMaker's
// MetricDefinitions and the zero-configuration `name=value` default. Records leave with their
// meta.subid (the replica's rank) and time set; the collector numbers them and names the job.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "metrics/emetrics.h"
#include "metrics/line_batch.h"
#include "metrics/metrics_spec.h"

namespace mljob::metrics {

// A sink may take the record it is given (move from it). One that only reads it lets an
// extractor reuse the record for the next one, which spares an allocation per datapoint.
using RecordSink = std::function<void(EMetrics&&)>;
using WarningSink = std::function<void(const std::string&)>;

class LogExtractor {
 public:
  virtual ~LogExtractor() = default;
  // Lines as given (the rank of each from the batch).
  virtual void process(const LineBatch& batch, const RecordSink& sink) = 0;
  // A block of complete lines straight from output.log ("RANK: text\n" each). Lines without a
  // srun label are Slurm's (or mljob's) own messages and carry no metrics: they are skipped.
  // The default cuts the block into a LineBatch; an extractor that can scan the raw block
  // faster overrides it.
  virtual void process_block(std::string_view block, const RecordSink& sink);

 private:
  LineBatch scratch_;
};

// The labelled lines of `block` into `batch` (cleared first).
void labelled_lines(std::string_view block, LineBatch& batch);

// FfDL: per replica, a window of the last line_lookahead lines; after every new line each
// group's regex (DOTALL | MULTILINE) is matched anchored at the window's start; the first group
// that matches emits one record and the window starts afresh (FfDL's extract_from_log.py).
// `prefilter` false: every group is tried after every line (the plain way, for tests to compare).
std::unique_ptr<LogExtractor> make_ffdl_extractor(const FfdlSpec& spec, bool prefilter = true);

// SageMaker: every match of every definition on every line is one datapoint, its value the
// first capture group; captures that are not numbers are dropped.
std::unique_ptr<LogExtractor> make_metric_definitions_extractor(const std::vector<MetricDefinition>& definitions,
                                                                WarningSink warn);

// `name=value` and `name: value` pairs (value a number), one record per line; step, epoch,
// iteration and friends go to etimes. At most `max_names` distinct names (then a warning).
std::unique_ptr<LogExtractor> make_default_extractor(WarningSink warn, std::size_t max_names = 1000);

// Every extractor the spec calls for on the logs (the default one when none is declared).
std::vector<std::unique_ptr<LogExtractor>> make_log_extractors(const MetricsSpec& spec, WarningSink warn);

inline constexpr const char* kMetricDefinitionsGroup = "sagemaker";
inline constexpr const char* kDefaultGroup = "default";

}  // namespace mljob::metrics
