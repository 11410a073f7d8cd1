// A batch prediction job made ready for Slurm and submitted: its model found (a folder, or an
// entry of the site's model registry), its input files found and split into shards, its output
// folder checked, then one job array with an element per shard. And `mljob resume`: the shards
// without results run again, as a new array; finished shards are never computed twice.
//
// The job's folder holds prediction.json (what every shard's worker reads: formats, the
// model's server, the shards' byte ranges), job.sbatch, logs/shard-N.log and progress/N.json
// (each shard's counters, written by the worker as it goes).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "core/job_store.h"
#include "core/prediction_plan.h"
#include "core/slurm_access.h"
#include "prediction/shard_plan.h"
#include "tiers/catalog.h"

namespace mljob::jobs {

// What serves the job's model.
struct ResolvedModel {
  std::string folder;                     // absolute
  std::string predictor;                  // sklearn, torchscript or custom
  std::string prediction_class;           // custom only
  std::vector<std::string> package_uris;  // custom only: staged into the job's folder
  std::string machine_type;               // empty: the catalog's prediction worker
  std::string runtime_version;
  std::string python = "python3";
  std::string runtime_setup;
  std::string source;  // "uri", or "model census version v1 (registry FILE)", for describe
};

// The model of `input`: its uri's folder (mapped by the catalog's storage where it is an object
// store URI) with the predictor of the runtime (or the one its files tell), or a registry entry.
// InputError at the field (uri, modelName, versionName, runtimeVersion, signatureName).
ResolvedModel resolve_model(const PredictionInput& input, const tiers::TierCatalog& catalog);

// Every file the input paths name, wildcards expanded (sorted by name), each once. InputError
// at predictionInput.inputPaths[i] for a path that matches nothing or is not a readable file.
std::vector<prediction::InputFile> find_input_files(const PredictionInput& input, const tiers::TierCatalog& catalog);

// The output folder, absolute; InputError at predictionInput.outputPath when it already holds
// results or cannot be made or written.
std::filesystem::path checked_output_folder(const PredictionInput& input, const tiers::TierCatalog& catalog);

// A prediction job checked and planned; nothing written yet.
struct CheckedPrediction {
  Job job;
  tiers::TierCatalog catalog;
  ResolvedModel model;
  std::vector<prediction::InputFile> inputs;
  std::vector<prediction::Shard> shards;
  std::filesystem::path output_folder;
  PredictionArrayPlan plan;
  std::string machine_type_field;  // where the worker's machine type was named, for errors
};
CheckedPrediction check_prediction(Job job, const std::filesystem::path& tiers_file);

// Reserves the job's folder, stages a custom predictor's packages, writes prediction.json and
// job.sbatch, submits the array and saves the record. Nothing is left when it fails before
// Slurm has the job.
JobRecord submit_prediction(CheckedPrediction& checked, const JobStore& store, const SlurmAccess& slurm);

// The shards of a prediction job with no results (no final results file), in order.
std::vector<int> unfinished_shards(const JobRecord& record);
// Runs them again as a new job array (the record then names it). InputError when the job is
// not a prediction job, still has shards queued or running, or has none unfinished.
std::vector<int> resume_prediction(const std::string& job_id, const JobStore& store, const SlurmAccess& slurm);

// The job folder's prediction.json (nlohmann::json), read back.
nlohmann::json read_prediction_config(const std::filesystem::path& folder);

}  // namespace mljob::jobs
