#include <iostream>

#include "base/input_error.h"
#include "base/interruption.h"
#include "bridge/command.h"
#include "core/slurm_commands.h"
#include "tiers/catalog_loader.h"

namespace mljob::bridge {

int run_reporting_errors(const std::string& program, const std::function<int()>& command) {
  try {
    return command();
  } catch (const InputError& e) {
    std::cerr << program << ": error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const Interrupted& e) {
    // Thrown only where what was begun has been undone (base/interruption.h).
    std::cerr << program << ": " << e.what() << ": nothing was submitted\n";
    return 128 + e.signal();
  } catch (const tiers::CatalogError& e) {
    std::cerr << program << ": error in the tier catalog: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const SlurmError& e) {
    std::cerr << program << ": Slurm: " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace mljob::bridge
