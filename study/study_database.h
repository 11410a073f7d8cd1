// A tuning study's state in SQLite beside the study's job (STUDY_FOLDER/study.db). Every save
// is one transaction, durable once committed (synchronous=FULL), so a controller killed at any
// moment leaves the study as of its last save: the next open, a reader's too, rolls back the
// save it was killed in (its hot journal). The journal is a rollback journal, not WAL: the
// controller writes from a compute node while `mljob describe` reads from a login node, often
// over NFS, where WAL cannot work; a reader waits out a save (busy timeout). The tables can be
// read with sqlite3 too:
//   study        (id = 1, state): the spec, the seed and the optimiser's own state, as the
//                tuner's JSON (tuner::Study::to_json, without the trials)
//   trials       a row per trial: state, parameters (JSON), final value and step, times, ...
//   measurements a row per value a trial reported (trial_id, position, step, value)
#pragma once

#include <filesystem>

#include "tuner/study.h"

namespace mljob::study {

// Throws std::runtime_error naming the file when it cannot be read as a study.
tuner::Study read_study_database(const std::filesystem::path& file);

// Creates the file if needed. Writes every trial's row, and only the measurements not stored yet.
void write_study_database(const tuner::Study& study, const std::filesystem::path& file);

}  // namespace mljob::study
