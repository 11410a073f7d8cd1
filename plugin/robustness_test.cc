// Robustness of the parsers that read what users and Slurm hand the plugin (inside
// slurmstepd, as root): thousands of random, mutated and adversarial strings, from a fixed
// seed so that every run sees the same inputs. Each parser must either return a result
// that keeps its documented bounds or throw std::invalid_argument (the plugin's error
// type, which becomes a message to the user: one line of printable ASCII, at most
// kMaxLogLineBytes); any other exception, a crash, or a sanitizer finding
// (plugin_unit_tests_sanitized) fails the test. CTest's timeout catches a hang.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "bind_options.h"
#include "binding.h"
#include "hostlist.h"
#include "layout.h"
#include "node_topology.h"
#include "options.h"
#include "plugin_config.h"
#include "roles.h"
#include "sagemaker_env.h"
#include "slurm_step.h"
#include "tasks_per_node.h"
#include "test_environment.h"
#include "test_heap_meter.h"
#include "test_messages.h"

namespace mljob::plugin {
namespace {

constexpr std::uint32_t kSeed = 20240611;

// Inputs per generator kind; kept small enough for the sanitized build to finish in seconds.
constexpr int kTokenInputs = 2500;
constexpr int kCharacterInputs = 1500;
constexpr int kByteInputs = 800;
constexpr int kMutatedInputs = 1500;
constexpr std::size_t kMaxGeneratedLength = 48;

// An input as a failure message shows it: printable ASCII, the rest escaped, cut at 200.
std::string shown(std::string_view input) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : input.substr(0, 200)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  out += input.size() > 200 ? "...\"" : "\"";
  return out + " (" + std::to_string(input.size()) + " bytes)";
}

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : random_(seed) {}

  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_); }

  // Concatenated tokens: near-valid text that reaches deep into a grammar.
  std::string from_tokens(const std::vector<std::string>& tokens) {
    std::string out;
    const std::size_t count = 1 + below(12);
    for (std::size_t i = 0; i < count; ++i) out += tokens[below(tokens.size())];
    return out;
  }

  std::string from_characters(std::string_view alphabet) {
    std::string out(below(kMaxGeneratedLength + 1), ' ');
    for (char& c : out) c = alphabet[below(alphabet.size())];
    return out;
  }

  std::string from_bytes() {
    std::string out(below(kMaxGeneratedLength + 1), ' ');
    for (char& c : out) c = static_cast<char>(below(256));
    return out;
  }

  // One to four edits of a valid example: insert, delete, replace, or repeat a slice.
  std::string mutated(std::string text, std::string_view alphabet) {
    const std::size_t edits = 1 + below(4);
    for (std::size_t e = 0; e < edits; ++e) {
      const std::size_t at = below(text.size() + 1);
      switch (below(4)) {
        case 0:
          text.insert(at, 1, alphabet[below(alphabet.size())]);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1 + below(3));
          break;
        case 2:
          if (at < text.size()) text[at] = alphabet[below(alphabet.size())];
          break;
        default:
          if (at < text.size()) {
            const std::string slice = text.substr(at, 1 + below(6));
            text.insert(at, slice);
          }
      }
    }
    return text;
  }

 private:
  std::mt19937 random_;
};

// The inputs for one parser: its adversarial cases, then generated ones.
std::vector<std::string> inputs_for(Generator& generator, const std::vector<std::string>& adversarial,
                                    const std::vector<std::string>& valid, const std::vector<std::string>& tokens,
                                    std::string_view alphabet) {
  std::vector<std::string> inputs = adversarial;
  inputs.insert(inputs.end(), valid.begin(), valid.end());
  for (int i = 0; i < kTokenInputs; ++i) inputs.push_back(generator.from_tokens(tokens));
  for (int i = 0; i < kCharacterInputs; ++i) inputs.push_back(generator.from_characters(alphabet));
  for (int i = 0; i < kByteInputs; ++i) inputs.push_back(generator.from_bytes());
  for (int i = 0; i < kMutatedInputs; ++i) {
    inputs.push_back(generator.mutated(valid[generator.below(valid.size())], alphabet));
  }
  return inputs;
}

