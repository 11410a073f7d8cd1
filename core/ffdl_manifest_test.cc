#include "core/ffdl_manifest.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "base/test_support.h"
#include "core/batch_script.h"
#include "core/planner.h"
#include "core/validation.h"

namespace mljob {
namespace {

using mljob::testing::expect_input_error;

tiers::MachineType machine(const std::string& name, int cpus, std::int64_t memory_mb, const std::string& gpu = "",
                           int gpus = 0) {
  tiers::MachineType type;
  type.name = name;
  type.cpus = cpus;
  type.memory_mb = memory_mb;
  if (gpus > 0) type.accelerator = tiers::AcceleratorRequest{gpu, gpus};
  return type;
}

// A site with CPU machines, K80 and V100 machines, and two buckets mapped to its file system.
tiers::TierCatalog site_catalog() {
  tiers::TierCatalog catalog;
  catalog.source = "test catalog";
  for (const auto& type :
       {machine("cpu-2", 2, 4096), machine("cpu-8", 8, 32768), machine("cpu-32", 32, 131072),
        machine("gpu-t4", 8, 32768, "NVIDIA_TESLA_T4", 1),  // same CPUs and memory as cpu-8
        machine("k80-1", 8, 30720, "NVIDIA_TESLA_K80", 1), machine("k80-4", 4, 16384, "NVIDIA_TESLA_K80", 4),
        machine("v100-2", 16, 65536, "NVIDIA_TESLA_V100", 2)})
    catalog.machine_types[type.name] = type;
  catalog.accelerator_types["NVIDIA_TESLA_K80"] = {"NVIDIA_TESLA_K80", "k80"};
  catalog.accelerator_types["NVIDIA_TESLA_T4"] = {"NVIDIA_TESLA_T4", "t4"};
  catalog.accelerator_types["NVIDIA_TESLA_V100"] = {"NVIDIA_TESLA_V100", "v100"};
  catalog.runtimes["default"] = tiers::RuntimeEnvironment{"default", "python3", "", "", ""};
  catalog.storage["s3://training-data/"] = "/lustre/data/";
  catalog.storage["s3://results/"] = "/lustre/results/";
  catalog.storage["file:///cosdata/"] = "/lustre/cosdata/";
  return catalog;
}

const FfdlContext kContext{"training-Ab3dE5gH7", "/home/alice/.mljob/jobs/training-Ab3dE5gH7"};

// FfDL's pytorch-dist example, with a regex_extractor to see that metric groups keep their order.
const std::string kDistributed = R"(name: pytorch FashionMNIST
description: two learners
version: "1.0"
gpus: 1
cpus: 8
learners: 2
memory: 16Gb
data_stores:
  - id: test-datastore
    type: mount_cos
    training_data:
      container: training-data
    training_results:
      container: results
    connection:
      auth_url: http://s3.default.svc.cluster.local
      user_name: test
      password: secret-key
framework:
  name: pytorch
  version: "latest"
  command: >
    python train_dist.py
    --data $DATA_DIR --out "$RESULT_DIR"
evaluation_metrics:
  type: regex_extractor
  in: "$JOB_STATE_DIR/logs/training-log.txt"
  line_lookahead: 2
  groups:
    zeta:
      regex: "loss=%{FLOAT:loss}"
      scalars: {loss: {type: FLOAT, value: $loss}}
    alpha:
      regex: "acc=%{FLOAT:acc}"
      scalars: {acc: {type: FLOAT, value: $acc}}
)";

// The smallest valid manifest, with `extra` lines appended at the top level.
std::string minimal(const std::string& extra = "") {
  return "name: m\n"
         "framework: {name: tensorflow, version: '1.5', command: python3 train.py}\n"
         "data_stores:\n"
         "  - {id: ds, type: mount_cos, training_data: {container: training-data}}\n" +
         extra;
}

FfdlJob parse(const std::string& manifest) {
  return parse_ffdl_manifest(manifest, "manifest.yml", site_catalog(), kContext);
}

std::map<std::string, std::string> environment_of(const FfdlJob& ffdl) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : ffdl.job.launch->environment) out[name] = value;
  return out;
}

