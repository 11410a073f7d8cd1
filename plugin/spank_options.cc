#include "spank_options.h"

#include <string>

#include "client_side.h"
#include "spank_access.h"
#include "spank_log.h"

namespace mljob::plugin {
namespace {

// Slurm's spank_option has non-const char* fields but only ever copies the strings.
char* text(const char* literal) {
  return const_cast<char*>(literal);
}

// Not const: spank_option_register and spank_option_getopt take non-const pointers.
spank_option g_option_table[] = {
    {text("ml-roles"), text("LIST"),
     text("[mljob] roles of the het components in order, e.g. master,worker,ps; split a "
          "component by rank with +, e.g. master:1+worker,ps (roles: master, chief, worker, "
          "ps, evaluator)"),
     1, kRolesOption, on_client_option},
    {text("ml-port"), text("BASE"), text("[mljob] base of the TCP ports given to the tasks (1024-65000)"), 1,
     kPortOption, on_client_option},
    {text("ml-env"), text("LIST"),
     text("[mljob] variable families to set, comma separated: tf (TF_CONFIG), torch "
          "(MASTER_ADDR, RANK, ...), sagemaker (SM_HOSTS, SM_TRAINING_ENV, ...) or all "
          "(default)"),
     1, kEnvOption, on_client_option},
    {text("ml-chief"), nullptr,
     text("[mljob] call the master \"chief\" in TF_CONFIG (AI Platform's useChiefInTfConfig)"), 0, kChiefOption,
     on_client_option},
    {text("ml-bind"), text("POLICY"),
     text("[mljob] bind each task's CPUs and memory: closest (to its GPUs, the default), "
          "numa, socket or none; add verbose (e.g. numa,verbose) to print what each task got"),
     1, kBindOption, on_client_option},
};

spank_option& option_by_id(OptionId id) {
  return g_option_table[id - kRolesOption];
}

}  // namespace

bool register_options(spank_t spank) noexcept {
  for (spank_option& option : g_option_table) {
    const spank_err_t error = spank_option_register(spank, &option);
    if (error == ESPANK_SUCCESS) continue;
    try {
      log_error(std::string("cannot register --") + option.name + ": " + spank_strerror(error));
    } catch (...) {
      log_error("cannot register an option (and no memory to say which)");
    }
    return false;
  }
  return true;
}

OptionValues options_of_step(spank_t spank) {
  OptionValues values;
  values.roles = spank_option_value(spank, option_by_id(kRolesOption));
  values.port = spank_option_value(spank, option_by_id(kPortOption));
  values.env = spank_option_value(spank, option_by_id(kEnvOption));
  values.chief = spank_option_value(spank, option_by_id(kChiefOption)).has_value();
  values.bind = spank_option_value(spank, option_by_id(kBindOption));
  return values;
}

}  // namespace mljob::plugin
