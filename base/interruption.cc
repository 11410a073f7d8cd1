#include "base/interruption.h"

#include <exception>

namespace mljob {
namespace {

constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
volatile std::sig_atomic_t pending = 0;
bool guarded = false;

void record_signal(int signal) {
  pending = signal;
}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(signal);
  }
}

}  // namespace

Interrupted::Interrupted(int signal) : std::runtime_error("interrupted by " + signal_name(signal)), signal_(signal) {}

InterruptionGuard::InterruptionGuard() {
  if (guarded) return;
  guarded = active_ = true;
  exceptions_ = std::uncaught_exceptions();
  pending = 0;
  struct sigaction action {};
  action.sa_handler = record_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // system calls go on; the work stops at its next check
  for (int i = 0; i < 3; ++i) {
    sigaction(kSignals[i], nullptr, &saved_[i]);
    // A signal ignored when the command started (SIGINT of a job a shell put in the background)
    // stays ignored: it was never going to stop it.
    if (saved_[i].sa_handler != SIG_IGN) sigaction(kSignals[i], &action, nullptr);
  }
}

InterruptionGuard::~InterruptionGuard() {
  if (!active_) return;
  for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &saved_[i], nullptr);
  guarded = false;
  int signal = pending;
  pending = 0;
  if (signal && std::uncaught_exceptions() == exceptions_) std::raise(signal);
}

int pending_interruption() {
  return pending;
}

void throw_if_interrupted() {
  int signal = pending;
  if (!signal) return;
  pending = 0;
  throw Interrupted(signal);
}

}  // namespace mljob