TEST(FfdlManifest, TranslatesDistributedLearnersIntoOneComponentOfTheSmallestFittingMachineType) {
  FfdlJob ffdl = parse(kDistributed);
  const Job& job = ffdl.job;
  EXPECT_EQ(job.job_id, "training-Ab3dE5gH7");
  EXPECT_EQ(job.training_input.scale_tier, "CUSTOM");
  // 8 CPUs, 16e9 bytes (15259 MiB), 1 GPU: k80-1 (1 GPU) beats v100-2 (2) and k80-4 (4).
  EXPECT_EQ(ffdl.machine_type, "k80-1");
  EXPECT_EQ(ffdl.memory_mb, 15259);
  EXPECT_EQ(job.training_input.master_type, "k80-1");
  EXPECT_EQ(job.training_input.worker_type, "k80-1");
  EXPECT_EQ(job.training_input.worker_count, 1);
  EXPECT_EQ(ffdl.learners, 2);
  EXPECT_TRUE(job.labels.empty());

  validate_job(job);
  validate_against_catalog(job, site_catalog());
  SlurmPlan plan = plan_job(job, site_catalog(), {kContext.job_folder, {}});
  ASSERT_EQ(plan.components.size(), 1u);
  EXPECT_EQ(plan.components[0].tasks, 2);
  EXPECT_EQ(plan.components[0].gpus_per_task, 1);
  EXPECT_EQ(plan.working_dir, kContext.job_folder + "/model-definition");
}

TEST(FfdlManifest, GivesLearnersFfdlsEnvironment) {
  FfdlJob ffdl = parse(kDistributed);
  auto env = environment_of(ffdl);
  const std::string folder = kContext.job_folder;
  EXPECT_EQ(env["TRAINING_ID"], "training-Ab3dE5gH7");
  EXPECT_EQ(env["DLAAS_JOB_ID"], "training-Ab3dE5gH7");
  EXPECT_EQ(env["NUM_LEARNERS"], "2");
  EXPECT_EQ(env["GPU_COUNT"], "1.000000");
  EXPECT_EQ(env["JOB_STATE_DIR"], folder);
  EXPECT_EQ(env["MODEL_DIR"], folder + "/model-definition");
  EXPECT_EQ(env["LOG_DIR"], folder + "/logs");
  EXPECT_EQ(env["DATA_DIR"], "/lustre/data");
  EXPECT_EQ(env["RESULT_BUCKET_DIR"], "/lustre/results");
  EXPECT_EQ(env["RESULT_DIR"], "/lustre/results/training-Ab3dE5gH7");
  EXPECT_EQ(env["CHECKPOINT_DIR"], "/lustre/results/_wml_checkpoints");
  EXPECT_EQ(ffdl.folders.result_dir, env["RESULT_DIR"]);
  EXPECT_EQ(ffdl.folders.data_dir, env["DATA_DIR"]);
}

TEST(FfdlManifest, RunsTheCommandAsOneBashWordAfterTheFixedPrelude) {
  FfdlJob ffdl = parse(kDistributed);
  const auto& command = ffdl.job.launch->command;
  ASSERT_EQ(command.size(), 3u);
  EXPECT_EQ(command[0], "/bin/bash");
  EXPECT_EQ(command[1], "-c");
  // FfDL makes every line break of the command a space (TRAINING_COMMAND).
  const std::string user = "python train_dist.py --data $DATA_DIR --out \"$RESULT_DIR\" ";
  EXPECT_EQ(command[2], std::string(kFfdlLearnerPrelude) + user);
  EXPECT_NE(command[2].find("LEARNER_ID=$((SLURM_PROCID + 1))"), std::string::npos);
  EXPECT_EQ(environment_of(ffdl)["TRAINING_COMMAND"], user);
}

TEST(FfdlManifest, UserTextReachesTheBatchScriptOnlyQuoted) {
  FfdlJob ffdl = parse(
      "name: m\nframework: {name: t, version: '1', command: \"echo '; rm -rf ~ #' $(id)\"}\n"
      "data_stores: [{id: d, type: mount_cos, training_data: {container: training-data}}]\n");
  SlurmPlan plan = plan_job(ffdl.job, site_catalog(), {kContext.job_folder, {}});
  std::string script = render_batch_script(plan);
  EXPECT_NE(script.find(shell_quote(ffdl.job.launch->command[2])), std::string::npos) << script;
  EXPECT_EQ(script.find("rm -rf ~ #' $(id)\n"), std::string::npos) << script;
}

