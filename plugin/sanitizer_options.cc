// Default options of AddressSanitizer and UndefinedBehaviorSanitizer for
// plugin_unit_tests_sanitized (linked into that binary only). ASAN_OPTIONS / UBSAN_OPTIONS in
// the environment still override them.
extern "C" {

// Leaks are findings too; a finding aborts at once.
[[gnu::visibility("default"), gnu::used]] const char* __asan_default_options() {
  return "detect_leaks=1:halt_on_error=1:strict_string_checks=1:"
         "detect_stack_use_after_return=1:check_initialization_order=1";
}

[[gnu::visibility("default"), gnu::used]] const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}

}  // extern "C"