// Runs parse(input). A result is checked with check(result, input); std::invalid_argument
// is the accepted refusal; anything else thrown is a failure. Returns true if it parsed.
template <typename Parse, typename Check>
bool parses_or_refuses(std::string_view parser, const std::string& input, Parse parse, Check check) {
  try {
    check(parse(input), input);
    return true;
  } catch (const std::invalid_argument& refused) {
    EXPECT_NE(std::string_view(refused.what()), "") << parser << " " << shown(input);
    // The refusal becomes a message to the user and slurmd's log: one bounded line.
    EXPECT_TRUE(test_support::is_one_safe_line(refused.what())) << parser << " " << shown(input);
    return false;
  } catch (const std::exception& other) {
    ADD_FAILURE() << parser << " threw " << typeid(other).name() << " (" << other.what()
                  << ") instead of std::invalid_argument for " << shown(input);
  } catch (...) {
    ADD_FAILURE() << parser << " threw a non-standard exception for " << shown(input);
  }
  return false;
}

// Both outcomes must occur, or the generator does not reach the parser's interesting cases.
void expect_both_outcomes(std::string_view parser, int parsed, int total) {
  EXPECT_GT(parsed, 0) << parser << ": no input parsed";
  EXPECT_LT(parsed, total) << parser << ": no input was refused";
}

TEST(Robustness, HostListParser) {
  Generator generator(kSeed);
  std::vector<std::string> adversarial = {"",
                                          "[",
                                          "]",
                                          "[]",
                                          "][",
                                          "[[",
                                          "]]",
                                          ",",
                                          ",,",
                                          "-",
                                          "[-]",
                                          "[1-]",
                                          "[-1]",
                                          "n[1-2",
                                          "n1-2]",
                                          "n[1-2]]",
                                          "n[[1-2]]",
                                          "n[1-2][",
                                          "n[0-65535]",
                                          "n[1-65536]",
                                          "n[0-65536]",
                                          "n[0-999999999]",
                                          "n[0-1000000000]",
                                          "n[99999999999999999999]",
                                          "n[4294967296]",
                                          "n[18446744073709551616]",
                                          "n[000000000000000000000000001-2]",
                                          "n[" + std::string(100000, '0') + "1-65536]",
                                          "n[1-2]-m[" + std::string(100000, '0') + "1]",
                                          "a[1-300][1-300]",
                                          "a[1-256],b[1-256][1-256]",
                                          "n[5-3]",
                                          "n[1-2-3]",
                                          "n[1,,2]",
                                          "n[,]",
                                          "n[1 ]",
                                          "n\t1",
                                          "n\n1",
                                          std::string("n\0001", 3),
                                          "\xff\xfe[1-2]",
                                          "n[\xd9]",
                                          std::string(4096, '['),
                                          std::string(4096, ']'),
                                          std::string(4096, ','),
                                          std::string(kMaxHostNameLength, 'a'),
                                          std::string(kMaxHostNameLength + 1, 'a'),
                                          std::string(1 << 20, 'x') + "[0-65535]",
                                          "n[0-65535],m",
                                          "n[1-2]" + std::string(300, 'x')};
  std::string many_groups = "n";
  for (int i = 0; i < 20000; ++i) many_groups += "[0-65535]";
  adversarial.push_back(many_groups);
  std::string many_entries;
  for (int i = 0; i < 70000; ++i) many_entries += "n,";
  adversarial.push_back(many_entries + "n");
  const std::vector<std::string> valid = {"n1",
                                          "n[1-4]",
                                          "gpu-[01-04]",
                                          "a1,b[2-3]",
                                          "r[1-2]-n[01-02]",
                                          "n[1-3,5,07-09]",
                                          "[1-2]",
                                          "node-001.cluster,node-[002-004].cluster"};
  const std::vector<std::string> tokens = {"n",  "gpu-",  "[",         "]",     "-",     ",",         "0",          "1",
                                           "01", "9",     "10",        "007",   "65535", "999999999", "1000000000", "x",
                                           ".",  "[1-3]", "[0-65535]", "[1,2]", " ",     "\xff"};
  const auto inputs = inputs_for(generator, adversarial, valid, tokens, "n0123456789[]-,x.-\t");
  const auto check_hosts = [](const std::vector<std::string>& hosts, const std::string& in) {
    ASSERT_FALSE(hosts.empty()) << shown(in);
    ASSERT_LE(hosts.size(), kMaxExpandedHosts) << shown(in);
    for (const std::string& host : hosts) {
      ASSERT_FALSE(host.empty()) << shown(in);
      ASSERT_LE(host.size(), kMaxHostNameLength) << shown(in);
      ASSERT_EQ(host.find_first_of("[],"), std::string::npos) << shown(in);
    }
  };
  int parsed = 0;
  for (const std::string& input : inputs) {
    // Within its documented heap bound, accepted or refused (an allocation beyond it
    // throws std::bad_alloc, which parses_or_refuses reports).
    const auto heap = test_support::measure_heap(kMaxExpansionHeapBytes, [&] {
      parsed += parses_or_refuses("expand_hostlist", input, expand_hostlist, check_hosts);
    });
    EXPECT_FALSE(heap.over_budget) << shown(input);
    EXPECT_LE(heap.peak_bytes, kMaxExpansionHeapBytes) << shown(input);
  }
  expect_both_outcomes("expand_hostlist", parsed, static_cast<int>(inputs.size()));
}