TEST(FfdlManifest, KeepsTheManifestInOrderWithoutItsPassword) {
  FfdlJob ffdl = parse(kDistributed);
  const auto& request = ffdl.job.launch->request;
  EXPECT_EQ(ffdl.job.launch->api, "ffdl");
  std::vector<std::string> keys;
  for (const auto& [key, value] : request.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "description", "version", "gpus", "cpus", "learners", "memory",
                                            "data_stores", "framework", "evaluation_metrics"}));
  EXPECT_EQ(request["data_stores"][0]["connection"]["password"], "(not kept)");
  EXPECT_EQ(request["data_stores"][0]["connection"]["user_name"], "test");
  EXPECT_EQ(request["name"], "pytorch FashionMNIST");
}

TEST(FfdlManifest, PassesEvaluationMetricsOnUnchangedAndInOrder) {
  FfdlJob ffdl = parse(kDistributed);
  const auto& declared = ffdl.job.metric_declarations["evaluation_metrics"];
  EXPECT_EQ(declared["type"], "regex_extractor");
  EXPECT_EQ(declared["line_lookahead"], 2);
  std::vector<std::string> groups;
  for (const auto& [name, group] : declared["groups"].items()) groups.push_back(name);
  EXPECT_EQ(groups, (std::vector<std::string>{"zeta", "alpha"}));
  EXPECT_FALSE(parse(minimal()).job.metric_declarations.contains("evaluation_metrics"));
}

TEST(FfdlManifest, UsesFfdlsDefaultsForWhatIsLeftOut) {
  FfdlJob ffdl = parse(minimal());
  // 5 CPUs and 12 GiB: cpu-8 (8 CPUs, 32 GiB), not gpu-t4, which is as big but has a GPU.
  EXPECT_EQ(ffdl.machine_type, "cpu-8");
  EXPECT_EQ(ffdl.memory_mb, 12288);
  EXPECT_EQ(ffdl.learners, 1);
  EXPECT_EQ(ffdl.job.training_input.worker_count, 0);
  EXPECT_TRUE(ffdl.job.training_input.worker_type.empty());
  EXPECT_EQ(environment_of(ffdl)["GPU_COUNT"], "0.000000");
  // Without training_results, the job's folder stands in for FfDL's own result store.
  EXPECT_EQ(ffdl.folders.result_dir, kContext.job_folder + "/results/training-Ab3dE5gH7");
  validate_job(ffdl.job);
}

TEST(FfdlManifest, FractionalCpusTakeTheSmallestMachineThatHoldsThem) {
  EXPECT_EQ(parse(minimal("cpus: 0.25\nmemory: 300MiB\n")).machine_type, "cpu-2");
}

TEST(FfdlManifest, GpuTypeChoosesTheAcceleratorByFfdlsOrTheCatalogsName) {
  EXPECT_EQ(parse(minimal("gpus: 1\ncpus: 2\nmemory: 1GB\ngpu_type: nvidia-TeslaV100\n")).machine_type, "v100-2");
  EXPECT_EQ(parse(minimal("gpus: 1\ncpus: 2\nmemory: 1GB\ngpu_type: NVIDIA_TESLA_T4\n")).machine_type, "gpu-t4");
  expect_input_error(
      [] { parse(minimal("gpus: 1\ngpu_type: nvidia-TeslaA100\n")); }, "gpu_type",
      "none of the tier catalog's accelerator types (NVIDIA_TESLA_K80, NVIDIA_TESLA_T4, NVIDIA_TESLA_V100");
  expect_input_error([] { parse(minimal("gpu_type: nvidia-TeslaK80\n")); }, "gpu_type", "gpus is 0");
}

TEST(FfdlManifest, RefusesALearnerNoMachineTypeHolds) {
  expect_input_error([] { parse(minimal("cpus: 64\n")); }, "cpus",
                     "no machine type of the tier catalog holds a learner of 64 CPUs, 12288 MiB and no GPU");
  expect_input_error([] { parse(minimal("cpus: 2\nmemory: 200GiB\n")); }, "memory", "cpu-32 (32 CPUs, 131072 MiB)");
  expect_input_error([] { parse(minimal("gpus: 8\n")); }, "gpus", "v100-2 (16 CPUs, 65536 MiB, 2 x NVIDIA_TESLA_V100)");
}

