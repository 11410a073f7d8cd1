// Ctrl-C (SIGINT), SIGTERM and SIGHUP while a command has work half-done (a job folder
// reserved and being filled, a job being submitted): the work stops at its next check and
// undoes itself, instead of the process dying with a folder and no record left behind.
#pragma once

#include <csignal>
#include <stdexcept>
#include <string>

namespace mljob {

// Thrown by throw_if_interrupted: the user (or the system) asked the command to stop.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal);
  int signal() const { return signal_; }

 private:
  int signal_;
};

// While one is alive, SIGINT, SIGTERM and SIGHUP are recorded instead of ending the process.
// Work in its scope calls throw_if_interrupted at the points where it can stop cleanly. When
// it ends, the previous handlers come back, and a signal no check consumed (one that came
// after the last check, when the work was already done) is raised again, so the process
// ends as it would have, only later; unless the guard ends because an error is on its way
// out, which ends the command anyway and must still be reported. Only the outermost of
// nested guards acts.
class InterruptionGuard {
 public:
  InterruptionGuard();
  ~InterruptionGuard();
  InterruptionGuard(const InterruptionGuard&) = delete;
  InterruptionGuard& operator=(const InterruptionGuard&) = delete;

 private:
  bool active_ = false;
  int exceptions_ = 0;  // std::uncaught_exceptions() when it began
  struct sigaction saved_[3] = {};
};

// The signal recorded by the guard and not yet consumed, or 0 (always 0 without a guard).
int pending_interruption();
// Throws Interrupted (and consumes the signal) when one is pending; does nothing otherwise.
void throw_if_interrupted();

}  // namespace mljob