TEST(Robustness, TasksPerNodeParser) {
  Generator generator(kSeed + 1);
  const std::vector<std::string> adversarial = {"",
                                                "(",
                                                ")",
                                                "(x)",
                                                "(x3)",
                                                "2(x",
                                                "2(x3",
                                                "2(x3))",
                                                "2((x3)",
                                                "2(x3)(x3)",
                                                "2(x0)",
                                                "2(x-1)",
                                                "2(x+1)",
                                                "2(y3)",
                                                "-1",
                                                "+1",
                                                " 1",
                                                "1 ",
                                                "0x10",
                                                "1e3",
                                                "4294967295",
                                                "4294967296",
                                                "65535",
                                                "65536",
                                                "65535(x65536)",
                                                "1(x65536),1",
                                                "1(x65537)",
                                                "1(x4294967296)",
                                                "1(x18446744073709551616)",
                                                std::string(4096, ','),
                                                std::string(4096, '9'),
                                                std::string(1 << 20, '1'),
                                                std::string("1\0002", 3)};
  std::string many;
  for (int i = 0; i < 70000; ++i) many += "1,";
  std::vector<std::string> all = adversarial;
  all.push_back(many + "1");
  const std::vector<std::string> valid = {"1", "4", "2(x3),1", "1,3(x2)", "5(x1)", "0,1", "3,1", "1(x65536)"};
  const std::vector<std::string> tokens = {"1",    "2", "0", "65535", "65536", "4294967296", "(x", "(x3)",
                                           "(x0)", ")", "(", ",",     "x",     " ",          "-"};
  const auto inputs = inputs_for(generator, all, valid, tokens, "0123456789(x),- ");
  int parsed = 0;
  for (const std::string& input : inputs) {
    parsed += parses_or_refuses("expand_tasks_per_node", input, expand_tasks_per_node,
                                [](const std::vector<unsigned>& counts, const std::string& in) {
                                  ASSERT_FALSE(counts.empty()) << shown(in);
                                  ASSERT_LE(counts.size(), kMaxNodesPerList) << shown(in);
                                  for (unsigned count : counts) {
                                    ASSERT_LE(count, kMaxTasksPerNode) << shown(in);
                                  }
                                });
  }
  expect_both_outcomes("expand_tasks_per_node", parsed, static_cast<int>(inputs.size()));
}