TEST(FfdlManifest, ReadsFfdlsMemoryUnitsInSlurmsMegabytes) {
  EXPECT_EQ(parse_ffdl_memory_mb("16GB", "memory"), 15259);  // 16e9 bytes
  EXPECT_EQ(parse_ffdl_memory_mb("16Gb", "memory"), 15259);
  EXPECT_EQ(parse_ffdl_memory_mb("1GiB", "memory"), 1024);
  EXPECT_EQ(parse_ffdl_memory_mb("1000MiB", "memory"), 1000);
  EXPECT_EQ(parse_ffdl_memory_mb("1000MB", "memory"), 954);  // 1e9 bytes, rounded up
  EXPECT_EQ(parse_ffdl_memory_mb("2 gib", "memory"), 2048);
  EXPECT_EQ(parse_ffdl_memory_mb("300mib", "memory"), 300);
}

TEST(FfdlManifest, RefusesWhatFfdlWouldRunWith512Megabytes) {
  for (const std::string text : {"1.5GB", "2048", "1TB", "2TiB", "16G", "16 gigabytes", "GB"}) {
    expect_input_error([&] { parse_ffdl_memory_mb(text, "memory"); }, "memory", "512 MB");
  }
  expect_input_error([] { parse_ffdl_memory_mb("16GBs", "memory"); }, "memory", "nothing may follow the unit");
  expect_input_error([] { parse(minimal("memory: 2048\n")); }, "memory", "has no unit");
  expect_input_error([] { parse(minimal("memory: 1.5GB\n")); }, "memory", "512 MB");
  expect_input_error([] { parse(minimal("storage: 1.5GB\n")); }, "storage", "512 MB");
}

TEST(FfdlManifest, RefusesAZeroThatFfdlWouldReplaceWithItsDefault) {
  expect_input_error([] { parse(minimal("cpus: 0\n")); }, "cpus", "default, 5 CPUs");
  expect_input_error([] { parse(minimal("learners: 0\n")); }, "learners", "default, 1 learner");
  expect_input_error([] { parse(minimal("memory: 0GB\n")); }, "memory", "default, 12GiB");
}

TEST(FfdlManifest, RefusesNumbersThatAreNotWhatFfdlReads) {
  expect_input_error([] { parse(minimal("gpus: 0.5\n")); }, "gpus", "whole number");
  expect_input_error([] { parse(minimal("learners: 1.5\n")); }, "learners", "whole number");
  expect_input_error([] { parse(minimal("cpus: '8'\n")); }, "cpus", "must be a number");
  expect_input_error([] { parse(minimal("learners: -2\n")); }, "learners", "0 or more");
}

TEST(FfdlManifest, RefusesUnknownFieldsWithASuggestion) {
  expect_input_error([] { parse(minimal("learner: 2\n")); }, "learner", "did you mean 'learners'?");
  expect_input_error(
      [] {
        parse(
            "name: m\nframework: {name: t, version: '1', comand: x}\n"
            "data_stores: [{id: d, type: mount_cos, training_data: {container: training-data}}]\n");
      },
      "framework.comand", "did you mean 'command'?");
  expect_input_error([] { parse(minimal("training_data: {container: x}\n")); }, "training_data",
                     "it is data_stores[0].training_data");
}

TEST(FfdlManifest, RefusesWhatFfdlRequires) {
  expect_input_error([] { parse("framework: {name: t, version: '1', command: x}\n"); }, "name", "is required");
  expect_input_error([] { parse("name: m\nframework: {name: t, version: '1'}\n"); }, "framework.command",
                     "is required");
  expect_input_error([] { parse("name: m\nframework: {name: t, version: '1', command: '  '}\n"); }, "framework.command",
                     "is required");
  expect_input_error([] { parse("name: m\nframework: {name: t, version: '1', command: x}\n"); }, "data_stores",
                     "is required");
  expect_input_error([] { parse("- just a list\n"); }, "(top level)", "a mapping");
}

TEST(FfdlManifest, RefusesASecondDataStoreThatFfdlWouldIgnore) {
  expect_input_error(
      [] { parse(minimal() + "  - {id: other, type: mount_cos, training_data: {container: results}}\n"); },
      "data_stores[1]", "uses only the first data store");
}

TEST(FfdlManifest, RefusesAContainerTheCatalogDoesNotMap) {
  expect_input_error(
      [] {
        parse(
            "name: m\nframework: {name: t, version: '1', command: x}\n"
            "data_stores: [{id: d, type: mount_cos, training_data: {container: elsewhere}}]\n");
      },
      "data_stores[0].training_data.container",
      "is at s3://elsewhere/, which no prefix of the tier catalog's storage: section maps to a folder of the "
      "cluster (mapped prefixes: file:///cosdata/, s3://results/, s3://training-data/)");
  expect_input_error(
      [] {
        parse(
            "name: m\nframework: {name: t, version: '1', command: x}\n"
            "data_stores: [{id: d, type: mount_cos, training_data: {container: training-data},"
            " training_results: {container: gone}}]\n");
      },
      "data_stores[0].training_results.container", "is at s3://gone/");
}