TEST(Robustness, RolesParserAndAssignment) {
  Generator generator(kSeed + 2);
  std::string many_components;
  for (int i = 0; i < 200; ++i) many_components += "worker,";
  std::string many_segments;
  for (int i = 0; i < 1000; ++i) many_segments += "worker:1+";
  const std::vector<std::string> adversarial = {"",
                                                ",",
                                                ",,",
                                                "+",
                                                "++",
                                                ":",
                                                "::",
                                                "master:",
                                                ":1",
                                                "master:0",
                                                "master:-1",
                                                "master:+1",
                                                "master:65535+worker",
                                                "master:65536+worker",
                                                "master:4294967296+worker",
                                                "master:1:2+worker",
                                                "master+worker",
                                                "master,master",
                                                "master,chief",
                                                "chief:1+chief",
                                                "MASTER",
                                                "master ",
                                                " master",
                                                "master\n",
                                                std::string("master\0", 7),
                                                "wörker",
                                                "\xff",
                                                many_components + "ps",
                                                many_segments + "ps",
                                                std::string(4096, 'a'),
                                                std::string(4097, 'a'),
                                                std::string(1 << 20, ','),
                                                "worker:1+worker:1+worker:1+ps"};
  const std::vector<std::string> valid = {
      "master,worker,ps",     "master:1+worker,ps", "master:1+worker", "chief,worker:3+evaluator", "worker", "ps",
      "evaluator:1+worker,ps"};
  const std::vector<std::string> tokens = {"master", "chief", "worker", "ps", "evaluator", "foo",
                                           ":",      "+",     ",",      "1",  "0",         "3",
                                           "65535",  "65536", "",       " ",  ":1+",       "\xc3"};
  const auto inputs = inputs_for(generator, adversarial, valid, tokens, "masterwokpsvlucfhi:+,013");
  int parsed = 0;
  int assigned = 0;
  for (const std::string& input : inputs) {
    RoleMap map;
    const bool ok =
        parses_or_refuses("parse_role_map", input, parse_role_map, [&](RoleMap result, const std::string& in) {
          ASSERT_FALSE(result.empty()) << shown(in);
          ASSERT_LE(result.size(), kMaxComponents) << shown(in);
          for (const ComponentRoles& component : result) {
            ASSERT_FALSE(component.segments.empty()) << shown(in);
          }
          map = std::move(result);
        });
    parsed += ok;
    if (!ok) continue;
    // The map against a few random jobs: assigned, or refused with the plugin's error.
    for (int job = 0; job < 3; ++job) {
      std::vector<unsigned> counts(map.size() + (generator.below(4) == 0 ? 1 : 0));
      for (unsigned& count : counts) count = static_cast<unsigned>(generator.below(9));
      assigned += parses_or_refuses(
          "assign_roles", input, [&](const std::string&) { return assign_roles(map, counts); },
          [&](const std::vector<TaskRole>& roles, const std::string& in) {
            std::size_t total = 0;
            for (unsigned count : counts) total += count;
            ASSERT_EQ(roles.size(), total) << shown(in);
            int coordinators = 0;
            for (const TaskRole& role : roles) coordinators += is_coordinator(role.role);
            ASSERT_LE(coordinators, 1) << shown(in);
          });
    }
  }
  expect_both_outcomes("parse_role_map", parsed, static_cast<int>(inputs.size()));
  EXPECT_GT(assigned, 0);
}

TEST(Robustness, OptionAndPluginArgumentParsers) {
  Generator generator(kSeed + 3);
  const std::vector<std::string> adversarial = {"",
                                                ",",
                                                "all,",
                                                "tf,,torch",
                                                "1023",
                                                "65001",
                                                "-0",
                                                "0x400",
                                                "99999999999999999999",
                                                " 2000",
                                                "port_base=",
                                                "=",
                                                "log=",
                                                "port_range=64",
                                                std::string(1 << 16, 'a')};
  const std::vector<std::string> valid = {
      "tf", "torch,sagemaker", "all", "20000", "true", "0", "port_base=20000 port_range=10000 log=info"};
  const std::vector<std::string> tokens = {
      "tf",  "torch",      "sagemaker",   "all",  ",",     "1", "0", "65000", "true",
      "off", "port_base=", "port_range=", "log=", "debug", " ", "=", "99999"};
  const auto inputs = inputs_for(generator, adversarial, valid, tokens, "tforchsagemkl,=_ 0123");
  for (const std::string& input : inputs) {
    parses_or_refuses(
        "parse_env_families", input, [](const std::string& in) { return parse_env_families(in, "--ml-env"); },
        [](const EnvFamilies&, const std::string&) {});
    parses_or_refuses(
        "parse_port_base", input, [](const std::string& in) { return parse_port_base(in, "--ml-port"); },
        [](unsigned port, const std::string& in) {
          ASSERT_GE(port, kLowestJobPortBase) << shown(in);
          ASSERT_LE(port, kHighestJobPortBase) << shown(in);
        });
    parses_or_refuses(
        "parse_use_chief", input, [](const std::string& in) { return parse_use_chief(in, "MLJOB_USE_CHIEF"); },
        [](bool, const std::string&) {});
    parses_or_refuses(
        "parse_plugin_arguments", input,
        [](const std::string& in) {
          std::vector<std::string_view> arguments;
          std::size_t start = 0;
          while (start <= in.size()) {
            std::size_t space = in.find(' ', start);
            if (space == std::string::npos) space = in.size();
            arguments.emplace_back(std::string_view(in).substr(start, space - start));
            start = space + 1;
          }
          return parse_plugin_arguments(arguments);
        },
        [](const PluginConfig& config, const std::string& in) {
          ASSERT_GE(config.ports.base, kLowestPort) << shown(in);
          ASSERT_LE(config.ports.base, kHighestPort) << shown(in);
        });
  }
}

// The whole step reader, on environments whose Slurm variables are drawn from pools of
// real, near-real and random values: the layout it gives, if any, must be consistent.
TEST(Robustness, StepShapeFromRandomEnvironments) {
  Generator generator(kSeed + 4);
  const std::vector<std::string> sizes = {"1", "2", "3", "0", "129", "x", "", "4294967296"};
  const std::vector<std::string> lists = {"n1",       "n[1-2]",       "n[2-3]", "n[1-4]", "n1,n1",
                                          "n[1-300]", "m1,p1,w[1-2]", "n[1-",   "",       "n[0-999999999]"};
  const std::vector<std::string> counts = {"1",   "2", "1,3",       "2(x2)", "1,3,2(x2)", "0", "0,1", "65535(x65536)",
                                           "3(x", "",  "4294967296"};
  const std::vector<std::string> numbers = {"1", "2", "7", "8", "0", "-1", "", "x"};
  auto pick = [&](const std::vector<std::string>& pool) -> std::string {
    if (generator.below(8) == 0) return generator.from_characters("n0123456789[]-,(x)");
    return pool[generator.below(pool.size())];
  };
  int laid_out = 0;
  constexpr int kEnvironments = 3000;
  for (int i = 0; i < kEnvironments; ++i) {
    test_support::Variables variables;
    auto maybe_set = [&](const std::string& name, const std::vector<std::string>& pool) {
      if (generator.below(6) != 0) variables[name] = pick(pool);
    };
    maybe_set("SLURM_HET_SIZE", sizes);
    for (int group = 0; group < 4; ++group) {
      maybe_set("SLURM_JOB_NODELIST_HET_GROUP_" + std::to_string(group), lists);
      maybe_set("SLURM_JOB_ID_HET_GROUP_" + std::to_string(group), numbers);
    }
    maybe_set("SLURM_STEP_NODELIST", lists);
    maybe_set("SLURM_JOB_NODELIST", lists);
    maybe_set("SLURM_STEP_TASKS_PER_NODE", counts);
    maybe_set("SLURM_TASKS_PER_NODE", counts);
    maybe_set("SLURM_STEP_NUM_TASKS", numbers);
    maybe_set("SLURM_JOB_ID", numbers);
    std::string description;
    for (const auto& [name, value] : variables) description += name + "=" + shown(value) + " ";
    laid_out += parses_or_refuses(
        "step_shape_from_environment + JobLayout", description,
        [&](const std::string&) {
          StepShape shape = step_shape_from_environment(test_support::lookup_in(variables));
          return JobLayout(std::move(shape.components));
        },
        [](const JobLayout& layout, const std::string& in) {
          ASSERT_GE(layout.component_count(), 1u) << in;
          ASSERT_LE(layout.total_tasks(), kMaxStepTasks) << in;
          for (unsigned rank = 0; rank < layout.total_tasks(); ++rank) {
            ASSERT_EQ(layout.task(rank).global_rank, rank) << in;
          }
        });
  }
  expect_both_outcomes("step_shape_from_environment", laid_out, kEnvironments);
}

// The SageMaker readers never throw: bad values become warnings.
TEST(Robustness, SageMakerReadersNeverThrow) {
  Generator generator(kSeed + 5);
  const std::vector<std::string> valid = {R"({"a": 1})", R"({"lr": 0.1, "x": [1, {"y": null}]})", "{}",
                                          R"({"s": "\u00e9\n"})"};
  const std::vector<std::string> tokens = {"{", "}", "[",    "]",    "\"",    "\\",    ":",        ",",    "1",
                                           "-", "e", "true", "null", "\"k\"", "\\u00", "\xc3\xa9", "\xff", " "};
  std::vector<std::string> adversarial = {std::string(100000, '['),
                                          std::string(100000, '{'),
                                          "{\"a\":" + std::string(65, '[') + "}",
                                          "\"" + std::string(70000, 'x') + "\"",
                                          "1e99999",
                                          "-",
                                          "\"\\ud800\"",
                                          std::string("{\"a\":\"\0\"}", 10)};
  const auto inputs = inputs_for(generator, adversarial, valid, tokens, "{}[]\":,1e-.tn \\");
  for (const std::string& input : inputs) {
    try {
      const Hyperparameters hps = parse_hyperparameters(input);
      ASSERT_TRUE(hps.values.is_object()) << shown(input);
      EXPECT_NO_THROW(hps.values.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace))
          << shown(input);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "parse_hyperparameters threw " << error.what() << " for " << shown(input);
    }
    const std::string entry = "MLJOB_CHANNEL_" + input;
    const std::vector<std::string_view> entries = {entry, input};
    try {
      const Channels channels = channels_from_environment(entries);
      ASSERT_LE(channels.channels.size(), 1u) << shown(input);
      EXPECT_NO_THROW(count_visible_gpus(input));
      EXPECT_NO_THROW(cpus_of_task(input, 1));
    } catch (const std::exception& error) {
      ADD_FAILURE() << "a SageMaker reader threw " << error.what() << " for " << shown(input);
    }
  }
}