TEST(FfdlManifest, MapsEachDataStoreTypeToItsUri) {
  auto with_store = [](const std::string& store) {
    return parse("name: m\nframework: {name: t, version: '1', command: x}\ndata_stores: [" + store + "]\n");
  };
  EXPECT_EQ(with_store("{id: d, type: s3_datastore, training_data: {container: training-data}}").folders.data_dir,
            "/lustre/data");
  FfdlJob mounted = with_store(
      "{id: d, type: mount_volume, training_data: {container: mnist}, training_results: {container: out},"
      " connection: {type: host_mount, name: host-mount, path: /cosdata}}");
  EXPECT_EQ(mounted.folders.data_dir, "/lustre/cosdata/mnist");
  EXPECT_EQ(mounted.folders.result_dir, "/lustre/cosdata/out/training-Ab3dE5gH7");
  expect_input_error([&] { with_store("{id: d, type: swift_datastore, training_data: {container: training-data}}"); },
                     "data_stores[0].training_data.container", "is at swift://training-data/");
  expect_input_error(
      [&] { with_store("{id: d, type: mount_volume, training_data: {container: x}, connection: {type: nfs}}"); },
      "data_stores[0].connection.type", "host_mount");
  expect_input_error([&] { with_store("{id: d, type: mount_co, training_data: {container: x}}"); },
                     "data_stores[0].type", "did you mean 'mount_cos'?");
  expect_input_error([&] { with_store("{id: d, type: mount_cos, training_data: {container: ../etc}}"); },
                     "data_stores[0].training_data.container", "no '/'");
  expect_input_error(
      [&] {
        with_store(
            "{id: d, type: mount_volume, training_data: {container: a/../../b},"
            " connection: {type: host_mount, path: /cosdata}}");
      },
      "data_stores[0].training_data.container", "'..'");
  expect_input_error(
      [&] {
        with_store(
            "{id: d, type: mount_cos, training_data: {container: training-data}, "
            "connection: {auth_url: x, secret: y}}");
      },
      "data_stores[0].connection.secret", "unknown field");
}

TEST(FfdlManifest, NamesWhatItAcceptsButDoesNotActOn) {
  FfdlJob ffdl = parse(kDistributed);
  ASSERT_EQ(ffdl.ignored.size(), 2u);
  EXPECT_EQ(ffdl.ignored[0].field, "framework");
  EXPECT_EQ(ffdl.ignored[0].value, "pytorch latest");
  EXPECT_EQ(ffdl.ignored[1].field, "data_stores[0].connection");
  EXPECT_EQ(ffdl.ignored[1].value, "auth_url, password, user_name");  // sorted
  FfdlJob with_storage = parse(minimal("storage: 10GB\n"));
  ASSERT_EQ(with_storage.ignored.size(), 2u);
  EXPECT_EQ(with_storage.ignored[1].field, "storage");
}

TEST(FfdlManifest, KeepsTextFieldsAsWritten) {
  FfdlJob ffdl = parse(
      "name: 2024\nversion: 1.10\nframework: {name: t, version: 1.10, command: x}\n"
      "data_stores: [{id: d, type: mount_cos, training_data: {container: training-data}}]\n");
  EXPECT_EQ(ffdl.ignored[0].value, "t 1.10");
}

TEST(FfdlManifest, RefusesABadContext) {
  expect_input_error(
      [] {
        parse_ffdl_manifest(minimal(), "m", site_catalog(), {"training/../x", kContext.job_folder});
      },
      "training ID", "");
  EXPECT_THROW(parse_ffdl_manifest(minimal(), "m", site_catalog(), {kContext.training_id, "relative"}),
               std::invalid_argument);
}

TEST(FfdlManifest, MakesTrainingIdsInFfdlsShapeThatNameAStoredJob) {
  std::string first = new_ffdl_training_id(), second = new_ffdl_training_id();
  EXPECT_TRUE(std::regex_match(first, std::regex("training-[A-Za-z0-9]{9}"))) << first;
  EXPECT_NE(first, second);
  EXPECT_NO_THROW(check_stored_job_name(first, "jobId"));
}

}  // namespace
}  // namespace mljob