// --ml-bind / MLJOB_BIND / bind=, and the binding decision on random SLURM_STEP_GPUS
// values, allocations and local ranks over the 8-GPU server: a decision never throws,
// never leaves the allocation, and always says why.
TEST(Robustness, BindParserAndBindingDecision) {
  Generator generator(kSeed + 6);
  const std::vector<std::string> adversarial = {"",          ",",           "verbose,", ",verbose",
                                                "none,none", "numa,socket", "VERBOSE",  std::string(1 << 16, 'v')};
  const std::vector<std::string> valid = {"closest", "numa,verbose", "verbose", "none", "socket"};
  const std::vector<std::string> tokens = {"closest", "numa", "socket", "none", "verbose", ",", "x"};
  int parsed = 0, total = 0;
  for (const std::string& input : inputs_for(generator, adversarial, valid, tokens, "closetnumakvrb,")) {
    ++total;
    parsed += parses_or_refuses(
        "parse_bind_request", input, [](const std::string& in) { return parse_bind_request(in, "--ml-bind"); },
        [](const BindRequest&, const std::string&) {});
  }
  expect_both_outcomes("parse_bind_request", parsed, total);

  const HwlocTopology loaded = load_hwloc_topology(std::string(MLJOB_PLUGIN_TESTDATA "/server-2s-4numa-8gpu.xml"));
  const NodeTopology topology = read_node_topology(loaded.get());
  const std::vector<std::string> gpu_tokens = {"0",           "1",  "7", "8", ",",         "4294967295",
                                               "99999999999", "-1", " ", "",  "NoDevFiles"};
  const std::vector<std::string> cpu_lists = {"0", "0-47", "12-17", "40-63", "100-120", "0,47"};
  const BindPolicy policies[] = {BindPolicy::closest, BindPolicy::numa, BindPolicy::socket, BindPolicy::none};
  int bound = 0;
  for (int i = 0; i < 3000; ++i) {
    BindingRequest request;
    request.policy = policies[generator.below(4)];
    request.allowed_cpus = IndexSet::from_list(cpu_lists[generator.below(cpu_lists.size())]);
    request.allowed_nodes = IndexSet::from_list(generator.below(2) ? "0-3" : "2");
    request.task_gpus =
        generator.below(8) ? std::optional(generator.from_tokens(gpu_tokens)) : std::optional(generator.from_bytes());
    request.step_gpus = generator.below(2) ? request.task_gpus : std::optional<std::string>();
    request.local_count = static_cast<unsigned>(1 + generator.below(70000));
    request.local_index = static_cast<unsigned>(generator.below(request.local_count + 2));
    if (generator.below(50) == 0) request.local_count = 0;
    try {
      const Binding binding = decide_binding(topology, request);
      EXPECT_FALSE(binding.reason.empty());
      if (binding.bind) {
        ++bound;
        EXPECT_FALSE(binding.cpus.empty()) << binding.reason;
        EXPECT_TRUE(request.allowed_cpus.contains(binding.cpus)) << binding.reason;
        EXPECT_TRUE(request.allowed_nodes.contains(binding.nodes)) << binding.reason;
      }
    } catch (const std::exception& error) {
      ADD_FAILURE() << "decide_binding threw " << error.what() << " for " << shown(request.task_gpus.value_or(""));
    }
  }
  EXPECT_GT(bound, 0);
}

}  // namespace
}  // namespace mljob::plugin
